/**
 * @sparsify/sparse-masking: Level 1 of Sparsify. Drops tokens MAE-style (random, whole time
 * steps, frequency bands, or the same time steps across video and audio) so the encoder runs
 * on fewer tokens during the first epochs.
 */
export type { HookContext, InputMasker, MaskedStream, StreamLayout, StreamName } from './contract';
export { gatherRows, scatterRows } from './gather-rows';
export {
  createInputMasker,
  type InputMaskerOptions,
  type MaskMode,
  type PlannedMaskedStream,
  type SparseInputMasker,
} from './input-masker';
export { assertRatio, keptCount } from './keep-count';
export {
  applyMaskPlan,
  createMaskPlan,
  disposeMaskPlan,
  type MaskPlan,
  restoreTokens,
} from './mask-plan';
export { type MaskedTokens, type MaskTokensOptions, maskTokens } from './mask-tokens';
export { createRng, mixSeed, type Rng, sampleWithoutReplacement } from './rng';
export {
  DEFAULT_MASK_SCHEDULE,
  type MaskSchedule,
  type MaskScheduleOptions,
  maskSchedule,
  scheduledRatios,
  stepRng,
} from './schedule';
export {
  drawCrossModalKeepSets,
  drawKeepSets,
  type StreamMaskMode,
  type TokenGrid,
} from './strategies';
export {
  createTokenMasker,
  type MaskedSequence,
  type MaskStep,
  type TokenMasker,
  type TokenMaskerOptions,
} from './token-masker';
