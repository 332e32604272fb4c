import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import { describe, expect, it } from 'vitest';
import { splitSource } from '../src/commands/eval.js';
import { PRETRAIN_DATA_SEED } from '../src/commands/pretrain.js';
import { Logger } from '../src/log/logger.js';
import { heldoutOverlap, scenesSeenBy } from '../src/pipeline/heldout-overlap.js';
import { loadSyntheticDataset, loadSyntheticHeldout } from '../src/pipeline/synthetic-data.js';
import type { BatchSource } from '../src/pipeline/types.js';
import { shippedBackbonePath } from '../src/pretrained.js';
import { pretrainingDataOf } from '../src/train/init-from.js';
import { runCli, silentLogger, tempDir, tinyConfig, tinyDataset } from './fixtures.js';

/** A logger that keeps the names of the JSON events it was given. */
function eventLogger(): { logger: Logger; events: string[] } {
  const events: string[] = [];
  const logger = new Logger({
    format: 'json',
    out: (line) => events.push((JSON.parse(line) as { event: string }).event),
  });
  return { logger, events };
}

describe('the held-out test set of a synthetic benchmark', () => {
  const spec = { dir: join(tempDir('heldout'), 'synthetic'), videos: 6, seed: 7 };

  it('holds videos no split has, cached beside the benchmark and normalised with its statistics', async () => {
    const benchmark = await loadSyntheticDataset(spec, DEFAULT_INPUTS, silentLogger());
    const first = eventLogger();
    const heldout = await loadSyntheticHeldout(
      spec,
      DEFAULT_INPUTS,
      3,
      benchmark.fbankStats,
      first.logger,
    );
    expect(first.events).toContain('data-built');
    expect(existsSync(join(spec.dir, 'heldout-3', 'media.json'))).toBe(true);
    const seen = new Set(
      [benchmark.train, benchmark.val, benchmark.test].flatMap((s) =>
        s.records.map((r) => r.videoId),
      ),
    );
    const heldoutVideos = new Set(heldout.records.map((r) => r.videoId));
    expect(heldoutVideos.size).toBe(3);
    expect([...heldoutVideos].some((id) => seen.has(id))).toBe(false);

    const again = eventLogger();
    await loadSyntheticHeldout(spec, DEFAULT_INPUTS, 3, benchmark.fbankStats, again.logger);
    expect(again.events).not.toContain('data-built');

    // Other statistics: rebuilt, and the same log-mel energies under the other scale.
    const other = { mean: benchmark.fbankStats.mean + 1, std: benchmark.fbankStats.std * 2 };
    const rebuilt = eventLogger();
    const renormalised = await loadSyntheticHeldout(spec, DEFAULT_INPUTS, 3, other, rebuilt.logger);
    expect(rebuilt.events).toContain('data-built');
    const a = (await heldout.load([0])).inputs.fbank;
    const b = (await renormalised.load([0])).inputs.fbank;
    const { mean, std } = benchmark.fbankStats;
    for (let i = 0; i < a.length; i += 997) {
      expect((b[i] as number) * other.std + other.mean).toBeCloseTo(
        (a[i] as number) * std + mean,
        3,
      );
    }
  });
});

