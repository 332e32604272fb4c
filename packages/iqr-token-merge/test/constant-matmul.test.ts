import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constantMatMul, FAST_BATCHED_MATMUL } from '../src/constant-matmul.js';
import { BACKENDS, expectAllClose, tf, useBackend } from './fixtures.js';

// constantMatMul is speed only: the merge product W x written as one 2-D matmul per sample.
// Its value and gradient must be those of the plain batched product tf.matMul(W, x).
describe.each(BACKENDS)('constantMatMul against tf.matMul on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([1, 3])('gives the batched product and its gradient for B = %i', (batch) => {
    const [rows, columns, channels] = [4, 6, 5];
    const w = tf.randomUniform([batch, rows, columns], 0, 1, 'float32', 11) as tf.Tensor3D;
    const x = tf.randomNormal([batch, columns, channels], 0, 1, 'float32', 12) as tf.Tensor3D;
    const dy = tf.randomNormal([batch, rows, channels], 0, 1, 'float32', 13) as tf.Tensor3D;
    const values = w.dataSync() as Float32Array;
    const fast = (t: tf.Tensor) => constantMatMul(values, [batch, rows, columns], t as tf.Tensor3D);
    const plain = (t: tf.Tensor) => tf.matMul(w, t as tf.Tensor3D);
    expect(fast(x).shape).toEqual([batch, rows, channels]);
    expectAllClose(fast(x).dataSync(), plain(x).dataSync());
    const gradient = (f: (t: tf.Tensor) => tf.Tensor) =>
      tf.grad((t) => tf.sum(tf.mul(f(t), dy)))(x);
    expectAllClose(gradient(fast).dataSync(), gradient(plain).dataSync());
  });

  // A merge whose every token is padding has no output token: W is [B, 0, N], and W^T dy
  // sums over nothing. Stock wasm's XNNPACK refuses inner size 0 and left the gradient
  // uninitialised (found by merge-apply's property test, 2026-12-05).
  it.each([1, 2])('sums over nothing as zeros (no output rows, or no columns), B = %i', (batch) => {
    const channels = 3;
    // Fill the heap with non-zeros first, so that an uninitialised output would show.
    tf.tidy(() => tf.add(tf.ones([64, 64]), tf.ones([64, 64])).dataSync());
    const x = tf.randomNormal([batch, 2, channels], 0, 1, 'float32', 14) as tf.Tensor3D;
    const noRows = (t: tf.Tensor) =>
      constantMatMul(new Float32Array(0), [batch, 0, 2], t as tf.Tensor3D);
    expect(noRows(x).shape).toEqual([batch, 0, channels]);
    const gradient = tf.grad((t) => tf.sum(noRows(t)))(x);
    expect(gradient.shape).toEqual([batch, 2, channels]);
    expect([...gradient.dataSync()]).toEqual(new Array(batch * 2 * channels).fill(0));
    const empty = tf.zeros([batch, 0, channels]) as tf.Tensor3D;
    const noColumns = constantMatMul(new Float32Array(0), [batch, 4, 0], empty);
    expect(noColumns.shape).toEqual([batch, 4, channels]);
    expect([...noColumns.dataSync()]).toEqual(new Array(batch * 4 * channels).fill(0));
  });
});

// Where a fast batched product is registered under FAST_BATCHED_MATMUL (tfjs-fast-kernels on
// wasm), constantMatMul is one launch each way. Here cpu's own BatchMatMul stands in for it.
describe('constantMatMul through a registered batched product (cpu BatchMatMul standing in)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    const batchMatMul = tf.getKernel('BatchMatMul', 'cpu')!;
    tf.registerKernel({ ...batchMatMul, kernelName: FAST_BATCHED_MATMUL });
  });
  afterAll(() => tf.unregisterKernel(FAST_BATCHED_MATMUL, 'cpu'));

  it.each([1, 3])(
    'gives the batched product and its gradient for B = %i, one product each way',
    async (batch) => {
      const [rows, columns, channels] = [4, 6, 5];
      const w = tf.randomUniform([batch, rows, columns], 0, 1, 'float32', 21) as tf.Tensor3D;
      const x = tf.randomNormal([batch, columns, channels], 0, 1, 'float32', 22) as tf.Tensor3D;
      const dy = tf.randomNormal([batch, rows, channels], 0, 1, 'float32', 23) as tf.Tensor3D;
      const values = w.dataSync() as Float32Array;
      const fast = (t: tf.Tensor) =>
        constantMatMul(values, [batch, rows, columns], t as tf.Tensor3D);
      const plain = (t: tf.Tensor) => tf.matMul(w, t as tf.Tensor3D);
      const gradient = (f: (t: tf.Tensor) => tf.Tensor) =>
        tf.grad((t) => tf.sum(tf.mul(f(t), dy)))(x);
      expect(Array.from(fast(x).dataSync())).toEqual(Array.from(plain(x).dataSync()));
      expect(Array.from(gradient(fast).dataSync())).toEqual(Array.from(gradient(plain).dataSync()));
      const info = await tf.profile(() => gradient(fast));
      const names = info.kernels.map((k) => k.name);
      expect(names.filter((n) => n === FAST_BATCHED_MATMUL)).toHaveLength(2);
      expect(names.filter((n) => n === 'Unpack' || n === 'Pack' || n === 'BatchMatMul')).toEqual(
        [],
      );
    },
  );
});
