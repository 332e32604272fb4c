/** 32-bit integer finalisers: bijective avalanches, the output stage of `SplitMix32`. */

/** The golden-ratio increment of a 32-bit Weyl sequence, 2^32 / phi. */
export const GOLDEN_GAMMA = 0x9e3779b9;

/** murmur3's fmix32. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Chris Wellons' lowbias32 (hash-prospector), the finaliser of the common splitmix32. */
export function lowbias32(value: number): number {
  let t = value | 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}
