export {
  formatComposition,
  formatSubsetAnnotations,
  type QuestionTypeOf,
  type SubsetComposition,
  selectRecords,
  subsetComposition,
  type TypeComposition,
} from './annotations';
export { bitsetFromIndices, bitsetToIndices } from './bitset';
export { type CoverageSubsetOptions, coverageSubset } from './coverage-subset';
export type { EpochPlan } from './epoch-plan';
export { InfoBatch, type InfoBatchLoopOptions, type PerSampleLoss } from './infobatch';
export { type BatchUpdate, InfoBatchSampler } from './infobatch-sampler';
export { KeptHistory } from './kept-history';
export {
  type KeySubset,
  type KeySubsetOptions,
  keySubsetScores,
  selectKeySubset,
} from './key-subset';
export { type InfoBatchOptions, pruningEpochCount } from './options';
export { type SamplerStateJSON, STATE_FORMAT, STATE_VERSION, type StateExpectation } from './state';
export { stratifiedTopN } from './stratified-subset';
export { writeFileAtomic, writeSubsetAnnotationFile } from './write-file';
