/**
 * Fusion as AMUSE does it: each stream's token mean (size-weighted, padding ignored) is gated
 * by sigmoid(W q + b) of the pooled question q; the gated streams are summed; an MLP maps
 * the sum to answer logits. With `questionInHead` the sum also gets U q (U zero at the start).
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

  constructor(scope: Scope, width: number, numAnswers: number, questionInHead = false) {
    this.videoGate = new Linear(scope.child('videoGate'), width, width);
    this.audioGate = new Linear(scope.child('audioGate'), width, width);
    this.head = new Mlp(scope.child('head'), width, width, numAnswers);
    // Zeros: the model starts as AMUSE's, and an AMUSE model keeps its parameter names.
    this.questionToHead = questionInHead
      ? scope.param('questionToHead', [width, width], zeros)
      : null;
  }

  /** -> logits [B, numAnswers] */
  apply(video: PooledStream, audio: PooledStream, question: tf.Tensor2D): tf.Tensor2D {
    const gatedVideo = tf.mul(
      weightedMean(video.tokens, video.weights),
      tf.sigmoid(this.videoGate.apply(question)),
    );
    const gatedAudio = tf.mul(
      weightedMean(audio.tokens, audio.weights),
      tf.sigmoid(this.audioGate.apply(question)),
    );
    const streams = tf.add(gatedVideo, gatedAudio) as tf.Tensor2D;
    if (this.questionToHead === null) return this.head.apply(streams);
    const fromQuestion = tf.matMul(question, this.questionToHead as tf.Tensor2D);
    return this.head.apply(tf.add(streams, fromQuestion) as tf.Tensor2D);
  }
}
