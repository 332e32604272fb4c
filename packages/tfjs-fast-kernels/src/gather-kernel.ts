import {
  type GatherV2Attrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { requiredInput } from './kernel-inputs.js';
import { asWasmHeapBackend, heapAddress, i32View } from './wasm-heap.js';

/**
 * GatherV2 as row copies on the heap: out[o, k, :] = x[o, indices[k], :] over the axis, one
 * contiguous run of `inner` values per (o, k), moved with `copyWithin` (no JS object per row). Stock wasm's kernel cost 0.5-0.7 ms to gather
 * [320, 64] rows of [640, 64] (sparse masking gathers two such streams every masked step);
 * here it is a few microseconds. Exact (a copy). Batched gathers (batchDims > 0) and other
 * dtypes go to the stock kernel. The gradient is tfjs' own: UnsortedSegmentSum, a
 * scatter-add, which this package also registers on wasm.
 */
export function gatherConfig(stockGather: KernelFunc): KernelConfig {
  return {
    kernelName: 'GatherV2',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = requiredInput(args.inputs, 'x', 'GatherV2');
      const indices = requiredInput(args.inputs, 'indices', 'GatherV2');
      const { axis, batchDims } = args.attrs as unknown as GatherV2Attrs;
      const backend = asWasmHeapBackend(args.backend);
      if (
        typeof backend === 'string' ||
        (batchDims ?? 0) !== 0 ||
        (x.dtype !== 'float32' && x.dtype !== 'int32') ||
        indices.dtype !== 'int32'
      ) {
        return stockGather(args);
      }
      const gatherAxis = util.parseAxisParam(axis, x.shape)[0] as number;
      const outer = util.sizeFromShape(x.shape.slice(0, gatherAxis));
      const axisLength = x.shape[gatherAxis] as number;
      const inner = util.sizeFromShape(x.shape.slice(gatherAxis + 1));
      const count = util.sizeFromShape(indices.shape);
      const checked = i32View(backend, indices);
      for (let k = 0; k < count; k++) {
        const index = checked[k] as number;
        if (index < 0 || index >= axisLength) {
          throw new Error(
            `tfjs-fast-kernels GatherV2: indices[${k}] = ${index} is not in [0, ${axisLength - 1}]`,
          );
        }
      }
      const out: TensorInfo = backend.makeOutput(
        [...x.shape.slice(0, gatherAxis), ...indices.shape, ...x.shape.slice(gatherAxis + 1)],
        x.dtype,
      );
      // One view of the whole heap after makeOutput (an allocation may grow, and so replace,
      // the heap); rows move with copyWithin, so a launch allocates no JS object per row.
      const heap = new Uint32Array(backend.wasm.HEAPU8.buffer);
      const ids = i32View(backend, indices);
      const sourceStart = heapAddress(backend, x).offset >>> 2;
      const targetStart = heapAddress(backend, out).offset >>> 2;
      for (let o = 0; o < outer; o++) {
        const sourceBase = sourceStart + o * axisLength * inner;
        const targetBase = targetStart + o * count * inner;
        for (let k = 0; k < count; k++) {
          const from = sourceBase + (ids[k] as number) * inner;
          if (inner === 1) heap[targetBase + k] = heap[from] as number;
          else heap.copyWithin(targetBase + k * inner, from, from + inner);
        }
      }
      return out;
    },
  };
}
