/** Where float32 tanh rounds to +-1. */
const CLAMP = 7.905311107635498;

/**
 * tanh as the rational function Eigen uses for float (odd degree-13 numerator over an even
 * degree-6 denominator, argument clamped to +-7.9053, where it rounds to +-1 in float32).
 * Evaluated in doubles it stays within 3e-7 of Math.tanh (3e-8 inside the clamp) (test/fused-ops.test.ts), and it
 * is cheaper than Math.tanh in V8: no branches but the clamp, no exp (docs/benchmarks/fused-kernels.md).
 */
export function fastTanh(value: number): number {
  const x = Math.min(CLAMP, Math.max(-CLAMP, value));
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (p * x) / q;
}
