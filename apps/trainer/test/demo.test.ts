import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { experimentRuns } from '../src/commands/compare.js';
import { demoDecayEvery, runDemo } from '../src/commands/demo.js';
import { silentLogger, tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

describe('sparsify demo (pnpm start) on a tiny benchmark', () => {
  it('trains dense and Sparsify on the same data and writes the comparison', async () => {
    const out = tempDir('demo');
    const outcome = await runDemo(
      { out, videos: 8, epochs: 2, seed: 3, cacheDir: join(out, 'cache'), fastKernels: true },
      silentLogger(),
    );
    expect(outcome).not.toBeNull();
    const { runs, timeRatio, blind, markdown } = outcome!;
    expect(runs.map((run) => run.results.name)).toEqual(['dense', 'Sparsify']);
    const [dense, sparse] = runs;
    // Same test split for both, and Sparsify really ran on fewer tokens.
    expect(sparse!.results.evaluation.overall.total).toBe(dense!.results.evaluation.overall.total);
    expect(sparse!.results.meanTokensKept).toBeLessThan(dense!.results.meanTokensKept);
    expect(timeRatio).toBeCloseTo(sparse!.results.trainSeconds / dense!.results.trainSeconds, 10);
    for (const value of [blind.majority, blind.questionOnly]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(markdown).toContain('| dense |');
    expect(markdown).toContain('| Sparsify |');
    expect(markdown).toMatch(/question-only \d+\.\d\d%/);
    for (const file of ['results.md', 'results.json', 'report.html']) {
      expect(existsSync(join(out, file))).toBe(true);
    }
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.blind).toEqual(blind);
    expect(experimentRuns(out).map((run) => [run.name, run.dir])).toEqual([
      ['dense', join(out, 'dense')],
      ['Sparsify', join(out, 'sparsify')],
    ]);
    // Both runs decay the learning rate once, for the last quarter of the epochs.
    const config = JSON.parse(readFileSync(join(out, 'dense', 'config.json'), 'utf8'));
    expect(config.lrDecay.every).toBe(demoDecayEvery(2));
  }, 120_000);

  it('decays the learning rate for about the last quarter of any run length', () => {
    expect([1, 2, 4, 8, 10, 30].map(demoDecayEvery)).toEqual([1, 2, 3, 6, 8, 23]);
  });
});
