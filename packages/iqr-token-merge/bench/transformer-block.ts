/**
 * One pre-norm ViT block (LayerNorm, multi-head self-attention with an additive key
 * bias, LayerNorm, GELU MLP) in tfjs-core functional ops, as a stock-wasm encoder would
 * run it. Weights fold the batch into rows so they use wasm's fast 2-D matmul.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface BlockWeights {
  heads: number;
  qkv: tf.Tensor2D; // [D, 3D]
  projection: tf.Tensor2D; // [D, D]
  hidden: tf.Tensor2D; // [D, 4D]
  output: tf.Tensor2D; // [4D, D]
}

export function initBlock(dim: number, heads: number, seed: number): BlockWeights {
  const init = (rows: number, columns: number, offset: number) =>
    tf.randomNormal(
      [rows, columns],
      0,
      1 / Math.sqrt(rows),
      'float32',
      seed + offset,
    ) as tf.Tensor2D;
  return {
    heads,
    qkv: init(dim, 3 * dim, 0),
    projection: init(dim, dim, 1),
    hidden: init(dim, 4 * dim, 2),
    output: init(4 * dim, dim, 3),
  };
}

/** x [B, N, D] -> [B, N, D]; keyBias [B, 1, 1, N] (proportional attention, padding) or null. */
export function runBlock(weights: BlockWeights, x: tf.Tensor3D, keyBias: tf.Tensor4D | null) {
  return tf.tidy(() => {
    const [batch, tokens, dim] = x.shape;
    const { heads } = weights;
    const headDim = dim / heads;
    const rows = tf.reshape(x, [batch * tokens, dim]);
    const qkv = tf.matMul(layerNorm(rows), weights.qkv); // [B N, 3D]
    const split = (index: number) =>
      tf.transpose(
        tf.reshape(tf.slice(qkv, [0, index * dim], [-1, dim]), [batch, tokens, heads, headDim]),
        [0, 2, 1, 3],
      ); // [B, H, N, dh]
    let logits = tf.mul(tf.matMul(split(0), split(1), false, true), 1 / Math.sqrt(headDim));
    if (keyBias !== null) logits = tf.add(logits, keyBias);
    const mixed = tf.matMul(tf.softmax(logits), split(2)); // [B, H, N, dh]
    const merged = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [batch * tokens, dim]);
    const attended = tf.add(rows, tf.matMul(merged, weights.projection));
    const hidden = gelu(tf.matMul(layerNorm(attended), weights.hidden));
    const out = tf.add(attended, tf.matMul(hidden, weights.output));
    return tf.reshape(out, [batch, tokens, dim]) as tf.Tensor3D;
  });
}

/** The keys of the block's attention for x (heads concatenated), [B, N, D]. */
export function blockKeys(weights: BlockWeights, x: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, tokens, dim] = x.shape;
    const rows = layerNorm(tf.reshape(x, [batch * tokens, dim]));
    const keys = tf.matMul(rows, tf.slice(weights.qkv, [0, dim], [dim, dim]));
    return tf.reshape(keys, [batch, tokens, dim]) as tf.Tensor3D;
  });
}

function layerNorm(rows: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(rows, 1, true);
  return tf.div(tf.sub(rows, mean), tf.sqrt(tf.add(variance, 1e-5))) as tf.Tensor2D;
}

function gelu(x: tf.Tensor2D): tf.Tensor2D {
  // tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
}
