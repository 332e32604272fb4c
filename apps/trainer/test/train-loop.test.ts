import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import type { EpochSampler, TrainableModel } from '../src/pipeline/types.js';
import { Rng } from '../src/rng.js';
import { RunFolder } from '../src/run/run-folder.js';
import { InfoBatchEpochSampler } from '../src/train/infobatch-sampler.js';
import { runTrainingLoop } from '../src/train/train-loop.js';
import { NonFiniteLossError } from '../src/train/training-errors.js';
import { UniformSampler } from '../src/train/uniform-sampler.js';
import { randomSource, silentLogger, TINY_INPUTS, tempDir, tinyConfig } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const train = randomSource('train', 12, 1);
const val = randomSource('val', 6, 2);

function samplerFor(config: TrainConfig, rng: Rng): EpochSampler {
  return config.infobatch
    ? new InfoBatchEpochSampler(train.records.length, config.epochs, config.infobatch, config.seed)
    : new UniformSampler(train.records.length, rng);
}

async function run(config: TrainConfig, dir: string, options: { stepLimit?: number; resume?: boolean; wrap?: (m: TrainableModel) => TrainableModel; onEpochEnd?: () => void } = {}) {
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
  it.each([
    ['dense', tinyConfig()],
    ['sparsify', tinyConfig({ preset: 'sparsify', mask: { ratio: 0.5, epochs: 1 }, merge: { fence: 0, block: 0 } })],
  ])('%s: resuming mid-epoch gives exactly the uninterrupted run', async (_name, config) => {
    const whole = await run(config, tempDir('whole'));
    const dir = tempDir('split');
    const first = await run(config, dir, { stepLimit: 4 });
    expect(first.result.interrupted).toBe(true);
    expect(first.result.state.epoch).toBe(1);
    expect(first.result.state.stepInEpoch).toBe(1);
    const resumed = await run(config, dir, { resume: true });
    expect(resumed.result.interrupted).toBe(false);
    expect(resumed.weights).toEqual(whole.weights);
    const strip = (rows: { seconds: number }[]) => rows.map(({ seconds: _, ...rest }) => rest);
    expect(strip(resumed.result.state.metrics)).toEqual(strip(whole.result.state.metrics));
    expect(strip(new RunFolder(dir).readMetrics())).toEqual(strip(whole.result.state.metrics));
  });

  it('InfoBatch trains on fewer samples per epoch and resumes exactly', async () => {
    const config = tinyConfig({ preset: 'infobatch-only', epochs: 3 });
    const whole = await run(config, tempDir('ib'));
    const used = whole.result.state.metrics.map((m) => m.samplesUsed);
    expect(used[0]).toBe(train.records.length);
    expect(Math.min(...used)).toBeLessThan(train.records.length);
    const dir = tempDir('ib-split');
    await run(config, dir, { stepLimit: 5 });
    const resumed = await run(config, dir, { resume: true });
    expect(resumed.weights).toEqual(whole.weights);
  });

  it('a NaN loss stops the run before it reaches the weights and keeps the last good checkpoint', async () => {
    const config = tinyConfig({ epochs: 3 });
    const dir = tempDir('nan');
    const poison = (model: TrainableModel): TrainableModel => ({
      parameters: model.parameters,
      dispose: () => model.dispose(),
      forward(batch, ctx) {
        const out = model.forward(batch, ctx);
        // Step 4 is the second batch of epoch 2 (3 steps per epoch).
        return ctx.training && ctx.step === 4 ? { ...out, logits: tf.mul(out.logits, Number.NaN) as tf.Tensor2D } : out;
      },
    });
    const folder = new RunFolder(dir);
    await expect(run(config, dir, { wrap: poison })).rejects.toBeInstanceOf(NonFiniteLossError);
    expect(existsSync(folder.lastCheckpointPath)).toBe(true);
    expect(folder.readMetrics()).toHaveLength(1);
    // The checkpoint is the end of epoch 1, and a resume without the fault finishes the run.
    const resumed = await run(config, dir, { resume: true });
    expect(resumed.result.state.metrics).toHaveLength(3);
    expect(resumed.weights.flat().every(Number.isFinite)).toBe(true);
  });

  it('holds the same number of tensors after every epoch', async () => {
    const config = tinyConfig({ preset: 'sparsify', epochs: 3, mask: { ratio: 0.5, epochs: 1 }, merge: { fence: 0, block: 0 } });
    const counts: number[] = [];
    await run(config, tempDir('leak'), { onEpochEnd: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts.slice(1)).size).toBe(1);
  });
});
