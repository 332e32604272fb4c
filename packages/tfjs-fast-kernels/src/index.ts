export {
  disableFastKernels,
  enableFastKernels,
  type FastKernelsOptions,
  type FastKernelsReport,
  fastKernelsStatus,
  type NativeMode,
} from './enable.js';
export { nativeAddonCandidates, nativeCacheDir } from './native-blas.js';
