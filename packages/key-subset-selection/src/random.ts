/**
 * Seeded randomness for the sampler. Every random choice is drawn from a stream derived from
 * (seed, epoch, purpose), so an epoch's plan depends only on those and on the scores, never
 * on how many numbers earlier epochs consumed: that is what makes resuming exact.
 */

/** Purposes of the per-epoch random streams (kept apart so one cannot shift the other). */
export const RandomStream = {
  prune: 1,
  order: 2,
} as const;

const GOLDEN_GAMMA = 0x9e3779b9;

/** splitmix32's finaliser: a bijective avalanche of a 32-bit integer. */
function mix32(value: number): number {
  let t = value | 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}

/**
 * A 32-bit seed for one random stream from a user seed (any safe integer) and integer parts
 * (epoch, stream purpose).
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  // Fold the high bits of a large seed in rather than dropping them.
  let state = mix32((seed >>> 0) ^ mix32(Math.floor(seed / 2 ** 32)));
  for (const part of parts) state = mix32((state + GOLDEN_GAMMA + mix32(part)) | 0);
  return state;
}

/** splitmix32: small, fast, statistically sound for sampling (not for cryptography). */
export class SplitMix32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + GOLDEN_GAMMA) | 0;
    return mix32(this.state);
  }

  /** Uniform integer in [0, bound), bound <= 2^32 (multiply-shift; bias below bound / 2^32). */
  nextBelow(bound: number): number {
    return Math.floor((this.nextUint32() / 2 ** 32) * bound);
  }
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
