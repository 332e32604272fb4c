export {
  disableFastKernels,
  enableFastKernels,
  type FastKernelsOptions,
  type FastKernelsReport,
  fastKernelsStatus,
  type NativeMode,
} from './enable';
export { nativeAddonCandidates, nativeCacheDir } from './native_blas';
