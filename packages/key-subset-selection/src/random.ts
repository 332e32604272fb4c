/**
 * Seeded randomness for the sampler, drawn from `SplitMix32` with its default lowbias32
 * output (@sparsify/internal-random). Every random choice is drawn from a stream derived from
 * (seed, epoch, purpose), so an epoch's plan depends only on those and on the scores, never
 * on how many numbers earlier epochs consumed: that is what makes resuming exact.
 */
import { GOLDEN_GAMMA, lowbias32, type SplitMix32 } from '@sparsify/internal-random';

/** Purposes of the per-epoch random streams (kept apart so one cannot shift the other). */
export const RandomStream = {
  prune: 1,
  order: 2,
} as const;

/**
 * A 32-bit seed for one random stream from a user seed (any safe integer) and integer parts
 * (epoch, stream purpose).
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  // Fold the high bits of a large seed in rather than dropping them.
  let state = lowbias32((seed >>> 0) ^ lowbias32(Math.floor(seed / 2 ** 32)));
  for (const part of parts) state = lowbias32((state + GOLDEN_GAMMA + lowbias32(part)) | 0);
  return state;
}

/**
 * Moves a uniform random sample of `count` entries of `values` to its front (partial
 * Fisher-Yates) and returns that front as a view. `count === values.length` is a full shuffle.
 */
export function sampleToFront(values: Int32Array, count: number, random: SplitMix32): Int32Array {
  const length = values.length;
  for (let i = 0; i < count; i++) {
    const j = i + random.nextBelow(length - i);
    const picked = values[j]!;
    values[j] = values[i]!;
    values[i] = picked;
  }
  return values.subarray(0, count);
}

/** Shuffles `values` in place (Fisher-Yates), permuting `alongside` (same length) the same way. */
export function shuffleInPlace(
  values: Int32Array,
  random: SplitMix32,
  alongside?: Float32Array,
): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.nextBelow(i + 1);
    const value = values[j]!;
    values[j] = values[i]!;
    values[i] = value;
    if (alongside !== undefined) {
      const other = alongside[j]!;
      alongside[j] = alongside[i]!;
      alongside[i] = other;
    }
  }
  return values;
}
