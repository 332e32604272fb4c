/**
 * The minimal structural types this masker accepts: what it reads of the encoder's Level 1
 * hook and what it returns. The hook itself (`InputMasker`, `HookContext`) is declared once,
 * by @sparsify/amuse-encoder (src/hooks.ts, docs/contracts.md); this package does not import
 * the encoder, and apps/trainer checks at type level that `createInputMasker()` fits it.
 */
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';

export type StreamName = 'video' | 'audio';

/** Which stream a set of tokens belongs to, and how its tokens are laid out. */
export interface StreamLayout {
  stream: StreamName;
  /** N = timeSteps * tokensPerStep; token n is time step floor(n / tokensPerStep). */
  timeSteps: number;
  tokensPerStep: number;
  /**
   * For spectrogram tokens: frequency bands per time step. Within a time step token j lies in
   * band j % frequencyBands (a [time, frequency] patch grid read row by row, as AudioMAE does).
   */
  frequencyBands?: number;
}

/** What the masker reads of the encoder's `HookContext`. */
export interface MaskingContext {
  training: boolean;
  /** 0-based; masking is on for the first `activeEpochs`. */
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
