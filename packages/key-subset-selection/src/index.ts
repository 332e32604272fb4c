export {
  formatComposition,
  formatSubsetAnnotations,
  type QuestionTypeOf,
  type SubsetComposition,
  selectRecords,
  subsetComposition,
  type TypeComposition,
} from './annotations.js';
export { bitsetFromIndices, bitsetToIndices } from './bitset.js';
export { type CoverageSubsetOptions, coverageSubset } from './coverage-subset.js';
export type { EpochPlan } from './epoch-plan.js';
export { InfoBatch, type InfoBatchLoopOptions, type PerSampleLoss } from './infobatch.js';
export { type BatchUpdate, InfoBatchSampler } from './infobatch-sampler.js';
export { KeptHistory } from './kept-history.js';
export {
  type KeySubset,
  type KeySubsetOptions,
  keySubsetScores,
  selectKeySubset,
} from './key-subset.js';
export { type InfoBatchOptions, pruningEpochCount } from './options.js';
export {
  type SamplerStateJSON,
  STATE_FORMAT,
  STATE_VERSION,
  type StateExpectation,
} from './state.js';
export { stratifiedTopN } from './stratified-subset.js';
export { writeFileAtomic, writeSubsetAnnotationFile } from './write-file.js';
