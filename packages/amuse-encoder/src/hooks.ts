/**
 * The two hook interfaces between the encoder and the sparsifiers, exactly as
 * docs/contracts.md states them. The sparsifiers satisfy them structurally and never import
 * this package. Every hook is called inside the encoder's `tf.tidy`, so a hook returns new
 * tensors and never disposes its inputs.
 *
 * Conventions: token tensors are [B, N, D]; a drop mask is [B, N] with 1 = dropped; a padding
 * mask is [B, M] with 1 = padding slot; sizes are [B, M] (original tokens held, 0 for padding);
 * index tensors are int32.
 */
import type { Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';

/** Which stream a set of tokens belongs to, and how its tokens are laid out. */
export interface StreamLayout {
  stream: 'video' | 'audio';
  /** N = timeSteps * tokensPerStep; token n is time step floor(n / tokensPerStep). */
  timeSteps: number;
  tokensPerStep: number;
  /** For spectrogram tokens: frequency bands per time step (tokensPerStep = bands * ...). */
  frequencyBands?: number;
}

export interface HookContext {
  training: boolean;
  /** 0-based. */
  epoch: number;
  /** Global optimizer step, for seeding. */
  step: number;
}

export interface MaskedStream {
  /** [B, N_keep, D], N_keep the same for every sample. */
  tokens: Tensor3D;
  /** int32 [B, N_keep], ascending original positions. */
  keepIndices: Tensor2D;
}

export interface InputMasker {
  /**
   * Called once per forward pass, after patch embedding and positional embeddings, with
   * every stream at once (so a cross-modal mode can keep the same time steps in both).
   * Returns null (or the same object) when it does not mask this step (evaluation,
   * epochs past the schedule).
   */
  maskInputs(
    streams: Record<'video' | 'audio', { tokens: Tensor3D; layout: StreamLayout }>,
    ctx: HookContext,
  ): Record<'video' | 'audio', MaskedStream> | null;
}

export interface ReducerInput {
  stream: 'video' | 'audio';
  /** [B, N, D] output of the block just run. */
  tokens: Tensor3D;
  /** [B, N, Dk] that block's attention keys (heads concatenated). */
  keys: Tensor3D;
  /**
   * [B, H, Nq, N] attention probabilities that queries from the question (early blocks) or
   * the other modality (later blocks) put on these tokens. A score to choose tokens by, not
   * part of the gradient: it is computed off the tape, so no loss can backpropagate into it.
   */
  attention: Tensor4D;
  /** [B, Nq] 1 = padded query (e.g. question <pad>), to ignore. */
  queryPadMask: Tensor2D | null;
  /** [B, N], null = all ones. */
  sizes: Tensor2D | null;
  /** [B, N] 1 = padding slot, null = none. */
  padMask: Tensor2D | null;
  /**
   * Each token's time step, row-major [B * N] (from its original position and the stream's
   * layout; a CPU array, since a reducer's plan is computed on the CPU), for a reducer that
   * merges only within a time step; null once the stream has been reduced, when a token may
   * hold several steps.
   */
  timeSteps: Int32Array | null;
}

export interface ReducedTokens {
  /** [B, M, D], M <= N, padded to the batch's largest count. */
  tokens: Tensor3D;
  /** [B, M], padding slots 0. */
  sizes: Tensor2D;
  /** [B, M], 1 = padding slot. */
  padMask: Tensor2D;
}

export interface TokenReducer {
  reduceTokens(input: ReducerInput, ctx: HookContext): ReducedTokens;
}
