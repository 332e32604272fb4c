export {
  enableFastKernels,
  type FastKernelsOptions,
  type FastKernelsReport,
  fastKernelsStatus,
  type NativeMode,
} from './enable';
