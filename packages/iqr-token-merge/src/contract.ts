/**
 * The encoder's level-2 hook, copied from docs/contracts.md ("Level 2: token reducer").
 * The sparsifiers never import the encoder; the reducer satisfies these shapes
 * structurally and apps/trainer plugs it in.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface HookContext {
  training: boolean;
  /** 0-based. */
  epoch: number;
  /** Global optimizer step. */
  step: number;
}

export interface ReducerInput {
  stream: 'video' | 'audio';
  /** [B, N, D] output of the block just run. */
  tokens: tf.Tensor3D;
  /** [B, N, Dk] that block's attention keys (heads concatenated). */
  keys: tf.Tensor3D;
  /** [B, H, Nq, N] attention probabilities that queries from the question or the other modality put on these tokens. */
  attention: tf.Tensor4D;
  /** [B, Nq] 1 = padded query, to ignore. */
  queryPadMask: tf.Tensor2D | null;
  /** [B, N] null = all ones. */
  sizes: tf.Tensor2D | null;
  /** [B, N] 1 = padding slot, null = none. */
  padMask: tf.Tensor2D | null;
}

export interface ReducedTokens {
  /** [B, M, D], M <= N, padded to the batch's largest count. */
  tokens: tf.Tensor3D;
  /** [B, M], padding slots 0. */
  sizes: tf.Tensor2D;
  /** [B, M], 1 = padding slot. */
  padMask: tf.Tensor2D;
}

export interface TokenReducer {
  reduceTokens(input: ReducerInput, ctx: HookContext): ReducedTokens;
}
