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

/** The first `count` entries of a uniformly random permutation of 0..n-1 (partial Fisher-Yates). */
export function sampleWithoutReplacement(n: number, count: number, rng: Rng): Int32Array {
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const chosen = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = chosen;
  }
  return pool.subarray(0, count);
}
