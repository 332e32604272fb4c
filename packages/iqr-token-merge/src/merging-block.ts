/**
 * Token merging for a user's own pre-norm transformer, ToMe-style: give the block's parts
 * (norms, q/k/v projection, output projection, MLP) as functions and the wrapper runs
 *
 *   x = x + proj(attention(norm1(x)))   with proportional attention (+ log size, padding masked)
 *   x = merge(x)                        keep the important tokens, merge the rest (IQR or r)
 *   x = x + mlp(norm2(x))
 *
 * carrying sizes, padding and source lists from block to block. The parts can be plain
 * tfjs functions over variables or tf.layers layers (`(x) => layer.apply(x) as Tensor3D`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { importanceFromAttention } from './importance.js';
import { mergeByImportance } from './merge-by-importance.js';
import type { MergePlanOptions } from './merge-options.js';
import { attentionBias, multiHeadAttention } from './proportional-attention.js';

/** One pre-norm block of the user's model (timm's Block: norm1, attn.qkv, attn.proj, norm2, mlp). */
export interface PreNormBlock {
  /** Attention heads; D must be divisible by it. */
  heads: number;
  norm1(x: tf.Tensor3D): tf.Tensor3D;
  /** Query, key and value projections of the normed tokens, each [B, N, D] (heads concatenated). */
  qkv(x: tf.Tensor3D): { q: tf.Tensor3D; k: tf.Tensor3D; v: tf.Tensor3D };
  /** The attention output projection. */
  proj(x: tf.Tensor3D): tf.Tensor3D;
  norm2(x: tf.Tensor3D): tf.Tensor3D;
  mlp(x: tf.Tensor3D): tf.Tensor3D;
}

/** How a merging block chooses and merges; change it between calls (`blocks.merge.r = 16`). */
export interface TokenMergeRule extends MergePlanOptions {
  /**
   * Which attention scores the tokens: 'mean' = the attention every (real) token receives,
   * averaged over heads and queries; 'cls' = the attention the class token at `clsIndex` puts
   * on each token (then the class token is also protected). A `query` given per call (e.g.
   * question tokens) overrides both. Default 'mean'.
   */
  importance?: 'mean' | 'cls';
  /** Position of the class token. Default 0. */
  clsIndex?: number;
  /** Add log(size) to the attention logits (ToMe's proportional attention). Default true. */
  proportionalAttention?: boolean;
  /** false runs the block without merging (e.g. for a dense baseline). Default true. */
  enabled?: boolean;
}

/** A token sequence between blocks. */
export interface TokenSequence {
  /** [B, M, D] */
  tokens: tf.Tensor3D;
  /** [B, M] original tokens each token holds; padding slots 0. */
  sizes: tf.Tensor2D;
  /** [B, M] 1 = padding slot (samples kept different counts under the IQR fence). */
  padMask: tf.Tensor2D;
  /** Per sample, per token: the original positions it holds; null before the first merge. */
  sources: Int32Array[][] | null;
}

/** Extra inputs of one call. */
export interface MergingCall {
  /** [B, Nq, D] tokens whose attention (through this block's norm1 and q) scores the sequence, e.g. a question. */
  query?: tf.Tensor3D;
  /** [B, Nq] 1 = padded query. */
  queryPadMask?: tf.Tensor2D | null;
}

export interface MergingBlock {
  (sequence: TokenSequence | tf.Tensor3D, call?: MergingCall): TokenSequence;
  readonly merge: TokenMergeRule;
}

export interface MergingTransformer {
  /** Runs every block on tokens [B, N, D] (or a sequence) and returns the final sequence. */
  (sequence: TokenSequence | tf.Tensor3D, call?: MergingCall): TokenSequence;
  /** Shared by every block; change it between calls (ToMe's `model.r = 16`). */
  readonly merge: TokenMergeRule;
  readonly blocks: readonly MergingBlock[];
  /** The sequence length after each block in the last call (the longest sample, padding included). */
  readonly lengths: readonly number[];
}

/** A fresh sequence: every token holds itself, no padding. */
export function tokenSequence(tokens: tf.Tensor3D): TokenSequence {
  if (tokens.rank !== 3) {
    throw new Error(`tokenSequence: tokens must be [B, N, D], got [${tokens.shape}]`);
  }
  const [batch, length] = tokens.shape;
  return {
    tokens,
    sizes: tf.ones([batch, length]),
    padMask: tf.zeros([batch, length]),
    sources: null,
  };
}

