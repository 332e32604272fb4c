import { expect } from 'vitest';

/**
 * The fused ops' documented error bounds (README, "Fused ops"): the largest gap to the
 * stock float32 composition, relative to the largest reference magnitude, forward and every
 * gradient, on cpu (JS loops, double sums) and wasm (SIMD, float32 sums).
 */
export const FUSED_BOUNDS = {
  layerNorm: 1e-5,
  /** Any row count, width >= 8, inputs scaled 0.01-100 (the property test). */
  layerNormAnyShape: 1e-4,
  gelu: 3e-6,
  softmax: 3e-6,
  columnSum: 1e-6,
  /** packedSelfAttention: the native core and the one-node composition (test/native-attention.test.ts). */
  packedSelfAttention: 3e-6,
  /** attentionCore: self- and cross-attention, key bias, any shape (test/attention-core.test.ts). */
  attentionCore: 3e-6,
} as const;

/**
 * The FMA build of the SIMD kernels (FastKernelsOptions.fma; test/fma-build.test.ts): the
 * largest gap relative to the largest reference magnitude.
 */
export const FMA_BOUNDS = {
  /**
   * A product against float64, and the FMA build's against the stock build's, on the step's
   * shapes. Measured 2026-12-05: FMA to float64 1.0e-7 to 8.9e-7 (k = 640), never further than
   * the stock build's 1.0e-7 to 9.5e-7; FMA to stock 1.6e-7 to 3.1e-7.
   */
  products: 2e-6,
  /**
   * A fused transformer block's loss and weight gradients (batch 8, 80 tokens, width 64, 4
   * heads), FMA build against stock build on wasm. Measured 2026-12-05: at most 3.8e-7.
   */
  block: 2e-6,
  /**
   * The softmax (its exp's multiply-adds fused, issue 23o), FMA build against stock build on
   * wasm, forward and gradient, widths 1-80, scores down to -400 below the row's max, padded
   * keys (test/softmax-exp.test.ts). Measured 2026-12-05: FMA to stock at most 1.0e-7 (forward 6.1e-8, gradient 1.0e-7); FMA to the cpu composition at most 4.4e-7, as the stock build.
   */
  softmax: 1e-6,
} as const;

/**
 * What the bounds bound: max |actual - expected| over max(|expected|, tiny), after checking
 * that the two have the same length.
 */
export function relativeGap(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let gap = 0;
  let scale = 1e-30;
  for (let i = 0; i < expected.length; i++) {
    gap = Math.max(gap, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return gap / scale;
}
