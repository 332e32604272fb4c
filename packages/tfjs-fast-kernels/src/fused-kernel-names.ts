/**
 * Names of the fused kernels this package registers (on `wasm` and `cpu`). They are the
 * contract with code that must not depend on this package: such code runs
 * `tf.engine().runKernel(name, ...)` when `tf.getKernel(name, tf.getBackend())` exists and
 * its own composition otherwise (as @sparsify/amuse-encoder does).
 */
export const FusedKernelName = {
  /** {x [..., D], gamma [D], beta [D]}, attrs {epsilon} -> y [..., D]. */
  layerNorm: 'SparsifyLayerNorm',
  /** {dy, x, gamma}, attrs {epsilon} -> [dx, dgamma, dbeta]. */
  layerNormGrad: 'SparsifyLayerNormGrad',
  /** {x} -> 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  gelu: 'SparsifyGelu',
  /** {dy, x} -> dx. */
  geluGrad: 'SparsifyGeluGrad',
  /** {logits [B, ..., N], bias? [B, N]} -> softmax over the last axis of logits + bias[b]. */
  softmax: 'SparsifySoftmax',
  /** {dy, y} -> y (dy - sum(dy y)) over the last axis. */
  softmaxGrad: 'SparsifySoftmaxGrad',
  /** {x [B N, W]}, attrs {batch, heads, offset, width, scale} -> heads [B, H, N, width/H]. */
  splitHeads: 'SparsifySplitHeads',
  /** {x0, x1, ...: [B, H, N, d]}, attrs {scales, batch, heads} -> [B N, P H d]. */
  mergeHeads: 'SparsifyMergeHeads',
  /** {x [..., C]} -> [C], the sum over every leading axis (a bias's gradient). */
  columnSum: 'SparsifyColumnSum',
  /**
   * {a, b}, attrs {transposeA, transposeB} -> BatchMatMul's product, registered (on wasm only)
   * where a transposed operand is read in place: this package's BatchMatMul. Stock wasm
   * multiplies transposed operands through a much slower path, so code that cannot tell
   * the two apart transposes first unless this kernel is registered.
   */
  transposedMatMul: 'SparsifyMatMul',
  /**
   * {a [R, K], b [K, N], bias [N]} -> a b + bias, the floats of BatchMatMul followed by Add
   * (the bias added to each finished sum) on every route; on the SIMD route in the product's
   * own last pass over the output (one launch and one pass fewer than the two kernels).
   * Registered on wasm only, with SparsifyMatMul.
   */
  biasMatMul: 'SparsifyBiasMatMul',
  /**
   * {x [R, in], dy [R, out]} -> [dw [in, out], db [out]]: a linear layer's weight and bias
   * gradients, the floats of SparsifyMatMul (x^T dy) and SparsifyColumnSum (dy) on every
   * route; on the SIMD route one pass over dy, its column sums taken block by block while
   * the product has the block in the L1 cache. Registered on wasm only, with SparsifyMatMul.
   */
  weightBiasGrad: 'SparsifyWeightBiasGrad',
  /**
   * {x0, x1?, bias? [B, Nk]}, attrs AttentionCoreAttrs {batch, heads, width, sources,
   * offsets} -> [out [B Nq, D], probabilities [B, H, Nq, Nk]]: the attention core over q, k
   * and v read as column ranges of the inputs (SIMD on wasm, JS loops on cpu).
   */
  attention: 'SparsifyAttention',
  /** {dy [B Nq, D], x0, x1?, probabilities}, the same attrs -> one gradient per input x_i. */
  attentionGrad: 'SparsifyAttentionGrad',
  /**
   * {qkv [B N, 3D]}, attrs {batch, heads} -> [out [B N, D], probabilities [B, H, N, N]]: the
   * attention core in the native addon (wasm only, where the addon loaded).
   */
  nativeAttention: 'SparsifyNativeAttention',
  /** {dy [B N, D], qkv, probabilities}, attrs {batch, heads} -> dqkv [B N, 3D]. */
  nativeAttentionGrad: 'SparsifyNativeAttentionGrad',
  /**
   * {m, v [n], decayMask? [n], g0, w0, g1, w1, ...}, attrs AdamAttrs & {count} -> [m', v',
   * w'0, w'1, ...]: one Adam step over every parameter (the moments flat, in parameter
   * order), tf.train.adam's float32 operations in its order (the same bits).
   */
  adam: 'SparsifyAdam',
} as const;
