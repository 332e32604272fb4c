import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatherRows, scatterRows } from '../src/index.js';
import { BACKENDS, expectAllClose, ramp, useBackend } from './backends.js';

describe.each(BACKENDS)('gatherRows / scatterRows on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('gathers like tf.gather', () => {
    tf.tidy(() => {
      const table = ramp([6, 3]) as tf.Tensor2D;
      const indices = tf.tensor1d([4, 0, 4, 2], 'int32');
      expectAllClose(gatherRows(table, indices), tf.gather(table, indices));
    });
  });

  it('sends the upstream gradient to gathered rows (summed when repeated) and exactly 0 elsewhere', () => {
    tf.tidy(() => {
      const table = ramp([6, 3]) as tf.Tensor2D;
      const indices = tf.tensor1d([4, 0, 4, 2], 'int32');
      const upstream = ramp([4, 3]);
      const gradient = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, indices), upstream)),
      )(table);
      const g = gradient.arraySync() as number[][];
      const u = upstream.arraySync() as number[][];
      for (let d = 0; d < 3; d++) {
        expect(g[0]![d]).toBeCloseTo(u[1]![d]!, 5);
        expect(g[2]![d]).toBeCloseTo(u[3]![d]!, 5);
        expect(g[4]![d]).toBeCloseTo(u[0]![d]! + u[2]![d]!, 5);
        for (const dropped of [1, 3, 5]) expect(g[dropped]![d]).toBe(0);
      }
    });
  });

  it('scatters rows back and its gradient gathers', () => {
    tf.tidy(() => {
      const rows = ramp([3, 2]) as tf.Tensor2D;
      const indices = tf.tensor1d([3, 0, 1], 'int32');
      const table = scatterRows(rows, indices, 5);
      expectAllClose(gatherRows(table, indices), rows);
      expect((table.arraySync() as number[][])[2]).toEqual([0, 0]);
      const upstream = ramp([5, 2]);
      const gradient = tf.grad((r: tf.Tensor) =>
        tf.sum(tf.mul(scatterRows(r as tf.Tensor2D, indices, 5), upstream)),
      )(rows);
      expectAllClose(gradient, tf.gather(upstream, indices));
    });
  });

  it('survives the caller disposing the indices before backprop', () => {
    tf.tidy(() => {
      const table = ramp([4, 2]) as tf.Tensor2D;
      const gradient = tf.grad((t: tf.Tensor) => {
        const gathered = tf.tidy(() => gatherRows(t as tf.Tensor2D, tf.tensor1d([1, 3], 'int32')));
        return tf.sum(gathered);
      })(table);
      expect(gradient.arraySync()).toEqual([
        [0, 0],
        [1, 1],
        [0, 0],
        [1, 1],
      ]);
    });
  });

  it('leaks no tensors across repeated forward + backward passes', () => {
    const table = ramp([8, 4]) as tf.Tensor2D;
    const indices = tf.tensor1d([7, 1, 2], 'int32');
    const step = () =>
      tf
        .tidy(() => tf.grad((t: tf.Tensor) => tf.sum(gatherRows(t as tf.Tensor2D, indices)))(table))
        .dispose();
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([table, indices]);
  });

  it('rejects float or 2-D indices with a clear message', () => {
    tf.tidy(() => {
      expect(() => gatherRows(ramp([3, 2]) as tf.Tensor2D, tf.tensor1d([0, 1]))).toThrow(
        /int32 1-D/,
      );
      expect(() => scatterRows(ramp([2, 2]) as tf.Tensor2D, tf.tensor1d([0], 'int32'), 3)).toThrow(
        /disagree on K/,
      );
    });
  });
});
