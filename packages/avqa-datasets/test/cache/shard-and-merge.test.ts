import { mkdtemp, readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheEntryPath } from '../../src/cache/cache-store.js';
import { mergeCache } from '../../src/cache/merge-cache.js';
import { prepareDataset } from '../../src/cache/prepare-dataset.js';
import { resolveSettings } from '../../src/cache/settings.js';
import { inShard, parseShard, videoIdHash } from '../../src/cache/shard.js';
import { generateSyntheticBenchmark } from '../../src/synth/generate.js';
import { syntheticMediaFiles } from '../../src/synth/layout.js';

describe('shards', () => {
  it('cover every video exactly once, for any ids and shard count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 50 }),
        fc.integer({ min: 1, max: 9 }),
        (ids, n) => {
          for (const id of ids) {
            const owners = Array.from({ length: n }, (_, i) => inShard(id, { index: i, count: n }));
            expect(owners.filter(Boolean)).toHaveLength(1);
          }
        },
      ),
    );
  });

  it('hash ids the same way everywhere (FNV-1a 32-bit reference values)', () => {
    expect(videoIdHash('')).toBe(0x811c9dc5);
    expect(videoIdHash('a')).toBe(0xe40c292c);
    expect(videoIdHash('foobar')).toBe(0xbf9cf968);
  });

  it('spread 9,288 real-looking ids evenly over 4 shards', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 9288; i++)
      counts[videoIdHash(String(i).padStart(8, '0')) % 4] =
        (counts[videoIdHash(String(i).padStart(8, '0')) % 4] as number) + 1;
    for (const count of counts) expect(Math.abs(count - 9288 / 4)).toBeLessThan(200);
  });

  it.each(['4/4', '-1/2', '1', 'a/b', '1/0'])('rejects "%s"', (text) => {
    expect(() => parseShard(text)).toThrow(
      `--shard: expected i/n with 0 <= i < n (e.g. 0/4), got "${text}"`,
    );
  });
});

describe('mergeCache', () => {
  let root: string;
  let data: string;
  let videoIds: string[];
  const settings = resolveSettings({
    seconds: 2,
    frameHeight: 16,
    frameWidth: 16,
    fbank: { melBins: 24 },
  });
  const media = (id: string) => syntheticMediaFiles(data, id, 'frames+wav');

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'avqa-merge-'));
    data = join(root, 'data');
    const bench = await generateSyntheticBenchmark({
      videos: 6,
      seconds: 3,
      frameSize: 16,
      out: data,
      media: 'frames+wav',
      seed: 4,
    });
    videoIds = bench.scenes.map((s) => s.videoId);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('merges the shards of two machines into the cache a full prepare makes, checking entries', async () => {
    const machines = [0, 1].map((i) => join(root, `machine-${i}`));
    for (const [index, cacheDir] of machines.entries()) {
      const jobs = videoIds
        .filter((id) => inShard(id, { index, count: 2 }))
        .map((videoId) => ({ videoId, media: media(videoId) }));
      const summary = await prepareDataset({ jobs, cacheDir, settings, workers: 0 });
      expect(summary.failed).toEqual([]);
    }
    // One entry of machine 1 is cut short in transfer: reported, not copied.
    const machine1 = videoIds.find((id) => inShard(id, { index: 1, count: 2 })) as string;
    const broken = cacheEntryPath(machines[1] as string, machine1, settings);
    await truncate(broken, 100);
    await writeFile(join(machines[0] as string, 'notes.txt'), 'not a cache entry');

    const into = join(root, 'merged');
    const merged = await mergeCache({ from: machines, into, media });
    expect(merged.copied).toBe(videoIds.length - 1);
    expect(merged.present).toBe(0);
    expect(merged.invalid.map((f) => f.path)).toEqual([broken]);
    expect(merged.stale).toEqual([]);
    const entries = await readdir(join(cacheEntryPath(into, 'x', settings), '..'));
    expect(entries.sort()).toEqual(
      videoIds
        .filter((id) => id !== machine1)
        .map((id) => `${id}.avqc`)
        .sort(),
    );

    // Again: nothing to copy; and a full prepare over the merged cache only builds the lost one.
    const again = await mergeCache({ from: machines, into });
    expect(again).toMatchObject({ copied: 0, present: videoIds.length - 1 });
    const full = await prepareDataset({
      jobs: videoIds.map((videoId) => ({ videoId, media: media(videoId) })),
      cacheDir: into,
      settings,
      workers: 0,
    });
    expect(full).toMatchObject({ cached: videoIds.length - 1, built: 1, rebuilt: 0 });
  });

  it('reports entries whose media on this machine differ (another mtime)', async () => {
    const cacheDir = join(root, 'one');
    const videoId = videoIds[0] as string;
    await prepareDataset({
      jobs: [{ videoId, media: media(videoId) }],
      cacheDir,
      settings,
      workers: 0,
    });
    await utimes(
      media(videoId).kind === 'frames+wav' ? join(data, 'audio', `${videoId}.wav`) : '',
      1,
      1,
    );
    const merged = await mergeCache({ from: [cacheDir], into: join(root, 'into-stale'), media });
    expect(merged.stale.map((s) => s.videoId)).toEqual([videoId]);
    expect(merged.stale[0]?.reason).toContain('(size:mtime)');
  });
});
