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
