export {
  clipFrameLayout,
  type FeatureLayout,
  type LoadFeaturesOptions,
  loadFeatures,
  RES18_14X14_LAYOUT,
  subsampleTimeSteps,
  type TemporalSampling,
  VGGISH_LAYOUT,
} from './featureLayouts.js';
export { float16ToNumber, numberToFloat16 } from './float16.js';
export {
  type EncodeNpyOptions,
  encodeNpy,
  type NpyArray,
  type NpyFloatType,
  parseNpy,
} from './npy.js';
export { readNpy, writeNpy } from './npyFile.js';
export { reorderFortran, type ShapedArray, shapeSize } from './shapedArray.js';
