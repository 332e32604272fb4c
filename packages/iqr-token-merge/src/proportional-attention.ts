/**
 * Proportional attention (ToMe), for `mergingBlock`: a token that holds s originals should
 * draw the attention s separate copies would, so attention logits get + log(s) on that key,
 * and padding slots get a large negative bias so softmax gives them ~0 weight. (The AMUSE
 * encoder builds the same bias itself; this package does not import it.)
 */
import * as tf from '@tensorflow/tfjs-core';

/** The bias added to attention logits at padding slots. */
export const PADDING_BIAS = -1e9;

/**
 * Additive attention bias [B, 1, 1, M] from sizes [B, M] and padMask [B, M] (1 = padding),
 * to add to logits [B, H, Nq, M]: log(size) on real tokens, PADDING_BIAS on padding.
 */
export function attentionBias(sizes: tf.Tensor2D, padMask: tf.Tensor2D | null = null): tf.Tensor4D {
  if (sizes.rank !== 2)
    throw new Error(`attentionBias: sizes must be [B, M], got [${sizes.shape}]`);
  if (padMask !== null && (padMask.rank !== 2 || padMask.shape.join() !== sizes.shape.join())) {
    throw new Error(`attentionBias: padMask [${padMask.shape}] must match sizes [${sizes.shape}]`);
  }
  const [batch, tokens] = sizes.shape;
  return tf.tidy(() => {
    // Padding slots have size 0; the floor keeps log finite before they are overwritten.
    const logSizes = tf.log(tf.maximum(sizes, 1e-30));
    const bias =
      padMask === null
        ? logSizes
        : tf.add(tf.mul(logSizes, tf.sub(1, padMask)), tf.mul(padMask, PADDING_BIAS));
    return tf.reshape(bias, [batch, 1, 1, tokens]) as tf.Tensor4D;
  });
}

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
