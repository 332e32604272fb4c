import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { musicAvqaQuestionType } from '@sparsify/avqa-datasets';
import { coverageSubset, keySubsetScores, selectKeySubset } from '@sparsify/key-subset-selection';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { experimentRuns } from '../src/commands/compare.js';
import { runKeySubset } from '../src/commands/key-subset.js';
import type { TrainOptions } from '../src/config/train-flags.js';
import type { RunResults } from '../src/report/run-results.js';
import { RunFolder } from '../src/run/run-folder.js';
import { readCheckpointState } from '../src/train/checkpoint.js';
import { InfoBatchEpochSampler } from '../src/train/infobatch-sampler.js';
import { silentLogger, tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

type RawRecord = { question_id: number; type: string };
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('sparsify key-subset on a tiny synthetic benchmark', () => {
  const root = tempDir('key-subset');
  const options: TrainOptions = {
    videos: 12,
    dataSeed: 7,
    cacheDir: join(root, 'cache'),
    epochs: 3,
    batchSize: 8,
  };
  const recipe = {
    fraction: 0.25,
    k: 2,
    r: 0.618,
    decayFrom: 'earliest' as const,
    mode: 'kept' as const,
    stratify: 'none' as const,
    select: 'top' as const,
  };
  const fullRunDir = join(root, 'authors', 'full-infobatch');
  const trainFile = join(root, 'cache', 'synthetic-v12-s7', 'json', 'avqa-train.json');

  it('selects from the InfoBatch run, writes an annotation file, trains on it and on a random subset', async () => {
    const out = join(root, 'authors');
    const outcome = await runKeySubset(options, { ...recipe, out, compare: true }, silentLogger());
    expect(outcome).not.toBeNull();
    const { subsetFile, size, retention, markdown } = outcome!;

    // The subset is the package's top-n over the history saved in the full run's checkpoint.
    const train = readJson<RawRecord[]>(trainFile);
    expect(size).toBe(Math.round(0.25 * train.length));
    const sampler = new InfoBatchEpochSampler(
      train.length,
      1,
      { pruneRatio: 0.5, delta: 0.875 },
      0,
    );
    sampler.loadState(
      readCheckpointState(new RunFolder(fullRunDir).lastCheckpointPath).samplerState,
    );
    expect(sampler.history.epochs).toBe(3);
    const { indices: expected, cutoff } = selectKeySubset(sampler.history, recipe);
    const subset = readJson<RawRecord[]>(subsetFile);
    expect(subset.map((r) => r.question_id).sort((a, b) => a - b)).toEqual(
      Array.from(expected, (i) => train[i]!.question_id).sort((a, b) => a - b),
    );
    // When the index order, not the score, chose part of the subset, the report says so.
    const tieNote = `Tie at the cut: ${cutoff!.tied} questions share`;
    if (cutoff!.tied > cutoff!.chosen) expect(markdown).toContain(tieNote);
    else expect(markdown).not.toContain('Tie at the cut');
    // Official records, official field order: the file is a MUSIC-AVQA annotation file.
    expect(Object.keys(subset[0]!)).toEqual(Object.keys(train[0]!));

    // Both subset runs trained on n samples, and retention is their accuracy over the full run's.
    const accuracy = (dir: string) =>
      readJson<RunResults>(new RunFolder(join(out, dir)).resultsJsonPath).evaluation.overall
        .accuracy ?? Number.NaN;
    for (const dir of ['key-subset', 'random-subset']) {
      const metrics = new RunFolder(join(out, dir)).readMetrics();
      expect(metrics.map((m) => m.datasetSize)).toEqual([size, size, size]);
    }
    expect(retention!.key).toBeCloseTo(accuracy('key-subset') / accuracy('full-infobatch'), 12);
    expect(retention!.random).toBeCloseTo(
      accuracy('random-subset') / accuracy('full-infobatch'),
      12,
    );
    expect(markdown).toMatch(/Retention .* key subset \d+\.\d%, random subset \d+\.\d%/);
    for (const file of ['results.md', 'results.json', 'report.html']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
  }, 180_000);

  it('reuses a finished run with --from-run: per-type quotas with --stratify type, no training with --no-compare', async () => {
    const out = join(root, 'stratified');
    const outcome = await runKeySubset(
      options,
      { ...recipe, stratify: 'type', out, compare: false, fromRun: fullRunDir },
      silentLogger(),
    );
    expect(outcome!.retention).toBeNull();
    expect(existsSync(join(out, 'full-infobatch'))).toBe(false);
    expect(existsSync(join(out, 'key-subset'))).toBe(false);
    const train = readJson<RawRecord[]>(trainFile);
    const subset = readJson<RawRecord[]>(outcome!.subsetFile);
    expect(subset.length).toBe(outcome!.size);
    const count = (records: RawRecord[], type: string) =>
      records.filter((r) => r.type === type).length;
    for (const type of new Set(train.map((r) => r.type))) {
      // Largest remainders: each type gets its share, rounded down or up.
      const share = (outcome!.size * count(train, type)) / train.length;
      expect(count(subset, type)).toBeGreaterThanOrEqual(Math.floor(share));
      expect(count(subset, type)).toBeLessThanOrEqual(Math.ceil(share));
    }
  }, 60_000);

  it('with --stratify type also trains a random draw per type with the key subset counts', async () => {
    const out = join(root, 'per-type-control');
    const outcome = await runKeySubset(
      options,
      { ...recipe, select: 'coverage', stratify: 'type', out, compare: true, fromRun: fullRunDir },
      silentLogger(),
    );
    const { subsetFile, size, retention, markdown } = outcome!;
    const key = readJson<RawRecord[]>(subsetFile);
    const control = readJson<RawRecord[]>(join(out, 'random-per-type.json'));
    const train = readJson<RawRecord[]>(trainFile);
    const countsOf = (records: RawRecord[]) => {
      const counts = new Map<string, number>();
      for (const r of records) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
      return [...counts].sort();
    };
    expect(control.length).toBe(size);
    expect(countsOf(control)).toEqual(countsOf(key));
    expect(Object.keys(control[0]!)).toEqual(Object.keys(train[0]!));
    // The control trained on exactly its file's questions.
    const metrics = new RunFolder(join(out, 'random-per-type')).readMetrics();
    expect(metrics.map((m) => m.datasetSize)).toEqual([size, size, size]);
    const accuracy = (dir: string) =>
      readJson<RunResults>(new RunFolder(join(out, dir)).resultsJsonPath).evaluation.overall
        .accuracy ?? Number.NaN;
    const fullAccuracy = readJson<RunResults>(new RunFolder(fullRunDir).resultsJsonPath).evaluation
      .overall.accuracy as number;
    expect(retention!.randomPerType).toBeCloseTo(accuracy('random-per-type') / fullAccuracy, 12);
    expect(markdown).toContain('| random subset, per type |');
    expect(markdown).toMatch(/random subset per type \d+\.\d%$/m);
    const results = readJson<{ runs: unknown[]; retention: { randomPerType: number } }>(
      join(out, 'results.json'),
    );
    expect(results.runs).toHaveLength(4);
    expect(results.retention.randomPerType).toBe(retention!.randomPerType);
    // results.json says where each run is, the reused full-data run included.
    expect(experimentRuns(out).map((run) => run.dir)).toEqual([
      new RunFolder(fullRunDir).dir,
      ...['key-subset', 'random-subset', 'random-per-type'].map(
        (d) => new RunFolder(join(out, d)).dir,
      ),
    ]);
  }, 180_000);

  it('--select coverage draws the package coverage subset over the same scores, per type', async () => {
    const out = join(root, 'coverage');
    const outcome = await runKeySubset(
      options,
      { ...recipe, select: 'coverage', stratify: 'type', out, compare: false, fromRun: fullRunDir },
      silentLogger(),
    );
    const train = readJson<RawRecord[]>(trainFile);
    const sampler = new InfoBatchEpochSampler(
      train.length,
      1,
      { pruneRatio: 0.5, delta: 0.875 },
      0,
    );
    sampler.loadState(
      readCheckpointState(new RunFolder(fullRunDir).lastCheckpointPath).samplerState,
    );
    const expected = coverageSubset(keySubsetScores(sampler.history, recipe).scores, {
      count: outcome!.size,
      types: train.map((record, i) => musicAvqaQuestionType(record, i)),
      seed: 42,
    });
    const subset = readJson<RawRecord[]>(outcome!.subsetFile);
    expect(subset.map((r) => r.question_id)).toEqual(
      Array.from(expected, (i) => train[i]!.question_id),
    );
    expect(outcome!.markdown).toContain('coverage-centric draw');
  }, 60_000);

  it('says which flag is wrong', async () => {
    const logger = silentLogger();
    const out = join(root, 'bad');
    await expect(
      runKeySubset({ ...options, infobatch: null }, { ...recipe, out, compare: false }, logger),
    ).rejects.toThrow('--infobatch');
    await expect(
      runKeySubset(
        options,
        { ...recipe, out, compare: false, fromRun: join(root, 'no-such-run') },
        logger,
      ),
    ).rejects.toThrow(/no-such-run/);
    // A run over another dataset holds a history of another size.
    await expect(
      runKeySubset(
        { ...options, videos: 16 },
        { ...recipe, out, compare: false, fromRun: fullRunDir },
        logger,
      ),
    ).rejects.toThrow(/--from-run.*no InfoBatch state for \d+ samples/);
  }, 60_000);
});
