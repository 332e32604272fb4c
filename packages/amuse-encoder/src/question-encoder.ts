/**
 * Question encoder: word embedding over the 93-word vocabulary (id 0 = '<pad>') plus learned
 * positions, then a small pre-LN transformer whose attention ignores padded words.
 * Returns the word tokens (context for the question adapters) and their padded-mean vector
 * (what the fusion gates with).
 */
import * as tf from '@tensorflow/tfjs-core';
import { keyBias } from './attention.js';
import { Block } from './block.js';
import { Embedding, LayerNorm } from './layers.js';
import { normal, type Scope } from './module.js';
import { weightedMean } from './pooling.js';

/** The id of '<pad>' in the official question vocabulary. */
export const PAD_ID = 0;

export interface EncodedQuestion {
  /** [B, L, D] */
  tokens: tf.Tensor3D;
  /** [B, L] 1 = '<pad>' */
  padMask: tf.Tensor2D;
  /** [B, L] additive key bias (large negative at padding). */
  bias: tf.Tensor2D;
  /** [B, D] mean over real words. */
  pooled: tf.Tensor2D;
}

export class QuestionEncoder {
  readonly embedding: Embedding;
  readonly position: tf.Variable;
  readonly layers: Block[];
  readonly norm: LayerNorm;

  constructor(
    scope: Scope,
    readonly vocabularySize: number,
    readonly length: number,
    readonly width: number,
    heads: number,
    mlpRatio: number,
    layerCount: number,
  ) {
    this.embedding = new Embedding(scope.child('embedding'), vocabularySize, width);
    this.position = scope.param('position', [length, width], normal());
    this.layers = Array.from(
      { length: layerCount },
      (_, i) => new Block(scope.child('layers').child(i), width, heads, mlpRatio, 'none'),
    );
    this.norm = new LayerNorm(scope.child('norm'), width);
  }

  /** int32 [B, L] word ids -> tokens, mask and pooled vector. */
  apply(ids: tf.Tensor2D): EncodedQuestion {
    if (ids.rank !== 2 || ids.shape[1] !== this.length || ids.dtype !== 'int32') {
      throw new Error(
        `batch.question must be int32 [B, ${this.length}] word ids, got ${ids.dtype} [${ids.shape.join(', ')}]`,
      );
    }
    const padMask = tf.cast(tf.equal(ids, PAD_ID), 'float32') as tf.Tensor2D;
    const bias = keyBias(null, padMask)!;
    let tokens = tf.add(this.embedding.apply(ids), this.position) as tf.Tensor3D;
    for (const layer of this.layers) tokens = layer.apply(tokens, bias, null).tokens;
    tokens = this.norm.apply(tokens);
    const pooled = weightedMean(tokens, tf.sub(1, padMask) as tf.Tensor2D);
    return { tokens, padMask, bias, pooled };
  }
}
