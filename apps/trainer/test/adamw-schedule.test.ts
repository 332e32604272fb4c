import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlatAdam } from '../src/train/flat-adam.js';
import { cosineLearningRate, stepDecayLearningRate } from '../src/train/lr-schedule.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** One step of PyTorch's AdamW on plain numbers (step 1: the moments are the first gradient). */
function adamwFirstStep(p: number, g: number, lr: number, wd: number, eps = 1e-7) {
  const m = 0.1 * g;
  const v = 0.001 * g * g;
  const mHat = m / (1 - 0.9);
  const vHat = v / (1 - 0.999);
  return p * (1 - lr * wd) - (lr * mHat) / (Math.sqrt(vHat) + eps);
}

describe('FlatAdam extras', () => {
  it('decays weight matrices decoupled from the gradient, and leaves rank-1 parameters alone', () => {
    const matrix = tf.variable(tf.tensor2d([[2, -4]]), true, 'adamw/matrix');
    const bias = tf.variable(tf.tensor1d([3]), true, 'adamw/bias');
    const optimizer = new FlatAdam(0.1, 0.9, 0.999, 1e-7, { weightDecay: 0.05 });
    optimizer.applyGradients({
      [matrix.name]: tf.tensor2d([[0.5, 0]]),
      [bias.name]: tf.tensor1d([0.25]),
    });
    const [a, b] = matrix.dataSync();
    expect(a).toBeCloseTo(adamwFirstStep(2, 0.5, 0.1, 0.05), 5);
    // Zero gradient: Adam moves nothing, decoupled decay still shrinks it by lr * wd.
    expect(b).toBeCloseTo(-4 * (1 - 0.1 * 0.05), 5);
    expect(bias.dataSync()[0]).toBeCloseTo(adamwFirstStep(3, 0.25, 0.1, 0), 5);
    optimizer.dispose();
    tf.dispose([matrix, bias]);
  });

  it('clips the gradient by its global norm before the moments see it', () => {
    const make = (name: string) => tf.variable(tf.tensor1d([0, 0]), true, name);
    const clipped = make('clip/a');
    const scaled = make('clip/b');
    const withClip = new FlatAdam(0.01, 0.9, 0.999, 1e-7, { clipNorm: 1 });
    withClip.applyGradients({ [clipped.name]: tf.tensor1d([3, 4]) });
    expect(withClip.lastGradientNorm).toBeCloseTo(5, 5);
    // The same as Adam on the gradient scaled to norm 1 by hand.
    const byHand = new FlatAdam(0.01);
    byHand.applyGradients({ [scaled.name]: tf.tensor1d([0.6, 0.8]) });
    const [x, y] = clipped.dataSync();
    const [hx, hy] = scaled.dataSync();
    expect(x).toBeCloseTo(hx!, 6);
    expect(y).toBeCloseTo(hy!, 6);
    // Under the bound nothing changes.
    const small = make('clip/c');
    const plain = make('clip/d');
    const loose = new FlatAdam(0.01, 0.9, 0.999, 1e-7, { clipNorm: 10 });
    loose.applyGradients({ [small.name]: tf.tensor1d([0.3, -0.2]) });
    const reference = new FlatAdam(0.01);
    reference.applyGradients({ [plain.name]: tf.tensor1d([0.3, -0.2]) });
    expect(Array.from(small.dataSync())).toEqual(Array.from(plain.dataSync()));
    for (const o of [withClip, byHand, loose, reference]) o.dispose();
    tf.dispose([clipped, scaled, small, plain]);
  });

  it('rejects negative settings', () => {
    expect(() => new FlatAdam(0.1, 0.9, 0.999, 1e-7, { weightDecay: -1 })).toThrow(/weightDecay/);
  });
});

describe('learning-rate schedules', () => {
  it('warms up linearly, peaks, then decays along a cosine to the floor', () => {
    const schedule = { lr: 1e-3, warmupSteps: 10, totalSteps: 110 };
    const rates = Array.from({ length: 120 }, (_, step) => cosineLearningRate(schedule, step));
    expect(rates[0]).toBeCloseTo(1e-4, 10);
    expect(rates[9]).toBeCloseTo(1e-3, 10);
    for (let i = 1; i < 10; i++) expect(rates[i]!).toBeGreaterThan(rates[i - 1]!);
    for (let i = 11; i < 110; i++) expect(rates[i]!).toBeLessThanOrEqual(rates[i - 1]!);
    // Half-way through the decay the cosine is at half the peak.
    expect(cosineLearningRate(schedule, 10 + 99 / 2)).toBeCloseTo(5e-4, 8);
    expect(rates[109]).toBeCloseTo(0, 10);
    expect(rates[119]).toBeCloseTo(0, 10);
    expect(cosineLearningRate({ ...schedule, minLr: 1e-5 }, 200)).toBeCloseTo(1e-5, 10);
  });

  it('step decay multiplies by the factor every `every` epochs', () => {
    expect(stepDecayLearningRate(1, { factor: 0.1, every: 2 }, 3)).toBeCloseTo(0.1, 10);
  });
});
