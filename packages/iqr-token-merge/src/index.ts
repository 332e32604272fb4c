export type { ReducedTokens, ReducerInput } from './contract.js';
export { importanceFromAttention, importanceFromQueryKeys } from './importance.js';
export {
  createIqrTokenReducer,
  type IqrReducedTokens,
  type IqrTokenReducer,
  type IqrTokenReducerOptions,
} from './iqr-token-reducer.js';
export {
  type ApplicableLayer,
  type PreNormLayers,
  preNormBlockFromLayers,
} from './layers-block.js';
export { applyMergePlan, type MergedTokens, mergeTokens, unmergeTokens } from './merge-apply.js';
export {
  type ImportanceSource,
  type MergeByImportanceOptions,
  type MergeByImportanceResult,
  mergeByImportance,
} from './merge-by-importance.js';
export type {
  KeySelection,
  KeySelectionOptions,
  MergePlanOptions,
  SimilarityMeasure,
} from './merge-options.js';
export {
  computeMergePlan,
  type MergePlan,
  type MergePlanInput,
  selectKeyTokens,
  selectTopTokens,
} from './merge-plan.js';
export {
  type MergingBlock,
  type MergingCall,
  type MergingTransformer,
  mergingBlock,
  mergingTransformer,
  type PreNormBlock,
  type TokenMergeRule,
  type TokenSequence,
  tokenSequence,
} from './merging-block.js';
export {
  type AttentionOutput,
  attentionBias,
  multiHeadAttention,
  PADDING_BIAS,
} from './proportional-attention.js';
export { type Quartiles, quantile, quantileOfSorted, quartiles } from './quantile.js';
