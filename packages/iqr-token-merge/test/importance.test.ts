import { beforeAll, describe, expect, it } from 'vitest';
import { importanceFromAttention, importanceFromQueryKeys } from '../src/index.js';
import { BACKENDS, expectAllClose, tf, useBackend } from './fixtures.js';

describe.each(BACKENDS)('importance on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('averages attention over heads and non-padded queries (hand example)', () => {
    // B = 1, H = 2, Nq = 2, Nk = 3; query 1 is padding and must not count
    const attention = tf.tensor4d(
      [
        [0.6, 0.2, 0.2], // head 0, query 0
        [0.0, 0.0, 1.0], // head 0, query 1 (padding)
        [0.2, 0.2, 0.6], // head 1, query 0
        [1.0, 0.0, 0.0], // head 1, query 1 (padding)
      ].flat(),
      [1, 2, 2, 3],
    );
    const padMask = tf.tensor2d([0, 1], [1, 2]);
    const scores = importanceFromAttention(attention, padMask);
    expect(scores.shape).toEqual([1, 3]);
    expectAllClose(scores.dataSync(), [0.4, 0.2, 0.4], 6);
    const unmasked = importanceFromAttention(attention);
    expectAllClose(unmasked.dataSync(), [0.45, 0.1, 0.45], 6);
    tf.dispose([attention, padMask, scores, unmasked]);
  });

  it('computes softmax(Q K^T / sqrt(d)) averaged over queries, ignoring padded keys', () => {
    const query = tf.tensor3d([2, 0, 0, 0], [1, 2, 2]); // query 1 is zeros: uniform attention
    const keys = tf.tensor3d([1, 0, 0, 1, 5, 5], [1, 3, 2]);
    const keyPadMask = tf.tensor2d([0, 0, 1], [1, 3]);
    const scores = importanceFromQueryKeys(query, keys, null, keyPadMask).dataSync();
    // query 0 logits [2, 0] / sqrt 2 over the two real keys; query 1 uniform
    const first = 1 / (1 + Math.exp(-Math.SQRT2));
    expectAllClose(scores, [(first + 0.5) / 2, (1 - first + 0.5) / 2, 0], 5);
    const onlyFirst = importanceFromQueryKeys(
      query,
      keys,
      tf.tensor2d([0, 1], [1, 2]),
      keyPadMask,
    ).dataSync();
    expect(onlyFirst[0]).toBeCloseTo(first, 5);
    tf.dispose([query, keys, keyPadMask]);
  });

  it('gives zeros to a sample whose queries are all padding', () => {
    const attention = tf.ones([1, 1, 2, 3]) as tf.Tensor4D;
    const scores = importanceFromAttention(attention, tf.ones([1, 2]) as tf.Tensor2D).dataSync();
    expect([...scores]).toEqual([0, 0, 0]);
  });

  it('rejects wrongly shaped inputs', () => {
    const attention = tf.ones([1, 2, 3]);
    expect(() => importanceFromAttention(attention as unknown as tf.Tensor4D)).toThrow(
      /\[B, H, Nq, Nk\]/,
    );
    const fourD = tf.ones([1, 1, 2, 3]) as tf.Tensor4D;
    expect(() => importanceFromAttention(fourD, tf.ones([1, 3]) as tf.Tensor2D)).toThrow(
      /queryPadMask must be \[1, 2\]/,
    );
    tf.dispose([attention, fourD]);
  });
});
