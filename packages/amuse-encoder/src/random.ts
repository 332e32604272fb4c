/**
 * A small seeded generator, so the same seed gives the same weights on every backend and
 * machine (tf.randomNormal's seeding differs between backends).
 */
import { mulberry32 } from '@sparsify/internal-random';

/** FNV-1a over a string mixed with a seed: each parameter gets its own stream by name. */
export function hashSeed(seed: number, name: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Normal samples truncated at two standard deviations (redrawn, as timm's trunc_normal_),
 * so no initial weight is an outlier.
 */
export function truncatedNormal(count: number, std: number, seed: number): Float32Array {
  const uniform = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let z: number;
    do {
      // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
      const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
      z = radius * Math.cos(2 * Math.PI * uniform());
    } while (Math.abs(z) > 2);
    out[i] = z * std;
  }
  return out;
}
