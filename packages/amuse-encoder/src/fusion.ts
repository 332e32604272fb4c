/**
 * Fusion as AMUSE does it: each stream's token mean (size-weighted, padding ignored) is gated
 * by sigmoid(W q + b) of the pooled question q; the gated streams are summed; an MLP maps
 * the sum to answer logits. With `questionInHead` the sum also gets U q (U zero at the start).
 * With `comparisonHead` the logits also get a low-rank bilinear question x streams term,
 * V((A q + a) * (C_a s_a + C_v s_v + c)), V zero at the start: gates in (0, 1) can select
 * what a question asks about but cannot take a signed difference of two named instruments'
 * levels, a product of the question with the streams can.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Mlp } from './layers.js';
import { type Scope, zeros } from './module.js';
import { weightedMean } from './pooling.js';

export interface PooledStream {
  /** [B, N, D] final-normalised tokens */
  tokens: tf.Tensor3D;
  /** [B, N] pooling weights (sizes with 0 at padding) or null for all ones */
  weights: tf.Tensor2D | null;
}

export class Fusion {
  readonly videoGate: Linear;
  readonly audioGate: Linear;
  readonly head: Mlp;
  /** U of `questionInHead` [D, D]; null in AMUSE's fusion. */
  readonly questionToHead: tf.Variable | null;
  /** A, C_a, C_v and V of `comparisonHead`; null in AMUSE's fusion. */
  readonly comparison: {
    question: Linear;
    audio: Linear;
    video: Linear;
    /** V [D, numAnswers], zeros at the start. */
    out: tf.Variable;
  } | null;

  constructor(
    scope: Scope,
    width: number,
    numAnswers: number,
    questionInHead = false,
    comparisonHead = false,
  ) {
    this.videoGate = new Linear(scope.child('videoGate'), width, width);
    this.audioGate = new Linear(scope.child('audioGate'), width, width);
    this.head = new Mlp(scope.child('head'), width, width, numAnswers);
    // Zeros: the model starts as AMUSE's, and an AMUSE model keeps its parameter names.
    this.questionToHead = questionInHead
      ? scope.param('questionToHead', [width, width], zeros)
      : null;
    const comparison = scope.child('comparison');
    this.comparison = comparisonHead
      ? {
          question: new Linear(comparison.child('question'), width, width),
          audio: new Linear(comparison.child('audio'), width, width),
          video: new Linear(comparison.child('video'), width, width),
          out: comparison.param('out', [width, numAnswers], zeros),
        }
      : null;
  }

  /** -> logits [B, numAnswers] */
  apply(video: PooledStream, audio: PooledStream, question: tf.Tensor2D): tf.Tensor2D {
    const videoMean = weightedMean(video.tokens, video.weights) as tf.Tensor2D;
    const audioMean = weightedMean(audio.tokens, audio.weights) as tf.Tensor2D;
    const gatedVideo = tf.mul(videoMean, tf.sigmoid(this.videoGate.apply(question)));
    const gatedAudio = tf.mul(audioMean, tf.sigmoid(this.audioGate.apply(question)));
    let streams = tf.add(gatedVideo, gatedAudio) as tf.Tensor2D;
    if (this.questionToHead !== null) {
      streams = tf.add(streams, tf.matMul(question, this.questionToHead as tf.Tensor2D));
    }
    const logits = this.head.apply(streams);
    if (this.comparison === null) return logits;
    const { question: a, audio: ca, video: cv, out } = this.comparison;
    const heard = tf.add(ca.apply(audioMean), cv.apply(videoMean)) as tf.Tensor2D;
    const product = tf.mul(a.apply(question), heard) as tf.Tensor2D;
    return tf.add(logits, tf.matMul(product, out as tf.Tensor2D)) as tf.Tensor2D;
  }
}
