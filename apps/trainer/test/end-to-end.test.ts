import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticBenchmark } from '@sparsify/avqa-datasets';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { askRun } from '../src/commands/ask.js';
import {
  activeKernelsLabel,
  evaluateAndSave,
  evaluateRun,
  type SavedEvaluation,
  savedEvaluationPath,
} from '../src/commands/eval.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import type { RunResults } from '../src/report/run-results.js';
import { RunFolder } from '../src/run/run-folder.js';
import { trainRun } from '../src/train/train-run.js';
import { runCli, silentLogger, tempDir } from './fixtures.js';

const VIDEOS = 12;
const DATA_SEED = 7;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

describe('sparsify end to end on a tiny synthetic benchmark', () => {
  const root = tempDir('e2e');
  const config = resolveTrainConfig({
    preset: 'sparsify',
    videos: VIDEOS,
    dataSeed: DATA_SEED,
    cacheDir: join(root, 'cache'),
    epochs: 2,
    batchSize: 8,
    mask: { ratio: 0.5, epochs: 1 },
  });

  it('trains, resumes to the uninterrupted result, evaluates, answers and reports', async () => {
    const logger = silentLogger();
    const dataset = await loadDataset(config.data, logger);
    expect(
      existsSync(
        join(config.data.kind === 'synthetic' ? config.data.dir : '', 'json', 'avqa-train.json'),
      ),
    ).toBe(true);

    const whole = await trainRun({ config, runDir: join(root, 'whole'), logger, dataset });
    const splitDir = join(root, 'split');
    const stopped = await trainRun({ config, runDir: splitDir, logger, dataset, stepLimit: 9 });
    expect(stopped.results).toBeNull();
    const resumed = await trainRun({ config, runDir: splitDir, logger, resume: true });
    expect(resumed.results?.evaluation).toEqual(whole.results?.evaluation);
    expect(resumed.results?.bestEpoch).toBe(whole.results?.bestEpoch);

    const folder = new RunFolder(splitDir);
    for (const path of [
      folder.configPath,
      folder.metricsPath,
      folder.lastCheckpointPath,
      folder.bestCheckpointPath,
      folder.resultsMarkdownPath,
    ]) {
      expect(existsSync(path), path).toBe(true);
    }
    const results = JSON.parse(readFileSync(folder.resultsJsonPath, 'utf8')) as RunResults;
    expect(results.evaluation.overall.total).toBe(dataset.test.records.length);
    expect(results.meanTokensKept).toBeLessThan(results.tokensTotal);
    const report = readFileSync(folder.reportPath, 'utf8');
    expect(report).toContain('<svg');
    expect(report).not.toMatch(/<script|src="http/);
    expect(report).toContain('<th scope="row">question-only (no training)</th>');
    expect(report).toContain('<caption>What each run cost');

    const evaluated = await evaluateRun(splitDir, 'test', 'best', logger, dataset);
    expect(evaluated.evaluation).toEqual(results.evaluation);
    const heldout = await evaluateRun(splitDir, 'heldout', 'best', logger, dataset, 4);
    const heldoutQuestions = heldout.evaluation.overall.total;
    expect(heldoutQuestions).toBeGreaterThan(0);
    expect(heldoutQuestions).not.toBe(results.evaluation.overall.total);
    expect(heldout.tokensKept).toBe(evaluated.tokensKept);

    // Saved beside the checkpoints; reused only for the same checkpoint bytes.
    const options = { heldoutVideos: 4, dataset };
    const saved = await evaluateAndSave(splitDir, 'heldout', 'best', logger, options);
    expect(saved.evaluation).toEqual(heldout.evaluation);
    const savedPath = savedEvaluationPath(splitDir, 'heldout', 'best', 4);
    const file = JSON.parse(readFileSync(savedPath, 'utf8')) as SavedEvaluation;
    writeFileSync(savedPath, JSON.stringify({ ...file, tokensKept: -1 }));
    const reuse = { ...options, reuse: true };
    expect((await evaluateAndSave(splitDir, 'heldout', 'best', logger, reuse)).tokensKept).toBe(-1);
    writeFileSync(savedPath, JSON.stringify({ ...file, tokensKept: -1, checkpointSha256: 'x' }));
    expect(await evaluateAndSave(splitDir, 'heldout', 'best', logger, reuse)).toEqual(saved);
    // Nor from other kernels (here the wasm fast kernels without the addon), nor from a file
    // that does not say which kernels made it.
    expect(saved.kernels).toBe(activeKernelsLabel());
    expect(saved.kernels).toMatch(/^xnnpack matmul, wasm fused, SIMD (stock|fma)$/);
    writeFileSync(savedPath, JSON.stringify({ ...file, tokensKept: -1, kernels: 'native-blas' }));
    expect(await evaluateAndSave(splitDir, 'heldout', 'best', logger, reuse)).toEqual(saved);
    const { kernels: _dropped, ...withoutKernels } = file;
    writeFileSync(savedPath, JSON.stringify({ ...withoutKernels, tokensKept: -1 }));
    expect(await evaluateAndSave(splitDir, 'heldout', 'best', logger, reuse)).toEqual(saved);

    // Other merging at inference (--merge), same weights, saved under its own name: off keeps
    // every token, a larger minKeep more than the run's own, and the run's own file is kept.
    const unmerged = await evaluateAndSave(splitDir, 'heldout', 'best', logger, {
      ...options,
      merge: null,
    });
    expect(unmerged.merge).toBe('off');
    expect(unmerged.tokensKept).toBe(results.tokensTotal);
    expect(unmerged.evaluation.overall.total).toBe(heldoutQuestions);
    const offPath = savedEvaluationPath(splitDir, 'heldout', 'best', 4, undefined, undefined, null);
    expect(offPath).toMatch(/heldout-4-best-merge-off\.json$/);
    expect(JSON.parse(readFileSync(offPath, 'utf8'))).toEqual(unmerged);
    expect(JSON.parse(readFileSync(savedPath, 'utf8'))).toEqual(saved);
    const { events } = await runCli([
      'eval',
      splitDir,
      '--split',
      'heldout',
      '--heldout-videos',
      '4',
      '--merge',
      'off',
    ]);
    const result = events.find((event) => event.event === 'result');
    expect(result?.tokensKept).toBe(results.tokensTotal);
    expect(JSON.parse(readFileSync(offPath, 'utf8')).evaluation).toEqual(unmerged.evaluation);
    const half = { fence: 1.5, block: 1, minKeep: 0.5 };
    const lighter = await evaluateAndSave(splitDir, 'heldout', 'best', logger, {
      ...options,
      merge: half,
    });
    expect(lighter.merge).toBe('1.5,1,0.5');
    expect(savedEvaluationPath(splitDir, 'heldout', 'best', 4, undefined, undefined, half)).toMatch(
      /heldout-4-best-merge-1\.5-1-0\.5\.json$/,
    );
    expect(
      existsSync(savedEvaluationPath(splitDir, 'heldout', 'best', 4, undefined, undefined, half)),
    ).toBe(true);
    expect(lighter.tokensKept).toBeGreaterThan(saved.tokensKept);
    expect(lighter.tokensKept).toBeLessThan(unmerged.tokensKept);
    const deep = { ...half, block: 99 };
    await expect(
      evaluateAndSave(splitDir, 'heldout', 'best', logger, { ...options, merge: deep }),
    ).rejects.toThrow('--merge block: the tiny model has blocks 0..3, got 99');

    const media = join(root, 'media');
    await generateSyntheticBenchmark({ out: media, videos: VIDEOS, seed: DATA_SEED, media: 'mp4' });
    const record = dataset.test.records[0];
    if (!record) throw new Error('empty test split');
    const answer = await askRun(
      splitDir,
      { video: join(media, 'videos', `${record.videoId}.mp4`) },
      record.filledQuestion,
      logger,
    );
    expect(answer.answers).toHaveLength(3);
    const probabilities = answer.answers.map((a) => a.probability);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);
    expect(answer.tokens.videoKept).toBeLessThan(answer.tokens.videoTotal);
  });
});
