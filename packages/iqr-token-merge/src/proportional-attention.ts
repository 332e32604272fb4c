/**
 * Multi-head scaled dot-product attention with an additive bias on the keys: ToMe's
 * proportional attention (+ log size) and a large negative bias on padding slots, so a
 * merged token draws the attention its members would and padding draws none.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AttentionOutput {
  /** [B, Nq, D] attention output, heads concatenated (before the output projection). */
  output: tf.Tensor3D;
  /** [B, H, Nq, Nk] attention probabilities. */
  probabilities: tf.Tensor4D;
}

/**
 * softmax(Q Kᵀ / √d_h + bias) V per head, for q [B, Nq, D], k and v [B, Nk, D] with the
 * heads concatenated along D, and bias [B, 1, 1, Nk] (e.g. `attentionBias(sizes, padMask)`)
 * or null. Differentiable in q, k and v.
 */
export function multiHeadAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  heads: number,
  bias: tf.Tensor4D | null = null,
): AttentionOutput {
  const [batch, queries, width] = q.shape;
  if (!Number.isInteger(heads) || heads < 1 || width % heads !== 0) {
    throw new Error(
      `multiHeadAttention: heads must be a positive integer dividing D = ${width}, got ${heads}`,
    );
  }
  if (k.shape[0] !== batch || k.shape[2] !== width || v.shape.join() !== k.shape.join()) {
    throw new Error(
      `multiHeadAttention: q [${q.shape}], k [${k.shape}] and v [${v.shape}] must share B and D, and k and v N`,
    );
  }
  const headDim = width / heads;
  return tf.tidy(() => {
    const split = (x: tf.Tensor3D) =>
      tf.transpose(tf.reshape(x, [batch, x.shape[1], heads, headDim]), [0, 2, 1, 3]);
    let logits = tf.mul(tf.matMul(split(q), split(k), false, true), 1 / Math.sqrt(headDim));
    if (bias !== null) logits = tf.add(logits, bias);
    const probabilities = tf.softmax(logits) as tf.Tensor4D;
    const perHead = tf.matMul(probabilities, split(v)); // [B, H, Nq, d_h]
    const output = tf.reshape(tf.transpose(perHead, [0, 2, 1, 3]), [batch, queries, width]);
    return { output: output as tf.Tensor3D, probabilities };
  });
}