describe('a held-out set fixed at a first video (--heldout-first-video)', () => {
  const root = tempDir('heldout-fixed');
  const small = { dir: join(root, 'v6'), videos: 6, seed: 7 };
  const large = { dir: join(root, 'v8'), videos: 8, seed: 7 };

  it('gives benchmarks of different sizes the same scenes and questions, in its own cache', async () => {
    const sets = [];
    for (const spec of [small, large]) {
      const benchmark = await loadSyntheticDataset(spec, DEFAULT_INPUTS, silentLogger());
      sets.push(
        await loadSyntheticHeldout(
          spec,
          DEFAULT_INPUTS,
          3,
          benchmark.fbankStats,
          silentLogger(),
          10,
        ),
      );
      expect(existsSync(join(spec.dir, 'heldout-3-from-10', 'media.json'))).toBe(true);
    }
    const [a, b] = sets as [BatchSource, BatchSource];
    expect(a.records.length).toBeGreaterThan(0);
    expect(b.records).toEqual(a.records);
    expect(new Set(a.records.map((r) => r.videoId))).toEqual(
      new Set(['00000011', '00000012', '00000013']),
    );
  });

  it('is refused when it overlaps the run’s own videos, naming the flag and the scenes', async () => {
    const config = { ...tinyConfig(), data: { kind: 'synthetic' as const, ...small } };
    await expect(
      splitSource('runs/x', config, tinyDataset(), 'heldout', 3, silentLogger(), 4),
    ).rejects.toThrow(
      '--heldout-first-video: held-out scenes 4..6 (data seed 7) overlap its own train, val and test videos, scenes 0..5 of that seed: runs/x would be scored on scenes it has seen',
    );
  });

  it('is refused by `eval` before the run is loaded, naming the flag', async () => {
    const runDir = join(root, 'run');
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    // A placeholder checkpoint: the refusal must come before anything reads it.
    writeFileSync(join(runDir, 'checkpoints', 'best.ckpt'), 'not read');
    const config = { ...tinyConfig(), data: { kind: 'synthetic' as const, ...large } };
    writeFileSync(join(runDir, 'config.json'), JSON.stringify(config));
    await expect(
      runCli(['eval', runDir, '--split', 'heldout', '--heldout-first-video', '7']),
    ).rejects.toThrow(
      `--heldout-first-video: held-out scenes 7..1006 (data seed 7) overlap its own train, val and test videos, scenes 0..7 of that seed: ${runDir} would be scored on scenes it has seen`,
    );
  });

  it('`eval --merge` is parsed before the run is loaded and refused for a predictions file', async () => {
    await expect(runCli(['eval', join(root, 'run'), '--merge', '1.5'])).rejects.toThrow(
      '--merge: expected fence,block[,minKeep[,epochs]] (e.g. 1.5,1,0.25 or 1.5,1,0.25,7), got "1.5"',
    );
    await expect(runCli(['eval', join(root, 'run'), '--merge', '1.5,1,0.25,7'])).rejects.toThrow(
      '--merge: epochs say when training merges; at inference give fence,block[,minKeep] or off',
    );
    await expect(
      runCli(['eval', '--annotations', 'a.json', '--predictions', 'p.json', '--merge', 'off']),
    ).rejects.toThrow('--merge: applies to a run folder, not to --predictions');
  });

  it('knows the pretraining videos a backbone records, and tells seeds apart', () => {
    const config = {
      ...tinyConfig(),
      data: { kind: 'synthetic' as const, dir: 'unused', videos: 480, seed: 7 },
      initFrom: shippedBackbonePath(),
    };
    const seen = scenesSeenBy(config);
    expect(seen.map(({ seed, first, count }) => ({ seed, first, count }))).toEqual([
      { seed: 7, first: 0, count: 480 },
      { seed: PRETRAIN_DATA_SEED, first: 0, count: 1920 },
    ]);
    // The fixed set of docs/notebook/2026-12-05-video-scaling.md: disjoint from all of them.
    expect(heldoutOverlap({ seed: 7, first: 2000, count: 1000 }, seen)).toBeNull();
    expect(heldoutOverlap({ seed: 7, first: 480, count: 1000 }, seen)).toBeNull();
    expect(heldoutOverlap({ seed: 7, first: 479, count: 1 }, seen)).toMatch(
      /scenes 479..479 .* overlap its own train, val and test videos, scenes 0..479/,
    );
    expect(heldoutOverlap({ seed: PRETRAIN_DATA_SEED, first: 1919, count: 5 }, seen)).toMatch(
      /overlap the pretraining videos of its --init-from .*backbone-tiny.safetensors, scenes 0..1919/,
    );
    expect(heldoutOverlap({ seed: PRETRAIN_DATA_SEED, first: 1920, count: 5 }, seen)).toBeNull();
  });

  it('reads the pretraining videos from config.json, and warns when it cannot know them', () => {
    const own = { kind: 'synthetic' as const, dir: 'unused', videos: 480, seed: 7 };
    const moved = 'elsewhere/backbone-tiny.safetensors';
    const warnings: string[] = [];
    const recorded = scenesSeenBy(
      {
        ...tinyConfig(),
        data: own,
        initFrom: moved,
        initFromData: { seed: PRETRAIN_DATA_SEED, videos: 1920 },
      },
      (text) => warnings.push(text),
    );
    expect(recorded.map(({ seed, count }) => ({ seed, count }))).toEqual([
      { seed: 7, count: 480 },
      { seed: PRETRAIN_DATA_SEED, count: 1920 },
    ]);
    expect(warnings).toEqual([]);
    // A run from before initFromData, whose backbone path no longer reads from here.
    const unknown = scenesSeenBy({ ...tinyConfig(), data: own, initFrom: moved }, (text) =>
      warnings.push(text),
    );
    expect(unknown.map(({ seed, count }) => ({ seed, count }))).toEqual([{ seed: 7, count: 480 }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`--init-from ${moved}: config.json does not record`);
    // A file that records no pretraining (a run's checkpoint) is checked, with nothing to add.
    expect(
      scenesSeenBy({ ...tinyConfig(), data: own, initFrom: moved, initFromData: null }, () => {
        throw new Error('no warning expected');
      }),
    ).toHaveLength(1);
  });

  it("pretrainingDataOf reads a backbone's data metadata and nothing else", () => {
    expect(
      pretrainingDataOf({ data: JSON.stringify({ seed: 1007, videos: 1920, epochs: 16 }) }),
    ).toEqual({
      seed: 1007,
      videos: 1920,
    });
    expect(pretrainingDataOf({})).toBeNull();
    expect(pretrainingDataOf({ data: '{not json' })).toBeNull();
    expect(pretrainingDataOf({ data: JSON.stringify({ seed: '7', videos: 10 }) })).toBeNull();
  });

  it('names the flag when its value is not a non-negative integer or the split is not heldout', async () => {
    await expect(
      runCli(['eval', 'runs/none', '--split', 'heldout', '--heldout-first-video', '2.5']),
    ).rejects.toThrow('--heldout-first-video: expected a non-negative integer, got "2.5"');
    await expect(
      runCli(['eval', 'runs/none', '--split', 'heldout', '--heldout-first-video', 'x']),
    ).rejects.toThrow('--heldout-first-video: expected a non-negative integer, got "x"');
    await expect(runCli(['eval', 'runs/none', '--heldout-first-video', '2000'])).rejects.toThrow(
      '--heldout-first-video: only applies to --split heldout',
    );
    await expect(
      runCli(['compare', 'runs/a', 'runs/b', '--heldout-first-video', '2000']),
    ).rejects.toThrow('--heldout-first-video: only applies to --split heldout');
    await expect(
      runCli(['compare', 'runs/a', 'runs/b', '--split', 'heldout', '--heldout-first-video', '-']),
    ).rejects.toThrow('--heldout-first-video: expected a non-negative integer, got "-"');
  });
});
