/**
 * A mask plan: which tokens of each sample survive, computed once and applied to anything
 * aligned with the tokens (features, positional embeddings, sizes), then inverted after the
 * encoder (MAE's unshuffle with mask tokens). ToMe-style: a plan, not a one-shot transform.
 */

import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows, scatterRows } from './gather-rows.js';

export interface MaskPlan {
  readonly batchSize: number;
  /** N, tokens per sample before masking. */
  readonly numTokens: number;
  /** N_keep, the same for every sample so the batch stays rectangular. */
  readonly numKeep: number;
  /** int32 [B, N_keep], kept original positions, ascending per sample. */
  readonly keepIndices: Tensor2D;
  /**
   * int32 [B, N], MAE's ids_restore: the argsort of the shuffle [kept ascending, dropped
   * ascending], so gathering concat(visible, maskTokens) with it restores the original order.
   */
  readonly restoreIndices: Tensor2D;
  /** float32 [B, N], 1 = dropped, 0 = kept. */
  readonly dropMask: Tensor2D;
  /** int32 [B * N_keep], b * N + keepIndices[b, k]: rows of the tokens flattened to [B * N, ...]. */
  readonly keepRows: Tensor1D;
  /** The kept positions of each sample on the CPU (ascending), for selection logic and tests. */
  readonly keepSets: readonly Int32Array[];
}

/**
 * Builds a plan from each sample's kept positions (any order, distinct, in [0, numTokens)).
 * Every sample must keep the same number of tokens.
 */
export function createMaskPlan(
  keepSets: ReadonlyArray<ArrayLike<number>>,
  numTokens: number,
): MaskPlan {
  const batchSize = keepSets.length;
  if (batchSize === 0) throw new Error('createMaskPlan: keepSets is empty (batch of zero)');
  if (!Number.isInteger(numTokens) || numTokens < 1) {
    throw new Error(`createMaskPlan: numTokens must be a positive integer, got ${numTokens}`);
  }
  const numKeep = keepSets[0]!.length;
  const sortedSets: Int32Array[] = [];
  const keepData = new Int32Array(batchSize * numKeep);
  const restoreData = new Int32Array(batchSize * numTokens);
  const dropData = new Float32Array(batchSize * numTokens);
  const rowData = new Int32Array(batchSize * numKeep);
  for (let b = 0; b < batchSize; b++) {
    const sorted = Int32Array.from(keepSets[b]!).sort();
    if (sorted.length !== numKeep) {
      throw new Error(
        `createMaskPlan: sample ${b} keeps ${sorted.length} tokens but sample 0 keeps ${numKeep}; ` +
          'every sample must keep the same number',
      );
    }
    const kept = new Uint8Array(numTokens);
    for (const position of sorted) {
      if (position < 0 || position >= numTokens || kept[position] === 1) {
        throw new Error(
          `createMaskPlan: sample ${b} has position ${position}, outside [0, ${numTokens}) or repeated`,
        );
      }
      kept[position] = 1;
    }
    sortedSets.push(sorted);
    keepData.set(sorted, b * numKeep);
    // Shuffle order = kept ascending, then dropped ascending; restore = its argsort.
    let rank = 0;
    for (const position of sorted) {
      restoreData[b * numTokens + position] = rank++;
      rowData[b * numKeep + rank - 1] = b * numTokens + position;
    }
    for (let position = 0; position < numTokens; position++) {
      if (kept[position] === 0) {
        restoreData[b * numTokens + position] = rank++;
        dropData[b * numTokens + position] = 1;
      }
    }
  }
  return {
    batchSize,
    numTokens,
    numKeep,
    keepIndices: tf.tensor2d(keepData, [batchSize, numKeep], 'int32'),
    restoreIndices: tf.tensor2d(restoreData, [batchSize, numTokens], 'int32'),
    dropMask: tf.tensor2d(dropData, [batchSize, numTokens], 'float32'),
    keepRows: tf.tensor1d(rowData, 'int32'),
    keepSets: sortedSets,
  };
}

/**
 * Keeps the planned tokens of any tensor aligned with them: x [B, N, ...] -> [B, N_keep, ...].
 * A leading dimension of 1 ([1, N, ...], e.g. positional embeddings shared by the batch) is
 * gathered per sample too. Differentiable on every backend; dropped tokens get zero gradient.
 */
export function applyMaskPlan<T extends Tensor>(plan: MaskPlan, x: T): T {
  if (x.rank < 2 || x.shape[1] !== plan.numTokens) {
    throw new Error(
      `applyMaskPlan: x must be [B, ${plan.numTokens}, ...] (token axis 1), got [${x.shape}]`,
    );
  }
  const leading = x.shape[0]!;
  if (leading !== plan.batchSize && leading !== 1) {
    throw new Error(
      `applyMaskPlan: x has batch ${leading} but the plan was made for batch ${plan.batchSize} (or use 1 to share across the batch)`,
    );
  }
  const trailing = x.shape.slice(2);
  const width = trailing.reduce((product, size) => product * size, 1);
  return tf.tidy(() => {
    const table = tf.reshape(x, [leading * plan.numTokens, width]) as Tensor2D;
    // A shared [1, N, ...] tensor is indexed by the kept positions themselves, so its
    // gradient sums over the batch (ScatterNd adds repeated rows).
    const rows =
      leading === plan.batchSize
        ? plan.keepRows
        : (tf.reshape(plan.keepIndices, [plan.batchSize * plan.numKeep]) as Tensor1D);
    return tf.reshape(gatherRows(table, rows), [plan.batchSize, plan.numKeep, ...trailing]) as T;
  });
}

/**
 * MAE's unshuffle: puts visible tokens [B, N_keep, D] back at their original positions ->
 * [B, N, D], with `fillToken` (e.g. a learned mask token, [D]) at the dropped positions, or
 * zeros without one. Differentiable with respect to both visible and fillToken.
 */
export function restoreTokens(plan: MaskPlan, visible: Tensor3D, fillToken?: Tensor): Tensor3D {
  const [batchSize, numKeep, width] = visible.shape;
  if (batchSize !== plan.batchSize || numKeep !== plan.numKeep) {
    throw new Error(
      `restoreTokens: visible must be [${plan.batchSize}, ${plan.numKeep}, D], got [${visible.shape}]`,
    );
  }
  if (fillToken !== undefined && fillToken.size !== width) {
    throw new Error(
      `restoreTokens: fillToken must hold D = ${width} values, got shape [${fillToken.shape}]`,
    );
  }
  return tf.tidy(() => {
    const rows = tf.reshape(visible, [batchSize * numKeep, width]) as Tensor2D;
    const scattered = scatterRows(rows, plan.keepRows, batchSize * plan.numTokens);
    const restored = tf.reshape(scattered, [batchSize, plan.numTokens, width]) as Tensor3D;
    if (fillToken === undefined) return restored;
    const fill = tf.mul(tf.expandDims(plan.dropMask, 2), tf.reshape(fillToken, [1, 1, width]));
    return tf.add(restored, fill) as Tensor3D;
  });
}

/** Frees the plan's tensors (not needed inside a tf.tidy, which frees them itself). */
export function disposeMaskPlan(plan: MaskPlan): void {
  tf.dispose([plan.keepIndices, plan.restoreIndices, plan.dropMask, plan.keepRows]);
}
