/**
 * Differentiable row gather and its inverse scatter, on every backend.
 *
 * tf.gather's registered gradient is UnsortedSegmentSum, which stock wasm lacks. Here the
 * backward of the gather is a ScatterNd (which sums repeated indices, as a gather's gradient
 * must) and the backward of the scatter is a gather; wasm, cpu and webgl have both kernels.
 * Rows that are never gathered get exactly zero gradient.
 */

import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

/** rows [K, D] = table[rowIndices] for a table [R, D] and int32 rowIndices [K]. */
export function gatherRows(table: Tensor2D, rowIndices: Tensor1D): Tensor2D {
  assertRowIndices(rowIndices, 'gatherRows');
  const [numRows, width] = table.shape;
  const gather = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [source, indices, save] = args as [Tensor, Tensor, tf.GradSaveFunc];
    // Saved, not closed over: the caller may dispose `indices` before backprop runs.
    save([indices]);
    return {
      value: tf.gather(source, indices as Tensor1D),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const savedIndices = saved[0] as Tensor1D;
        return [
          tf.scatterND(tf.expandDims(savedIndices, 1), dy, [numRows, width]),
          noGradient(savedIndices),
        ];
      },
    };
  });
  return gather(table, rowIndices) as Tensor2D;
}

/**
 * table [numRows, D] with table[rowIndices[k]] = rows[k] and zeros elsewhere (repeated
 * indices add up). The inverse of gatherRows when the indices are distinct.
 */
export function scatterRows(rows: Tensor2D, rowIndices: Tensor1D, numRows: number): Tensor2D {
  assertRowIndices(rowIndices, 'scatterRows');
  if (rows.shape[0] !== rowIndices.shape[0]) {
    throw new Error(
      `scatterRows: rows [${rows.shape}] and rowIndices [${rowIndices.shape}] disagree on K`,
    );
  }
  const width = rows.shape[1];
  const scatter = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [source, indices, save] = args as [Tensor, Tensor, tf.GradSaveFunc];
    save([indices]);
    return {
      value: tf.scatterND(tf.expandDims(indices, 1), source, [numRows, width]),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const savedIndices = saved[0] as Tensor1D;
        return [tf.gather(dy, savedIndices), noGradient(savedIndices)];
      },
    };
  });
  return scatter(rows, rowIndices) as Tensor2D;
}

/** Indices are not differentiable; the engine still wants a float32 tensor of their shape. */
function noGradient(indices: Tensor): Tensor {
  return tf.zeros(indices.shape);
}

function assertRowIndices(rowIndices: Tensor, caller: string): void {
  if (rowIndices.rank !== 1 || rowIndices.dtype !== 'int32') {
    throw new Error(
      `${caller}: rowIndices must be an int32 1-D tensor, got ${rowIndices.dtype} [${rowIndices.shape}]`,
    );
  }
}
