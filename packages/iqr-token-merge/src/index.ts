export { attentionBias, PADDING_BIAS } from './attention-bias.js';
export type { HookContext, ReducedTokens, ReducerInput, TokenReducer } from './contract.js';
export { importanceFromAttention, importanceFromQueryKeys } from './importance.js';
export {
  createIqrTokenReducer,
  type IqrReducedTokens,
  type IqrTokenReducer,
  type IqrTokenReducerOptions,
} from './iqr-token-reducer.js';
export { type KeySelection, type KeySelectionOptions, selectKeyTokens } from './key-tokens.js';
export { applyMergePlan, type MergedTokens, mergeTokens, unmergeTokens } from './merge-apply.js';
export {
  computeMergePlan,
  type MergePlan,
  type MergePlanInput,
  type MergePlanOptions,
  type SimilarityMeasure,
} from './merge-plan.js';
export { type Quartiles, quantile, quantileOfSorted, quartiles } from './quantile.js';
