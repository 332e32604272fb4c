import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean over tokens weighted per token: [B, N, D] x [B, N] -> [B, D]. With sizes as weights
 * (0 at padding) a merged token counts as the tokens it holds and padding is ignored; null
 * weights give the plain mean. A sample whose weights are all 0 pools to zeros.
 */
export function weightedMean(tokens: tf.Tensor3D, weights: tf.Tensor2D | null): tf.Tensor2D {
  if (weights === null) return tf.mean(tokens, 1);
  const [b, n] = weights.shape;
  // [B, 1, N] x [B, N, D] would be a batched product; a broadcast multiply is cheaper here.
  const weighted = tf.sum(tf.mul(tokens, tf.reshape(weights, [b, n, 1])), 1);
  const total = tf.maximum(tf.sum(weights, 1, true), 1e-6);
  return tf.div(weighted, total) as tf.Tensor2D;
}
