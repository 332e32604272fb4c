import { broadcast_util, util } from '@tensorflow/tfjs-core';

/**
 * How a (possibly batched, transposed, broadcast) matmul maps onto plain row-major GEMMs:
 * `out[o] = op(A[aSlice[o]]) x op(B[bSlice[o]])` for every output batch index `o`.
 */
export interface MatMulPlan {
  m: number;
  k: number;
  n: number;
  batchA: number;
  batchB: number;
  outShape: number[];
  /** Number of output matrices (product of the broadcast batch dims). */
  batchOut: number;
  /** For each output matrix, which A and which B matrix it multiplies. */
  aSlice: Int32Array;
  bSlice: Int32Array;
}

export function planMatMul(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan {
  if (aShape.length < 2 || bShape.length < 2) {
    throw new Error(
      `tfjs-fast-kernels matMul: both operands need rank >= 2, got a [${aShape}] and b [${bShape}]`,
    );
  }
  const aRows = aShape[aShape.length - 2] as number;
  const aCols = aShape[aShape.length - 1] as number;
  const bRows = bShape[bShape.length - 2] as number;
  const bCols = bShape[bShape.length - 1] as number;
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const kB = transposeB ? bCols : bRows;
  const n = transposeB ? bRows : bCols;
  if (k !== kB) {
    throw new Error(
      `tfjs-fast-kernels matMul: inner dimensions differ: a [${aShape}] (transposeA=${transposeA}) ` +
        `and b [${bShape}] (transposeB=${transposeB})`,
    );
  }
  const aBatchShape = aShape.slice(0, -2);
  const bBatchShape = bShape.slice(0, -2);
  const outBatchShape = broadcast_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  const batchOut = util.sizeFromShape(outBatchShape);
  const aSlice = broadcastSliceIndex(aBatchShape, outBatchShape, batchOut);
  const bSlice = broadcastSliceIndex(bBatchShape, outBatchShape, batchOut);
  return {
    m,
    k,
    n,
    batchA: util.sizeFromShape(aBatchShape),
    batchB: util.sizeFromShape(bBatchShape),
    outShape: [...outBatchShape, m, n],
    batchOut,
    aSlice,
    bSlice,
  };
}

/** For every flat index into `outShape`, the flat index into the broadcast operand `shape`. */
function broadcastSliceIndex(shape: number[], outShape: number[], outSize: number): Int32Array {
  const index = new Int32Array(outSize);
  const offset = outShape.length - shape.length;
  for (let o = 0; o < outSize; o++) {
    let rest = o;
    let flat = 0;
    let stride = 1;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const outDim = outShape[d] as number;
      const coord = rest % outDim;
      rest = (rest - coord) / outDim;
      if (d >= offset) {
        const dim = shape[d - offset] as number;
        if (dim !== 1) flat += coord * stride;
        stride *= dim;
      }
    }
    index[o] = flat;
  }
  return index;
}

/** True when each output matrix i uses A matrix i (so A's batch can fold into rows). */
export function aFollowsOutput(plan: MatMulPlan): boolean {
  return plan.batchA === plan.batchOut && plan.batchB === 1;
}
