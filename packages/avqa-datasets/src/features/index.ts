export {
  clipFrameLayout,
  type FeatureLayout,
  type LoadFeaturesOptions,
  loadFeatures,
  RES18_14X14_LAYOUT,
  VGGISH_LAYOUT,
} from './featureLayouts.js';
export { float16ToNumber, numberToFloat16 } from './float16.js';
export {
  checkNpyLength,
  decodeNpyValues,
  type EncodeNpyOptions,
  encodeNpy,
  type NpyArray,
  type NpyFloatType,
  type NpyHeader,
  parseNpy,
  parseNpyHeader,
} from './npy.js';
export { type NpyTimeSteps, readNpy, readNpyTimeSteps, writeNpy } from './npyFile.js';
export { reorderFortran, type ShapedArray, shapeSize } from './shapedArray.js';
export { keptTimeSteps, subsampleTimeSteps, type TemporalSampling } from './temporalSampling.js';
