import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticBenchmark, inShard, resolveFfmpeg } from '@sparsify/avqa-datasets';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './fixtures.js';

const sparsify = async (...args: string[]) => (await runCli(args)).events;

const hasFfmpeg = await resolveFfmpeg().then(
  () => true,
  () => false,
);
const made: string[] = [];
afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasFfmpeg)('data prepare --shard and data merge-cache', () => {
  it('two machines prepare a shard each; the merged cache is the one a whole prepare finds full', async () => {
    const root = tempDir('avqa-shards');
    made.push(root);
    const benchmark = await generateSyntheticBenchmark({
      out: root,
      videos: 8,
      seconds: 4,
      seed: 9,
      media: 'frames+wav',
    });
    const ids = benchmark.scenes.map((s) => s.videoId);
    const machines = [0, 1].map((i) => join(root, `machine-${i}`));
    for (const [index, cacheDir] of machines.entries()) {
      const events = await sparsify(
        'data',
        'prepare',
        '--root',
        root,
        '--cache-dir',
        cacheDir,
        '--shard',
        `${index}/2`,
        '--workers',
        '1',
      );
      const mine = ids.filter((id) => inShard(id, { index, count: 2 }));
      expect(events.find((e) => e.event === 'shard')).toMatchObject({
        index,
        count: 2,
        videos: mine.length,
        of: ids.length,
      });
      expect(events.find((e) => e.event === 'result')).toMatchObject({
        built: mine.length,
        failed: [],
      });
    }
    const merged = await sparsify(
      'data',
      'merge-cache',
      ...machines,
      '--into',
      join(root, '.cache'),
      '--root',
      root,
    );
    expect(merged.find((e) => e.event === 'result')).toMatchObject({
      copied: ids.length,
      present: 0,
      invalid: [],
      stale: [],
    });
    expect(process.exitCode ?? 0).toBe(0);
    const whole = await sparsify('data', 'prepare', '--root', root, '--workers', '1');
    expect(whole.find((e) => e.event === 'result')).toMatchObject({
      cached: ids.length,
      built: 0,
    });
    // Interrupted preparation resumes: entries lost are rebuilt, the others kept.
    const hashDir = readdirSync(join(root, '.cache'))[0] as string;
    rmSync(join(root, '.cache', hashDir, `${ids[0]}.avqc`));
    const resumed = await sparsify('data', 'prepare', '--root', root, '--workers', '2');
    expect(resumed.find((e) => e.event === 'result')).toMatchObject({
      cached: ids.length - 1,
      built: 1,
    });
  }, 120_000);

  it('rejects a malformed shard, naming the flag', async () => {
    await expect(
      sparsify('data', 'prepare', '--root', '/nowhere', '--shard', '2/2'),
    ).rejects.toThrow('--shard: expected i/n with 0 <= i < n (e.g. 0/4), got "2/2"');
  });
});
