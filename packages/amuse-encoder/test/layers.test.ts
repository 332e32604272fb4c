import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { matMulPlainGrad } from '../src/fused-ops.js';
import { keyBias, PADDING_BIAS } from '../src/index.js';
import { BACKENDS, useBackend } from './fixtures.js';

describe.each(BACKENDS)('layers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('matMulPlainGrad has matMul value and gradients, for any shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 1000 }),
        (rows, inner, cols, seed) => {
          const x = tf.randomNormal([rows, inner], 0, 1, 'float32', seed) as tf.Tensor2D;
          const w = tf.randomNormal([inner, cols], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
          const up = tf.randomNormal([rows, cols], 0, 1, 'float32', seed + 2);
          const loss =
            (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) => (a: tf.Tensor, b: tf.Tensor) =>
              tf.sum(tf.mul(f(a as tf.Tensor2D, b as tf.Tensor2D), up));
          const [gxRef, gwRef] = tf.grads(loss(tf.matMul))([x, w]);
          const [gx, gw] = tf.grads(loss(matMulPlainGrad))([x, w]);
          expect(Array.from(matMulPlainGrad(x, w).dataSync())).toEqual(
            Array.from(tf.matMul(x, w).dataSync()),
          );
          for (const [a, b] of [
            [gx!, gxRef!],
            [gw!, gwRef!],
          ] as const) {
            expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-4);
          }
          tf.dispose([x, w, up, gx!, gw!, gxRef!, gwRef!]);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('keyBias is log(size) for real tokens and PADDING_BIAS at padding', () => {
    const sizes = tf.tensor2d([[1, 2, 4, 0]]);
    const padMask = tf.tensor2d([[0, 0, 0, 1]]);
    const bias = Array.from(keyBias(sizes, padMask)!.dataSync());
    expect(bias[0]).toBeCloseTo(0, 6);
    expect(bias[1]).toBeCloseTo(Math.log(2), 6);
    expect(bias[2]).toBeCloseTo(Math.log(4), 6);
    expect(bias[3]).toBeLessThan(PADDING_BIAS / 2);
    expect(keyBias(null, null)).toBeNull();
  });
});
