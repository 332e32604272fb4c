/**
 * Proportional attention (ToMe): a token that holds s originals should draw the
 * attention s separate copies would, so attention logits get + log(s) on that key.
 * Padding slots get a large negative bias so softmax gives them ~0 weight.
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
