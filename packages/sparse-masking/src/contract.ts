/**
 * The Level 1 hook types of docs/contracts.md, declared here so this package satisfies the
 * encoder's `InputMasker` structurally without importing the encoder.
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
  maskInputs(
    streams: Record<StreamName, { tokens: Tensor3D; layout: StreamLayout }>,
    ctx: HookContext,
  ): Record<StreamName, MaskedStream> | null;
}
