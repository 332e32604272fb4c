/** A uniform random source on [0, 1). */
export type UniformSource = () => number;

/** mulberry32 (Tommy Ettinger): 32-bit state, uniform in [0, 1); the same seed gives the same draws. */
export function mulberry32(seed: number): UniformSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
