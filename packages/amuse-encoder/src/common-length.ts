/**
 * After a token reducer, video and audio usually keep different counts (M_v != M_a), so the
 * blocks after it could no longer run once over both streams as one batch of 2B samples:
 * every later block would run twice, at twice the kernel launches, which at the tiny
 * model's size cost more than the tokens saved. Padding the shorter stream with padding
 * slots (zeros, size 0, padMask 1) up to the longer one's count lets them run joint again.
 * Padding slots are already what a reducer emits when samples keep different counts:
 * attention gives them -inf bias, pooling weight 0, so the real tokens' values and every
 * gradient are unchanged up to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { offTape } from './off-tape.js';

/** The parts of a reduced stream that are aligned with its tokens. */
export interface ReducedStream {
  /** [B, M, D] */
  tokens: tf.Tensor3D;
  /** [B, M] how many original tokens each holds; 0 for padding slots. */
  sizes: tf.Tensor2D;
  /** [B, M] 1 = padding slot. */
  padMask: tf.Tensor2D;
}

/** `stream` with `extra` padding slots appended (itself when `extra` is 0). */
export function appendPadding<T extends ReducedStream>(stream: T, extra: number): T {
  if (!Number.isInteger(extra) || extra < 0) {
    throw new Error(`appendPadding: extra must be a non-negative integer, got ${extra}`);
  }
  if (extra === 0) return stream;
  const padTokens: [number, number][] = [
    [0, 0],
    [0, extra],
    [0, 0],
  ];
  const padRows: [number, number][] = [
    [0, 0],
    [0, extra],
  ];
  return {
    ...stream,
    tokens: tf.pad(stream.tokens, padTokens) as tf.Tensor3D,
    // Sizes and the mask are constants to the gradient.
    sizes: offTape(() => tf.pad(stream.sizes, padRows) as tf.Tensor2D),
    padMask: offTape(() => tf.pad(stream.padMask, padRows, 1) as tf.Tensor2D),
  };
}

/** Both streams padded to the larger token count (unchanged when they already match). */
export function padToCommonLength<T extends ReducedStream>(video: T, audio: T): [T, T] {
  const length = Math.max(video.tokens.shape[1], audio.tokens.shape[1]);
  return [
    appendPadding(video, length - video.tokens.shape[1]),
    appendPadding(audio, length - audio.tokens.shape[1]),
  ];
}
