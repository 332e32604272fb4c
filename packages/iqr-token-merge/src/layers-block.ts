/**
 * A pre-norm block from tf.layers layers (or anything with `apply(x)`), so a model built
 * with `tf.layers.dense` / `tf.layers.layerNormalization` plugs into `mergingBlock` and
 * `mergingTransformer` without writing the part functions by hand. Structural: this
 * package does not import @tensorflow/tfjs-layers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PreNormBlock } from './merging-block.js';

/** Anything with `apply(x)` returning a tensor: a tf.layers Layer, a LayersModel, your own. */
export interface ApplicableLayer {
  apply(inputs: tf.Tensor, kwargs?: unknown): unknown;
}

export interface PreNormLayers {
  heads: number;
  norm1: ApplicableLayer;
  /** One projection to [q | k | v] (3·D wide), or give `query`, `key` and `value`. */
  qkv?: ApplicableLayer;
  query?: ApplicableLayer;
  key?: ApplicableLayer;
  value?: ApplicableLayer;
  /** The attention output projection. */
  proj: ApplicableLayer;
  norm2: ApplicableLayer;
  /** The MLP's layers, applied in order, e.g. `[dense(4·D, 'gelu'), dense(D)]`. */
  mlp: ApplicableLayer | readonly ApplicableLayer[];
}

export function preNormBlockFromLayers(layers: PreNormLayers): PreNormBlock {
  const separate = [layers.query, layers.key, layers.value];
  const fused = layers.qkv !== undefined;
  if (
    fused === separate.some((layer) => layer !== undefined) ||
    (!fused && separate.includes(undefined))
  ) {
    throw new Error('preNormBlockFromLayers: give either qkv or all of query, key and value');
  }
  const mlp = Array.isArray(layers.mlp) ? layers.mlp : [layers.mlp as ApplicableLayer];
  return {
    heads: layers.heads,
    norm1: (x) => run(layers.norm1, x, 'norm1'),
    qkv: (x) => {
      if (fused) {
        const [q, k, v] = tf.split(run(layers.qkv!, x, 'qkv'), 3, 2) as tf.Tensor3D[];
        return { q: q!, k: k!, v: v! };
      }
      return {
        q: run(layers.query!, x, 'query'),
        k: run(layers.key!, x, 'key'),
        v: run(layers.value!, x, 'value'),
      };
    },
    proj: (x) => run(layers.proj, x, 'proj'),
    norm2: (x) => run(layers.norm2, x, 'norm2'),
    mlp: (x) => mlp.reduce<tf.Tensor3D>((h, layer, i) => run(layer, h, `mlp[${i}]`), x),
  };
}

function run(layer: ApplicableLayer, x: tf.Tensor3D, name: string): tf.Tensor3D {
  const y = layer.apply(x);
  if (
    !(y instanceof tf.Tensor) ||
    y.rank !== 3 ||
    y.shape[0] !== x.shape[0] ||
    y.shape[1] !== x.shape[1]
  ) {
    const got = y instanceof tf.Tensor ? `[${y.shape}]` : typeof y;
    throw new Error(
      `preNormBlockFromLayers: ${name}.apply must map [B, N, ·] to a [B, N, ·] tensor, got ${got} for [${x.shape}]`,
    );
  }
  return y as tf.Tensor3D;
}
