/**
 * Applying a merge plan to tensors, differentiably with respect to the tokens.
 *
 * Merging is a size-weighted average, merged = (A (s * x)) / s', with A the [B, M, N]
 * one-hot assignment from the plan, s the input sizes and s' the output sizes. Folding
 * s / s' into A gives one constant product W x, W[b, m, n] = s_n / s'_m when token n
 * joins output m. Unmerging copies every output back to the tokens it holds: x~ = A^T y.
 */
import * as tf from '@tensorflow/tfjs-core';
import { constantMatMul } from './constant-matmul.js';
import type { MergePlan } from './merge-plan.js';

/** Tokens after merging, padded to the batch's largest count. */
export interface MergedTokens {
  /** [B, M, D] */
  tokens: tf.Tensor3D;
  /** [B, M] how many original tokens each output holds; padding slots 0. */
  sizes: tf.Tensor2D;
  /** [B, M] 1 = padding slot, 0 = real token. */
  padMask: tf.Tensor2D;
}

/**
 * Merges any tensor aligned with the plan's tokens, [B, N] or [B, N, C] (features,
 * positions, ...), into [B, M] or [B, M, C]: each output is the size-weighted mean of its
 * members; padding slots are 0.
 */
export function applyMergePlan<T extends tf.Tensor2D | tf.Tensor3D>(plan: MergePlan, x: T): T {
  const { batchSize, inputTokens, outputTokens } = plan;
  checkAligned(x, batchSize, inputTokens, 'applyMergePlan', 'N');
  const weights = new Float32Array(batchSize * outputTokens * inputTokens);
  forEachMember(plan, (b, n, slot) => {
    weights[(b * outputTokens + slot) * inputTokens + n] = plan.weight[b * inputTokens + n]!;
  });
  return productKeepingRank(weights, [batchSize, outputTokens, inputTokens], x);
}

/**
 * The inverse direction: [B, M] or [B, M, C] back to [B, N] or [B, N, C], every input
 * token receiving the value of the output that holds it (0 for input padding slots).
 */
export function unmergeTokens<T extends tf.Tensor2D | tf.Tensor3D>(plan: MergePlan, merged: T): T {
  const { batchSize, inputTokens, outputTokens } = plan;
  checkAligned(merged, batchSize, outputTokens, 'unmergeTokens', 'M');
  const copies = new Float32Array(batchSize * inputTokens * outputTokens);
  forEachMember(plan, (b, n, slot) => {
    copies[(b * inputTokens + n) * outputTokens + slot] = 1;
  });
  return productKeepingRank(copies, [batchSize, inputTokens, outputTokens], merged);
}

/** Merges the tokens and returns them with their sizes and padding mask. */
export function mergeTokens(plan: MergePlan, tokens: tf.Tensor3D): MergedTokens {
  if (tokens.rank !== 3) {
    throw new Error(`mergeTokens: tokens must be [B, N, D], got [${tokens.shape}]`);
  }
  const { batchSize, outputTokens } = plan;
  const padMask = new Float32Array(batchSize * outputTokens);
  for (let b = 0; b < batchSize; b++) {
    padMask.fill(1, b * outputTokens + plan.keptCounts[b]!, (b + 1) * outputTokens);
  }
  return {
    tokens: applyMergePlan(plan, tokens),
    sizes: tf.tensor2d(plan.sizes, [batchSize, outputTokens]),
    padMask: tf.tensor2d(padMask, [batchSize, outputTokens]),
  };
}

function forEachMember(plan: MergePlan, visit: (b: number, n: number, slot: number) => void) {
  for (let b = 0; b < plan.batchSize; b++) {
    for (let n = 0; n < plan.inputTokens; n++) {
      const slot = plan.destination[b * plan.inputTokens + n]!;
      if (slot >= 0) visit(b, n, slot);
    }
  }
}

function productKeepingRank<T extends tf.Tensor2D | tf.Tensor3D>(
  matrices: Float32Array,
  shape: [number, number, number],
  x: T,
): T {
  return tf.tidy(() => {
    const asRank3 = x.rank === 2 ? tf.expandDims(x, 2) : x;
    const product = constantMatMul(matrices, shape, asRank3 as tf.Tensor3D);
    return (x.rank === 2 ? tf.squeeze(product, [2]) : product) as T;
  });
}

function checkAligned(x: tf.Tensor, batch: number, tokens: number, caller: string, name: string) {
  if ((x.rank !== 2 && x.rank !== 3) || x.shape[0] !== batch || x.shape[1] !== tokens) {
    throw new Error(
      `${caller}: expected a [B, ${name}] or [B, ${name}, C] tensor with B = ${batch}, ${name} = ${tokens}, got [${x.shape}]`,
    );
  }
}
