/**
 * When Level 1 masks: epochs [0, activeEpochs) of training only, one ratio per modality,
 * and a random draw that depends only on (seed, step) so a run is reproducible.
 */
import type { MaskingContext, StreamName } from './contract.js';
import { createRng, mixSeed, type Rng } from './rng.js';
import { assertRatio } from './strategies.js';

export interface MaskSchedule {
  /** Masking is on for epochs [0, activeEpochs). */
  readonly activeEpochs: number;
  /** Fraction of tokens dropped per stream. */
  readonly ratio: Readonly<Record<StreamName, number>>;
  /** Run seed; each step draws from mixSeed(seed, step, ...). */
  readonly seed: number;
}

export interface MaskScheduleOptions {
  /** Default 3 (Sparsify: the first three epochs). */
  activeEpochs?: number;
  /** One unified ratio for both streams, or per stream. Default 0.5. */
  ratio?: number | Partial<Record<StreamName, number>>;
  /** Default 42 (the authors' seed). */
  seed?: number;
}

export const DEFAULT_MASK_SCHEDULE: MaskSchedule = {
  activeEpochs: 3,
  ratio: { video: 0.5, audio: 0.5 },
  seed: 42,
};

/** Validates options and fills in the defaults. */
export function maskSchedule(options: MaskScheduleOptions = {}): MaskSchedule {
  const activeEpochs = options.activeEpochs ?? DEFAULT_MASK_SCHEDULE.activeEpochs;
  if (!Number.isInteger(activeEpochs) || activeEpochs < 0) {
    throw new Error(
      `maskSchedule: activeEpochs must be a non-negative integer, got ${activeEpochs}`,
    );
  }
  const seed = options.seed ?? DEFAULT_MASK_SCHEDULE.seed;
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`maskSchedule: seed must be an integer, got ${seed}`);
  }
  const given = options.ratio;
  const ratio =
    typeof given === 'number'
      ? { video: given, audio: given }
      : { ...DEFAULT_MASK_SCHEDULE.ratio, ...given };
  assertRatio(ratio.video, 'maskSchedule: ratio.video');
  assertRatio(ratio.audio, 'maskSchedule: ratio.audio');
  return { activeEpochs, ratio, seed };
}

/** The ratios to mask with at this step, or null when masking is off (evaluation, late epochs, all ratios 0). */
export function scheduledRatios(
  schedule: MaskSchedule,
  ctx: MaskingContext,
): Readonly<Record<StreamName, number>> | null {
  if (!ctx.training || ctx.epoch >= schedule.activeEpochs) return null;
  if (schedule.ratio.video === 0 && schedule.ratio.audio === 0) return null;
  return schedule.ratio;
}

/** The random source for one step; `salt` separates independent draws within the step. */
export function stepRng(schedule: MaskSchedule, ctx: MaskingContext, salt: number): Rng {
  return createRng(mixSeed(schedule.seed, ctx.step, salt));
}
