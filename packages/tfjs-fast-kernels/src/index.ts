export { type AdamAttrs, adamValues } from './adam.js';
export {
  type AttentionCoreAttrs,
  attentionCore,
  attentionCoreRuns,
} from './attention-core.js';
export {
  type MergeHeadsAttrs,
  mergeHeads,
  type SplitHeadsAttrs,
  splitHeads,
} from './attention-heads.js';
export { columnSum } from './column-sum.js';
export {
  disableFastKernels,
  enableFastKernels,
  type FastKernelsOptions,
  type FastKernelsReport,
  type FmaMode,
  fastKernelsStatus,
  type NativeMode,
} from './enable.js';
export { FusedKernelName } from './fused-kernel-names.js';
export { gelu } from './gelu.js';
export { layerNorm } from './layer-norm.js';
export {
  type PackedAttentionShape,
  packedSelfAttention,
  packedSelfAttentionComposition,
} from './native-attention.js';
export { nativeAddonCandidates, nativeCacheDir } from './native-blas.js';
export { fmaBuildSupport, type SimdBuild } from './simd-kernels.js';
export { softmax } from './softmax.js';
export {
  MAX_WASM_THREADS,
  nodeWasmThreadsRuntime,
  parseWasmThreads,
  useWasmThreads,
  type WasmThreadsRuntime,
  type WasmThreadsStatus,
  wasmBackendInitialised,
  wasmThreadsStatus,
  wasmThreadsUnavailable,
} from './wasm-threads.js';
