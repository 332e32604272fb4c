/**
 * Question encoder: word embedding over the 93-word vocabulary (id 0 = '<pad>') plus learned
 * positions, then a small pre-LN transformer whose attention ignores padded words.
 * Returns the word tokens (context for the question adapters) and their pooled vector (what
 * the fusion gates with): the padded mean, plus with 'ordered' pooling a learned weighting per
 * position, so the vector depends on which word stands where, not only on which words occur.
 */
import * as tf from '@tensorflow/tfjs-core';
import { keyBias } from './attention.js';
import { Block } from './block.js';
import type { QuestionPooling } from './config.js';
import { Embedding, LayerNorm } from './layers.js';
import { normal, type Scope, zeros } from './module.js';
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
  /** [B, D] mean over real words ('ordered': plus the position-weighted sum). */
  pooled: tf.Tensor2D;
}

export class QuestionEncoder {
  readonly embedding: Embedding;
  readonly position: tf.Variable;
  readonly layers: Block[];
  readonly norm: LayerNorm;
  /** [L, D] per-position, per-channel weights of the ordered read-out; null for 'mean'. */
  readonly positionPool: tf.Variable | null;

  constructor(
    scope: Scope,
    readonly vocabularySize: number,
    readonly length: number,
    readonly width: number,
    heads: number,
    mlpRatio: number,
    layerCount: number,
    readonly pooling: QuestionPooling = 'mean',
  ) {
    this.embedding = new Embedding(scope.child('embedding'), vocabularySize, width);
    this.position = scope.param('position', [length, width], normal());
    this.layers = Array.from(
      { length: layerCount },
      (_, i) => new Block(scope.child('layers').child(i), width, heads, mlpRatio, 'none'),
    );
    this.norm = new LayerNorm(scope.child('norm'), width);
    // Zeros: an 'ordered' encoder starts as the 'mean' one, and a 'mean' model has no such
    // parameter, so its checkpoints keep their names.
    this.positionPool =
      pooling === 'ordered' ? scope.param('positionPool', [length, width], zeros) : null;
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
    const real = tf.sub(1, padMask) as tf.Tensor2D;
    let pooled = weightedMean(tokens, real);
    if (this.positionPool) {
      // sum_i w_i * t_i over real words: swapping two words at positions i and j changes it by
      // (w_i - w_j) * (t_a - t_b), which a mean cannot express.
      const [b, l] = real.shape;
      const weighted = tf.mul(tf.mul(tokens, this.positionPool), tf.reshape(real, [b, l, 1]));
      pooled = tf.add(pooled, tf.sum(weighted, 1)) as tf.Tensor2D;
    }
    return { tokens, padMask, bias, pooled };
  }
}
