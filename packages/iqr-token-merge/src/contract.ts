/**
 * The minimal structural types the reducer accepts: what it reads of the encoder's Level 2
 * hook call and what it returns. The hook itself (`TokenReducer`, `HookContext`) is declared
 * once, by @sparsify/amuse-encoder (src/hooks.ts, docs/contracts.md); this package does not
 * import the encoder, and apps/trainer checks at type level that the reducer fits it. The
 * reducer reads nothing of the hook context, so it accepts any.
 */
import type * as tf from '@tensorflow/tfjs-core';

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
  /**
   * Each token's time step, row-major [B * N], from an encoder that knows it; read only for
   * the streams of the option `sameTimeStep`. Missing or null = not known.
   */
  timeSteps?: Int32Array | null;
}

export interface ReducedTokens {
  /** [B, M, D], M <= N, padded to the batch's largest count. */
  tokens: tf.Tensor3D;
  /** [B, M], padding slots 0. */
  sizes: tf.Tensor2D;
  /** [B, M], 1 = padding slot. */
  padMask: tf.Tensor2D;
}
