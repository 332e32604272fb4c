import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluatePredictions } from '@sparsify/avqa-datasets';
import { describe, expect, it } from 'vitest';
import { compareExperiments, experimentRuns } from '../src/commands/compare.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import { blindBaselines } from '../src/report/blind-baselines.js';
import { pairedSummary } from '../src/report/paired-stats.js';
import { randomSource, silentLogger, tempDir } from './fixtures.js';

// 20 questions; a run answers the first `correct` of them right.
const records = randomSource('t', 20, 1).records;
const evaluation = (correct: number) =>
  evaluatePredictions(
    records,
    records.map((r, i) => (i < correct ? r.label : r.label + 1)),
  );

/** An experiment folder as demo writes it, with `correct` answers per run. */
function experiment(
  root: string,
  name: string,
  runs: [string, number][],
  runDirs: 'recorded' | 'conventional' = 'recorded',
): string {
  const dir = join(root, name);
  // A real data spec: compare fits the blind baselines on the first run's data.
  const config = JSON.stringify(
    resolveTrainConfig({ videos: 12, dataSeed: 7, cacheDir: join(root, 'cache') }),
  );
  for (const [i] of runs.entries()) {
    mkdirSync(join(dir, `run-${i}`), { recursive: true });
    writeFileSync(join(dir, `run-${i}`, 'config.json'), config);
  }
  mkdirSync(join(dir, 'dense'), { recursive: true });
  writeFileSync(join(dir, 'dense', 'config.json'), config);
  const results = {
    runs: runs.map(([runName, correct], i) => ({
      name: runName,
      evaluation: evaluation(correct),
      ...(runDirs === 'recorded' ? { runDir: `run-${i}` } : {}),
    })),
  };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
  return dir;
}

describe('sparsify compare', () => {
  it('pairs the runs of each experiment: ratios and differences with t intervals, mean per type', async () => {
    const root = tempDir('compare');
    const plan: [number, number, number][] = [
      [10, 9, 8],
      [12, 12, 9],
      [8, 9, 8],
    ];
    const dirs = plan.map(([a, b, c], e) =>
      experiment(root, `seed${e}`, [
        ['full', a],
        ['key', b],
        ['random', c],
      ]),
    );
    const c = await compareExperiments(dirs, { split: 'test' }, silentLogger());
    expect(c.names).toEqual(['full', 'key', 'random']);
    const percent = (n: number) => (100 * n) / 20;
    expect(c.overall).toEqual(plan.map((row) => row.map(percent)));
    const key = plan.map(([, b]) => percent(b));
    const full = plan.map(([a]) => percent(a));
    const random = plan.map(([, , c3]) => percent(c3));
    expect(c.ratios[0]).toEqual({
      name: 'key',
      of: 'full',
      summary: pairedSummary(key.map((k, e) => (100 * k) / (full[e] as number))),
    });
    const keyMinusRandom = c.differences.find((d) => d.a === 'key' && d.b === 'random');
    expect(keyMinusRandom?.summary).toEqual(
      pairedSummary(key.map((k, e) => k - (random[e] as number))),
    );
    expect(c.differences.map((d) => `${d.a}-${d.b}`)).toEqual([
      'key-full',
      'random-full',
      'key-random',
    ]);
    // Summed counts over one test set: the mean of the per-experiment accuracies.
    expect(100 * (c.pooled[1]?.overall.accuracy ?? 0)).toBeCloseTo(
      key.reduce((a, b) => a + b) / 3,
      10,
    );
    expect(c.markdown).toContain('| key - random (points) | +8.33 |');
    expect(c.markdown).toContain(`| ${dirs[0]} | 50.00 | 45.00 | 40.00 |`);
    const data = await loadDataset(
      resolveTrainConfig({ videos: 12, dataSeed: 7, cacheDir: join(root, 'cache') }).data,
      silentLogger(),
    );
    expect(c.blind).toEqual(blindBaselines(data.train.records, data.test.records));
    expect(c.markdown).toMatch(
      /Blind baselines on this split: .* question-only \d+\.\d\d% overall/,
    );
  });

  it('finds the runs of folders written before results.json named them', () => {
    const root = tempDir('compare-legacy');
    const dir = experiment(
      root,
      'old',
      [
        ['dense', 10],
        ['Sparsify', 11],
      ],
      'conventional',
    );
    mkdirSync(join(dir, 'sparsify'));
    writeFileSync(join(dir, 'sparsify', 'config.json'), '{}');
    expect(experimentRuns(dir).map((run) => run.dir)).toEqual([
      join(dir, 'dense'),
      join(dir, 'sparsify'),
    ]);
  });

  it('names the folder whose runs do not match, and a run that is not where results.json says', async () => {
    const root = tempDir('compare-bad');
    const a = experiment(root, 'a', [
      ['dense', 10],
      ['Sparsify', 11],
    ]);
    const b = experiment(root, 'b', [
      ['dense', 10],
      ['merge-only', 11],
    ]);
    await expect(compareExperiments([a, b], { split: 'test' }, silentLogger())).rejects.toThrow(
      `${b}: runs [dense, merge-only] do not match [dense, Sparsify] of ${a}`,
    );
    const c = experiment(
      root,
      'c',
      [
        ['dense', 10],
        ['mystery', 11],
      ],
      'conventional',
    );
    expect(() => experimentRuns(c)).toThrow(
      `${join(c, 'results.json')}: run 1 ("mystery") names no runDir and has no conventional folder`,
    );
    rmSync(join(a, 'run-1', 'config.json'));
    expect(() => experimentRuns(a)).toThrow(
      `run 1 ("Sparsify") should be in ${join(a, 'run-1')}, which is not a run folder`,
    );
    await expect(compareExperiments([a], { split: 'test' }, silentLogger())).rejects.toThrow(
      'give two or more experiment folders',
    );
  });
});
