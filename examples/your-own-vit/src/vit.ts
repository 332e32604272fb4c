/**
 * A small Vision Transformer written with plain TensorFlow.js ops over tf.variable weights:
 * patchify, a linear patch embedding, a class token and positions, pre-norm blocks, and a
 * linear head on the class token. Nothing in it knows about Sparsify; `blocks` is simply
 * given in the shape the token-merging wrapper takes (norm1, qkv, proj, norm2, mlp).
 */
import type { PreNormBlock } from '@sparsify/iqr-token-merge';
import * as tf from '@tensorflow/tfjs';

export interface ViTConfig {
  imageSize: number;
  patchSize: number;
  channels: number;
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  classes: number;
  seed: number;
}

export interface ViT {
  config: ViTConfig;
  /** Patches plus the class token, N = (imageSize / patchSize)² + 1. */
  tokenCount: number;
  /** Images [B, H, W, C] -> tokens [B, N, D] (class token first, positions added). */
  embed(images: tf.Tensor4D): tf.Tensor3D;
  blocks: PreNormBlock[];
  /** Tokens [B, M, D] whose first token is the class token -> logits [B, classes]. */
  head(tokens: tf.Tensor3D): tf.Tensor2D;
  variables: tf.Variable[];
}

export function createViT(config: ViTConfig): ViT {
  const { imageSize, patchSize, channels, width, depth, heads, mlpRatio, classes } = config;
  const perSide = imageSize / patchSize;
  const patches = perSide * perSide;
  const patchDim = patchSize * patchSize * channels;
  let salt = config.seed;
  const variables: tf.Variable[] = [];
  const weight = (shape: number[], scale = 0.02) => {
    const v = tf.variable(tf.randomNormal(shape, 0, scale, 'float32', salt++));
    variables.push(v);
    return v;
  };
  const constant = (shape: number[], value: number) => {
    const v = tf.variable(tf.fill(shape, value));
    variables.push(v);
    return v;
  };

  const patchEmbedding = weight([patchDim, width], 1 / Math.sqrt(patchDim));
  const patchBias = constant([width], 0);
  const classToken = weight([1, 1, width]);
  const positions = weight([1, patches + 1, width]);

  const blocks = Array.from({ length: depth }, (): PreNormBlock => {
    const norm1 = layerNorm(constant([width], 1), constant([width], 0));
    const norm2 = layerNorm(constant([width], 1), constant([width], 0));
    const qkv = weight([width, 3 * width], 1 / Math.sqrt(width));
    const proj = weight([width, width], 1 / Math.sqrt(width));
    const hidden = weight([width, mlpRatio * width], 1 / Math.sqrt(width));
    const hiddenBias = constant([mlpRatio * width], 0);
    const out = weight([mlpRatio * width, width], 1 / Math.sqrt(mlpRatio * width));
    return {
      heads,
      norm1,
      qkv: (x) => {
        const [q, k, v] = tf.split(dense(x, qkv), 3, 2) as tf.Tensor3D[];
        return { q: q!, k: k!, v: v! };
      },
      proj: (x) => dense(x, proj),
      norm2,
      mlp: (x) => dense(tf.relu(dense(x, hidden, hiddenBias)), out),
    };
  });

  const headNorm = layerNorm(constant([width], 1), constant([width], 0));
  const headWeight = weight([width, classes], 1 / Math.sqrt(width));
  const headBias = constant([classes], 0);

  return {
    config,
    tokenCount: patches + 1,
    embed: (images) =>
      tf.tidy(() => {
        const batch = images.shape[0];
        const patched = dense(patchify(images, patchSize), patchEmbedding, patchBias);
        const cls = tf.tile(classToken, [batch, 1, 1]);
        return tf.add(tf.concat([cls, patched], 1), positions) as tf.Tensor3D;
      }),
    blocks,
    head: (tokens) =>
      tf.tidy(() => {
        const [batch, , channelsOut] = tokens.shape;
        const cls = tf.reshape(tf.slice(tokens, [0, 0, 0], [batch, 1, channelsOut]), [
          batch,
          1,
          channelsOut,
        ]) as tf.Tensor3D;
        const logits = dense(headNorm(cls), headWeight, headBias);
        return tf.reshape(logits, [batch, classes]) as tf.Tensor2D;
      }),
    variables,
  };
}

/** [B, H, W, C] -> [B, (H/p)(W/p), p·p·C], patches read row by row. */
export function patchify(images: tf.Tensor4D, patchSize: number): tf.Tensor3D {
  const [batch, height, width, channels] = images.shape;
  if (height % patchSize !== 0 || width % patchSize !== 0) {
    throw new Error(`patchify: ${height}x${width} images do not split into ${patchSize}px patches`);
  }
  const rows = height / patchSize;
  const columns = width / patchSize;
  return tf.tidy(() => {
    const grid = tf.reshape(images, [batch, rows, patchSize, columns, patchSize, channels]);
    return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4, 5]), [
      batch,
      rows * columns,
      patchSize * patchSize * channels,
    ]) as tf.Tensor3D;
  });
}

/** x [B, N, D_in] · w [D_in, D_out] (+ b), as one 2-D matmul. */
function dense(x: tf.Tensor3D, w: tf.Tensor2D | tf.Variable, b?: tf.Variable): tf.Tensor3D {
  const [batch, tokens, inDim] = x.shape;
  const outDim = w.shape[1]!;
  const flat = tf.matMul(tf.reshape(x, [batch * tokens, inDim]), w as tf.Tensor2D);
  const biased = b === undefined ? flat : tf.add(flat, b);
  return tf.reshape(biased, [batch, tokens, outDim]) as tf.Tensor3D;
}

function layerNorm(gain: tf.Variable, bias: tf.Variable) {
  return (x: tf.Tensor3D): tf.Tensor3D => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(normed, gain), bias) as tf.Tensor3D;
  };
}
