import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { offTape } from '../src/off-tape.js';
import { BACKENDS, useBackend } from './fixtures.js';

describe.each(BACKENDS)('offTape on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('returns what compute returns', () => {
    const x = tf.tensor1d([1, -2, 3]);
    expect(Array.from(offTape(() => tf.square(x)).dataSync())).toEqual([1, 4, 9]);
  });

  it('is a constant to the gradient, and the rest of the gradient is unchanged', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const grad = tf.grad((v: tf.Tensor) =>
      tf.sum(
        tf.add(
          tf.mul(v, 2),
          offTape(() => tf.square(v)),
        ),
      ),
    );
    expect(Array.from(grad(x).dataSync())).toEqual([2, 2, 2]);
  });

  it('records nothing: fewer kernels than the same ops on the tape', async () => {
    const x = tf.variable(tf.randomNormal([8, 16], 0, 1, 'float32', 3));
    const loss = (wrap: (f: () => tf.Tensor) => tf.Tensor) => () =>
      tf.sum(
        tf.mul(
          x,
          wrap(() => tf.softmax(tf.mul(x, 3))),
        ),
      );
    const count = async (wrap: (f: () => tf.Tensor) => tf.Tensor) =>
      (
        await tf.profile(() => {
          const { value, grads } = tf.variableGrads(loss(wrap) as () => tf.Scalar, [x]);
          tf.dispose([value, ...Object.values(grads)]);
        })
      ).kernels.length;
    expect(await count(offTape)).toBeLessThan(await count((f) => f()));
    x.dispose();
  });
});
