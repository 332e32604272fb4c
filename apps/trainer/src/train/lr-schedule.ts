/** Step decay: the learning rate of `epoch` (0-based) is lr * factor^floor(epoch / every). */
export function stepDecayLearningRate(
  lr: number,
  decay: { factor: number; every: number },
  epoch: number,
): number {
  return lr * decay.factor ** Math.floor(epoch / decay.every);
}

/** Linear warm-up then cosine decay, set per optimizer step. */
export interface CosineSchedule {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Steps of linear warm-up from lr / warmupSteps to lr (0 = none). */
  warmupSteps: number;
  /** Steps of the whole run; the rate reaches `minLr` on the last one. */
  totalSteps: number;
  /** Floor of the decay (default 0). */
  minLr?: number;
}

/**
 * The learning rate of optimizer step `step` (0-based): (step + 1) / warmup * lr during
 * warm-up, then minLr + (lr - minLr) * (1 + cos(pi * p)) / 2 with p going 0 -> 1 over the
 * remaining steps (held at minLr beyond them, e.g. when InfoBatch's epochs run shorter).
 */
export function cosineLearningRate(schedule: CosineSchedule, step: number): number {
  const { lr, warmupSteps, totalSteps } = schedule;
  const minLr = schedule.minLr ?? 0;
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, totalSteps - warmupSteps - 1);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  return minLr + ((lr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
}
