import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import type { EpochSampler, TrainableModel } from '../src/pipeline/types.js';
import { summariseRun } from '../src/report/run-results.js';
import { Rng } from '../src/rng.js';
import { RunFolder } from '../src/run/run-folder.js';
import { readCheckpointState } from '../src/train/checkpoint.js';
import { InfoBatchEpochSampler } from '../src/train/infobatch-sampler.js';
import { runTrainingLoop } from '../src/train/train-loop.js';
import { NonFiniteLossError } from '../src/train/training-errors.js';
import { UniformSampler } from '../src/train/uniform-sampler.js';
import { randomSource, silentLogger, TINY_INPUTS, tempDir, tinyConfig } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

const train = randomSource('train', 12, 1);
const val = randomSource('val', 6, 2);

function samplerFor(config: TrainConfig, rng: Rng): EpochSampler {
  return config.infobatch
    ? new InfoBatchEpochSampler(train.records.length, config.epochs, config.infobatch, config.seed)
    : new UniformSampler(train.records.length, rng);
}

async function run(
  config: TrainConfig,
  dir: string,
  options: {
    stepLimit?: number;
    resume?: boolean;
    wrap?: (m: TrainableModel) => TrainableModel;
    onEpochEnd?: () => void;
  } = {},
) {
  const model = new SparsifiedAmuse(config, TINY_INPUTS);
  const rng = new Rng(config.seed);
  try {
    const result = await runTrainingLoop({
      config,
      model: options.wrap ? options.wrap(model) : model,
      train,
      val,
      sampler: samplerFor(config, rng),
      rng,
      folder: new RunFolder(dir),
      logger: silentLogger(),
      resume: options.resume ?? false,
      stepLimit: options.stepLimit,
      onEpochEnd: options.onEpochEnd,
    });
    const weights = [...model.parameters.values()].map((v) => Array.from(v.dataSync()));
    return { result, weights };
  } finally {
    model.dispose();
  }
}

describe('training loop', () => {
  const allLevels = tinyConfig({
    preset: 'sparsify',
    epochs: 3,
    mask: { ratio: 0.5, epochs: 1 },
    merge: { fence: 0, block: 0, minKeep: 0.5 },
  });

  it('with all three levels on, resuming mid-epoch gives exactly the uninterrupted run, without leaks', async () => {
    const tensorsAfterEpoch: number[] = [];
    const whole = await run(allLevels, tempDir('whole'), {
      onEpochEnd: () => tensorsAfterEpoch.push(tf.memory().numTensors),
    });
    expect(new Set(tensorsAfterEpoch.slice(1)).size).toBe(1);
    // InfoBatch skips well-learned samples after the first epoch.
    const used = whole.result.state.metrics.map((m) => m.samplesUsed);
    expect(used[0]).toBe(train.records.length);
    expect(Math.min(...used)).toBeLessThan(train.records.length);

    const dir = tempDir('split');
    const first = await run(allLevels, dir, { stepLimit: 4 });
    expect(first.result.interrupted).toBe(true);
    expect(first.result.state.epoch).toBe(1);
    const resumed = await run(allLevels, dir, { resume: true });
    expect(resumed.result.interrupted).toBe(false);
    expect(resumed.weights).toEqual(whole.weights);
    const strip = (rows: { seconds: number; cpuSeconds?: number }[]) =>
      rows.map(({ seconds: _, cpuSeconds: __, ...rest }) => rest);
    expect(strip(resumed.result.state.metrics)).toEqual(strip(whole.result.state.metrics));
    expect(strip(new RunFolder(dir).readMetrics())).toEqual(strip(whole.result.state.metrics));
  });

  it('a NaN loss stops the run before it reaches the weights and keeps the last good checkpoint', async () => {
    const config = tinyConfig({ epochs: 2 });
    const dir = tempDir('nan');
    const poison = (model: TrainableModel): TrainableModel => ({
      parameters: model.parameters,
      dispose: () => model.dispose(),
      forward(batch, ctx) {
        const out = model.forward(batch, ctx);
        // Step 4 is the second batch of epoch 2 (3 steps per epoch).
        return ctx.training && ctx.step === 4
          ? { ...out, logits: tf.mul(out.logits, Number.NaN) as tf.Tensor2D }
          : out;
      },
    });
    const folder = new RunFolder(dir);
    const error = await run(config, dir, { wrap: poison }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toContain(folder.lastCheckpointPath);
    expect(folder.readMetrics()).toHaveLength(1);
    const state = readCheckpointState(folder.lastCheckpointPath);
    expect(state.epoch).toBe(1);
  });
  it('records the CPU seconds of each epoch and the tokens into the fusion, summed in the results', async () => {
    const config = tinyConfig({ epochs: 2 });
    const { result } = await run(config, tempDir('cpu'));
    const metrics = result.state.metrics;
    for (const m of metrics) {
      expect(m.cpuSeconds).toBeGreaterThan(0);
      expect(Number.isFinite(m.cpuSeconds)).toBe(true);
    }
    const summary = summariseRun(
      'cpu',
      config,
      metrics,
      { source: val, predictions: new Int32Array(val.records.length), tokensKept: 0 },
      { epoch: 0, valAccuracy: 0 },
    );
    const sum = (pick: (m: (typeof metrics)[number]) => number) =>
      metrics.reduce((s, m) => s + pick(m), 0);
    expect(summary.trainCpuSeconds).toBeCloseTo(
      sum((m) => m.cpuSeconds ?? 0),
      9,
    );
    expect(summary.trainTokens).toBeCloseTo(
      sum((m) => (m.videoTokensKept + m.audioTokensKept) * m.samplesUsed),
      6,
    );
    // Dense: every sample of every epoch brings all its tokens.
    expect(summary.trainTokens).toBeCloseTo(
      sum((m) => (m.videoTokensTotal + m.audioTokensTotal) * m.samplesUsed),
      6,
    );
    // Metrics written before the measurement existed give no CPU figure rather than a wrong one.
    const older = metrics.map(({ cpuSeconds: _, ...rest }) => rest);
    const olderSummary = summariseRun(
      'old',
      config,
      older,
      { source: val, predictions: new Int32Array(val.records.length), tokensKept: 0 },
      { epoch: 0, valAccuracy: 0 },
    );
    expect(olderSummary.trainCpuSeconds).toBeUndefined();
  });
});
