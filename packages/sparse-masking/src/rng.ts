import { fmix32, mulberry32 } from '@sparsify/internal-random';

/** A uniform random source on [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast and good enough to shuffle tokens; the same seed gives the same draws. */
export function createRng(seed: number): Rng {
  return mulberry32(seed);
}

/**
 * Hashes integers (e.g. a run seed, the optimizer step, a stream id) into one 32-bit seed.
 * Each part goes through murmur3's finaliser, so seeds that differ by one (step 7 vs step 8)
 * still start unrelated random streams.
 */
export function mixSeed(...parts: number[]): number {
  let hash = 0x9e3779b9;
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) {
      throw new Error(`mixSeed: every part must be a safe integer, got ${part}`);
    }
    hash = fmix32((hash ^ (part >>> 0)) + Math.floor(part / 4294967296));
  }
  return hash >>> 0;
}
