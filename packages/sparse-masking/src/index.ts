/**
 * @sparsify/sparse-masking: Level 1 of Sparsify. Drops tokens MAE-style (random, whole time
 * steps, frequency bands, or the same time steps across video and audio) so the encoder runs
 * on fewer tokens during the first epochs.
 */
export type { MaskedStream, MaskingContext, StreamLayout, StreamName } from './contract.js';
export { gatherRows, scatterRows } from './gather-rows.js';
export {
  createInputMasker,
  type InputMaskerOptions,
  type MaskMode,
  type PlannedMaskedStream,
  type SparseInputMasker,
} from './input-masker.js';
export {
  applyMaskPlan,
  createMaskPlan,
  disposeMaskPlan,
  type MaskPlan,
  restoreTokens,
} from './mask-plan.js';
export { type MaskedTokens, type MaskTokensOptions, maskTokens } from './mask-tokens.js';
export { createRng, mixSeed, type Rng } from './rng.js';
export {
  DEFAULT_MASK_SCHEDULE,
  type MaskSchedule,
  type MaskScheduleOptions,
  maskSchedule,
  scheduledRatios,
  stepRng,
} from './schedule.js';
export {
  assertRatio,
  drawCrossModalKeepSets,
  drawKeepSets,
  keptCount,
  type StreamMaskMode,
  sampleWithoutReplacement,
  type TokenGrid,
} from './strategies.js';
export {
  createTokenMasker,
  type MaskedSequence,
  type MaskStep,
  type TokenMasker,
  type TokenMaskerOptions,
} from './token-masker.js';
