import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainOptionsFrom } from '../src/commands/train-options.js';
import { parseMergeFlag } from '../src/config/flags.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import type { EpochOrder, EpochSampler } from '../src/pipeline/types.js';
import { Rng } from '../src/rng.js';
import { RunFolder } from '../src/run/run-folder.js';
import { FlatAdam } from '../src/train/flat-adam.js';
import { runTrainingLoop, trainStep } from '../src/train/train-loop.js';
import { randomSource, silentLogger, TINY_INPUTS, tempDir, tinyConfig } from './fixtures.js';

/**
 * Where the trainer hands a package's output to another: plausible bugs here (a weight
 * dropped, a flag not passed on) leave every package's own tests green.
 */
beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

const train = randomSource('train', 8, 1);

describe("InfoBatch's per-sample loss weights reach the loss", () => {
  it('trainStep minimises sum_i w_i l_i / B, not the plain mean', async () => {
    const model = new SparsifiedAmuse(tinyConfig(), TINY_INPUTS);
    const optimizer = new FlatAdam(1e-3);
    try {
      const batch = await train.load([0, 1, 2, 3]);
      const weights = Float32Array.from([2, 0, 1, 0.5]);
      const outcome = trainStep(model, optimizer, batch, weights, {
        training: true,
        epoch: 0,
        step: 0,
      });
      const weighted =
        outcome.losses.reduce((sum, l, i) => sum + (weights[i] as number) * l, 0) / 4;
      const plain = outcome.losses.reduce((sum, l) => sum + l, 0) / 4;
      expect(outcome.loss).toBeCloseTo(weighted, 5);
      expect(Math.abs(weighted - plain)).toBeGreaterThan(1e-3);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  });

  it('a training loop whose sampler weighs every sample 0 leaves the weights unchanged', async () => {
    const config = tinyConfig({ epochs: 1 });
    const model = new SparsifiedAmuse(config, TINY_INPUTS);
    const zeroWeights: EpochSampler = {
      planEpoch: (): EpochOrder => ({
        indices: Int32Array.from({ length: 8 }, (_, i) => i),
        weights: new Float32Array(8),
      }),
      update: () => {},
      saveState: () => null,
      loadState: () => {},
    };
    try {
      const before = [...model.parameters.values()].map((v) => Array.from(v.dataSync()));
      await runTrainingLoop({
        config,
        model,
        train,
        val: randomSource('val', 4, 2),
        sampler: zeroWeights,
        rng: new Rng(1),
        folder: new RunFolder(tempDir('zero-weights')),
        logger: silentLogger(),
        resume: false,
      });
      const after = [...model.parameters.values()].map((v) => Array.from(v.dataSync()));
      expect(after).toEqual(before);
    } finally {
      model.dispose();
    }
  });
});

describe('--merge fence,block reaches the encoder', () => {
  it('each block given on the command line merges after that block (the logits differ)', async () => {
    const batch = await train.load([0, 1, 2, 3]);
    const logitsFor = (flag: string) => {
      const config = resolveTrainConfig(
        trainOptionsFrom({ preset: 'merge-only', merge: parseMergeFlag(flag), seed: 3 }),
      );
      const model = new SparsifiedAmuse(config, TINY_INPUTS);
      try {
        return tf.tidy(() => {
          const out = model.forward(batch, { training: false, epoch: 0, step: 0 });
          return {
            logits: Array.from(out.logits.dataSync()),
            kept: out.tokens.videoKept + out.tokens.audioKept,
          };
        });
      } finally {
        model.dispose();
      }
    };
    // Fence 0 keeps only tokens above the median score: merging certainly happens.
    const byBlock = [0, 1, 2, 3].map((block) => logitsFor(`0,${block},0.25`));
    for (const { kept } of byBlock) expect(kept).toBeLessThan(16);
    for (let a = 0; a < byBlock.length; a++) {
      for (let b = a + 1; b < byBlock.length; b++) {
        expect(byBlock[a]?.logits, `blocks ${a} and ${b}`).not.toEqual(byBlock[b]?.logits);
      }
    }
  });
});
