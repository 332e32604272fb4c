import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { MergePlanInput, MergePlanOptions } from '../src/index.js';

export const BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: (typeof BACKENDS)[number]): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

/**
 * The hand example: six tokens, two of them salient (1 and 4); with c = 0 both are key.
 * Sim to key 1 = [1, 0.2]: k0 1, k2 0.2, k3 0.92, k5 0.38; to key 4 = [0, 1]: 0, 1, 0.1, 0.9.
 * So {0, 1, 3} -> output 0 and {2, 4, 5} -> output 1.
 */
export const HAND_EXAMPLE = {
  input: {
    batchSize: 1,
    tokenCount: 6,
    keyDim: 2,
    scores: [0.1, 0.9, 0.1, 0.1, 0.8, 0.1],
    keys: [1, 0, 1, 0.2, 0, 1, 0.9, 0.1, 0, 1, 0.2, 0.9],
    sizes: [1, 2, 1, 1, 1, 3],
  } satisfies MergePlanInput,
  options: { iqrMultiplier: 0 } satisfies MergePlanOptions,
  features: [10, 20, 30, 40, 50, 60],
  // (1*10 + 2*20 + 1*40) / 4 and (1*30 + 1*50 + 3*60) / 5
  merged: [22.5, 52],
  sizes: [4, 5],
  sources: [
    [0, 1, 3],
    [2, 4, 5],
  ],
};

export interface RandomBatch extends MergePlanInput {
  sizes: number[];
  padMask: number[];
  featureDim: number;
  features: number[];
}

/**
 * Random batches with ties (integer scores), padding slots (size 0) and fractional
 * sizes, including batch of one and N = 2.
 */
export const randomBatch: fc.Arbitrary<RandomBatch> = fc
  .record({
    batchSize: fc.integer({ min: 1, max: 3 }),
    tokenCount: fc.integer({ min: 2, max: 10 }),
    keyDim: fc.integer({ min: 1, max: 3 }),
    featureDim: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ batchSize, tokenCount, keyDim, featureDim }) => {
    const cells = batchSize * tokenCount;
    return fc
      .record({
        scores: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: cells, maxLength: cells }),
        keys: fc.array(fc.integer({ min: -3, max: 3 }), {
          minLength: cells * keyDim,
          maxLength: cells * keyDim,
        }),
        features: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), {
          minLength: cells * featureDim,
          maxLength: cells * featureDim,
        }),
        padded: fc.array(fc.boolean(), { minLength: cells, maxLength: cells }),
        paddingAllowed: fc.boolean(),
        sizes: fc.array(fc.constantFrom(1, 1, 2, 3, 0.5), { minLength: cells, maxLength: cells }),
      })
      .map(({ scores, keys, features, padded, paddingAllowed, sizes }) => {
        const padMask = padded.map((pad) => (pad && paddingAllowed ? 1 : 0));
        return {
          batchSize,
          tokenCount,
          keyDim,
          featureDim,
          scores: scores.map((score) => score / 4),
          keys,
          features,
          padMask,
          sizes: sizes.map((size, i) => (padMask[i] ? 0 : size)),
        };
      });
  });

export const randomOptions: fc.Arbitrary<MergePlanOptions> = fc.record({
  iqrMultiplier: fc.constantFrom(0, 1.5),
  similarity: fc.constantFrom('dot' as const, 'cosine' as const),
  minKeep: fc.constantFrom(1, 2, 0.3),
});

/** Central differences of a scalar function of a flat array. */
export function numericalGradient(
  f: (values: Float32Array) => number,
  at: Float32Array,
  step = 1e-2,
) {
  const gradient = new Float32Array(at.length);
  for (let i = 0; i < at.length; i++) {
    const plus = Float32Array.from(at);
    const minus = Float32Array.from(at);
    plus[i]! += step;
    minus[i]! -= step;
    gradient[i] = (f(plus) - f(minus)) / (2 * step);
  }
  return gradient;
}

/** Element-wise toBeCloseTo with a message naming the index. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 5) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(actual[i], `element ${i}`).toBeCloseTo(expected[i]!, digits);
  }
}

export { tf };