/**
 * Wraps one pre-norm block so that it merges tokens after its attention. `merge` is kept by
 * reference: mutate it to change r, target or the fence between calls. Call inside tf.tidy
 * (or an optimizer's loss function): the intermediate tensors are left to it.
 */
export function mergingBlock(block: PreNormBlock, merge: TokenMergeRule = {}): MergingBlock {
  const run = (input: TokenSequence | tf.Tensor3D, call: MergingCall = {}): TokenSequence => {
    const sequence = input instanceof tf.Tensor ? tokenSequence(input) : input;
    const { tokens: x, sizes, padMask } = sequence;
    const proportional = merge.proportionalAttention ?? true;
    const bias = proportional
      ? attentionBias(sizes, padMask)
      : attentionBias(tf.onesLike(sizes), padMask);
    const { q, k, v } = block.qkv(block.norm1(x));
    const attended = multiHeadAttention(q, k, v, block.heads, bias);
    const afterAttention = tf.add(x, block.proj(attended.output)) as tf.Tensor3D;

    let next: TokenSequence = { ...sequence, tokens: afterAttention };
    if (merge.enabled ?? true) {
      const { importance, clsIndex, proportionalAttention, enabled, ...planOptions } = merge;
      const cls = clsIndex ?? 0;
      if (importance === 'cls' && !(planOptions.protectedTokens ?? []).includes(cls)) {
        planOptions.protectedTokens = [...(planOptions.protectedTokens ?? []), cls];
      }
      const merged = mergeByImportance(afterAttention, {
        ...planOptions,
        keys: k,
        importance: blockImportance(block, attended.probabilities, k, bias, padMask, call, {
          importance: importance ?? 'mean',
          cls,
        }),
        sizes,
        padMask,
        sources: sequence.sources,
      });
      next = {
        tokens: merged.tokens,
        sizes: merged.sizes,
        padMask: merged.padMask,
        sources: merged.sources,
      };
    }
    const output = tf.add(next.tokens, block.mlp(block.norm2(next.tokens))) as tf.Tensor3D;
    return { ...next, tokens: output };
  };
  return Object.assign(run, { merge });
}

/**
 * Wraps every block with one shared rule: `const encoder = mergingTransformer(blocks, { r: 8 })`,
 * then `encoder(x).tokens` is the shortened output and `encoder.merge.r = 16` changes r.
 */
export function mergingTransformer(
  blocks: readonly PreNormBlock[],
  merge: TokenMergeRule = {},
): MergingTransformer {
  const wrapped = blocks.map((block) => mergingBlock(block, merge));
  const lengths: number[] = [];
  const run = (input: TokenSequence | tf.Tensor3D, call: MergingCall = {}): TokenSequence => {
    let sequence = input instanceof tf.Tensor ? tokenSequence(input) : input;
    lengths.length = 0;
    for (const block of wrapped) {
      sequence = block(sequence, call);
      lengths.push(sequence.tokens.shape[1]);
    }
    return sequence;
  };
  return Object.assign(run, { merge, blocks: wrapped, lengths });
}

function blockImportance(
  block: PreNormBlock,
  probabilities: tf.Tensor4D,
  keys: tf.Tensor3D,
  bias: tf.Tensor4D,
  padMask: tf.Tensor2D,
  call: MergingCall,
  rule: { importance: 'mean' | 'cls'; cls: number },
): tf.Tensor2D {
  return tf.tidy(() => {
    if (call.query !== undefined) {
      // The question (or any query) attends through this block's own norm1 and q projection.
      const { q } = block.qkv(block.norm1(call.query));
      const { probabilities: fromQuery } = multiHeadAttention(q, keys, keys, block.heads, bias);
      return importanceFromAttention(fromQuery, call.queryPadMask ?? null);
    }
    if (rule.importance === 'cls') {
      const [batch, heads, queries, length] = probabilities.shape;
      if (rule.cls < 0 || rule.cls >= queries) {
        throw new Error(`mergingBlock: clsIndex ${rule.cls} is outside the sequence of ${length}`);
      }
      return importanceFromAttention(
        tf.slice(probabilities, [0, 0, rule.cls, 0], [batch, heads, 1, length]),
      );
    }
    if (rule.importance !== 'mean') {
      throw new Error(`mergingBlock: importance must be 'mean' or 'cls', got '${rule.importance}'`);
    }
    return importanceFromAttention(probabilities, padMask);
  });
}
