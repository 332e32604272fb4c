/**
 * One call from tokens to a shorter sequence: score the tokens (given scores, attention
 * probabilities, or any query such as a class token or a question), choose the kept tokens
 * by the IQR fence or by ToMe's fixed r / target length, merge the rest into their most
 * similar kept token. The plan is computed on the CPU; the merge is differentiable with
 * respect to the tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import { importanceFromAttention, importanceFromQueryKeys } from './importance.js';
import { applyMergePlan, type MergedTokens, mergeTokens, unmergeTokens } from './merge-apply.js';
import type { MergePlanOptions } from './merge-options.js';
import { computeMergePlan, type MergePlan } from './merge-plan.js';

/** Where the importance of each token comes from. */
export type ImportanceSource =
  /** Scores [B, N] computed elsewhere; higher = more important. */
  | tf.Tensor2D
  /** Attention probabilities [B, H, Nq, N] some queries put on the tokens (mean over heads and real queries). */
  | { attention: tf.Tensor4D; queryPadMask?: tf.Tensor2D | null }
  /** Queries [B, Nq, Dk] (a class token, a question) scored against the keys: softmax(Q Kᵀ/√Dk). */
  | { query: tf.Tensor3D; queryPadMask?: tf.Tensor2D | null };

export interface MergeByImportanceOptions extends MergePlanOptions {
  importance: ImportanceSource;
  /** [B, N, Dk] vectors compared for Sim(i, j) (e.g. attention keys). Default: the tokens. */
  keys?: tf.Tensor3D;
  /** [B, N] how many original tokens each token holds (from an earlier merge); null = ones. */
  sizes?: tf.Tensor2D | null;
  /** [B, N] 1 = padding slot (from an earlier IQR merge); null = none. */
  padMask?: tf.Tensor2D | null;
  /** Source lists of an earlier merge, so `sources` keeps pointing at the first input's tokens. */
  sources?: readonly (readonly Int32Array[])[] | null;
  /** [B * N] row-major group per token (e.g. its frame): merges stay within a group; null = one group. */
  groups?: ArrayLike<number> | null;
}

export interface MergeByImportanceResult extends MergedTokens {
  /** Per sample, per output token: the original token positions it holds, ascending. */
  sources: Int32Array[][];
  /** Per sample: how many output tokens are real (the rest, up to M, are padding). */
  keptCounts: Int32Array;
  /** The plan, to merge any other tensor aligned with the tokens the same way. */
  plan: MergePlan;
  /** Merges another tensor [B, N(, C)] aligned with the input tokens the same way. */
  apply<T extends tf.Tensor2D | tf.Tensor3D>(aligned: T): T;
  /** Copies outputs [B, M(, C)] back to every input token they hold -> [B, N(, C)]. */
  unmerge<T extends tf.Tensor2D | tf.Tensor3D>(merged: T): T;
}

/**
 * Merges tokens [B, N, D] into [B, M, D]. With `r` every sample loses exactly r tokens
 * (ToMe), with `target` every sample keeps `target`, otherwise each sample keeps the tokens
 * above its IQR fence Q3 + c·IQR, clamped to [minKeep, maxKeep]. Call inside tf.tidy (or
 * an optimizer's loss function) or dispose `tokens`, `sizes` and `padMask` yourself.
 */
export function mergeByImportance(
  tokens: tf.Tensor3D,
  options: MergeByImportanceOptions,
): MergeByImportanceResult {
  if (tokens.rank !== 3) {
    throw new Error(`mergeByImportance: tokens must be [B, N, D], got [${tokens.shape}]`);
  }
  const [batchSize, tokenCount] = tokens.shape;
  const keys = options.keys ?? tokens;
  if (keys.rank !== 3 || keys.shape[0] !== batchSize || keys.shape[1] !== tokenCount) {
    throw new Error(
      `mergeByImportance: options.keys must be [${batchSize}, ${tokenCount}, Dk], got [${keys.shape}]`,
    );
  }
  for (const name of ['sizes', 'padMask'] as const) {
    const mask = options[name];
    if (mask != null && (mask.rank !== 2 || mask.shape.join() !== `${batchSize},${tokenCount}`)) {
      throw new Error(
        `mergeByImportance: options.${name} must be [${batchSize}, ${tokenCount}], got [${mask.shape}]`,
      );
    }
  }
  const scores = importanceScores(options.importance, keys, options.padMask ?? null, tokenCount);
  const plan = computeMergePlan(
    {
      batchSize,
      tokenCount,
      keyDim: keys.shape[2],
      scores,
      keys: keys.dataSync(),
      sizes: options.sizes?.dataSync() ?? null,
      padMask: options.padMask?.dataSync() ?? null,
      sources: options.sources ?? null,
      groups: options.groups ?? null,
    },
    options,
  );
  return {
    ...mergeTokens(plan, tokens),
    sources: plan.sources,
    keptCounts: plan.keptCounts,
    plan,
    apply: (aligned) => applyMergePlan(plan, aligned),
    unmerge: (merged) => unmergeTokens(plan, merged),
  };
}

function importanceScores(
  source: ImportanceSource,
  keys: tf.Tensor3D,
  padMask: tf.Tensor2D | null,
  tokenCount: number,
): ArrayLike<number> {
  const [batchSize] = keys.shape;
  const scores = tf.tidy(() => {
    if (source instanceof tf.Tensor) return source;
    if ('attention' in source) {
      return importanceFromAttention(source.attention, source.queryPadMask ?? null);
    }
    if ('query' in source) {
      return importanceFromQueryKeys(source.query, keys, source.queryPadMask ?? null, padMask);
    }
    throw new Error(
      'mergeByImportance: options.importance must be a [B, N] tensor, { attention } or { query }',
    );
  });
  if (scores.rank !== 2 || scores.shape[0] !== batchSize || scores.shape[1] !== tokenCount) {
    throw new Error(
      `mergeByImportance: importance must give [${batchSize}, ${tokenCount}] scores, got [${scores.shape}]`,
    );
  }
  const values = scores.dataSync();
  if (scores !== source) scores.dispose();
  return values;
}
