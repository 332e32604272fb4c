import {
  backend_util,
  type KernelConfig,
  type SplitVAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { requiredInput } from './kernel-inputs.js';
import { asWasmHeapBackend, f32View, i32View } from './wasm-heap.js';

/**
 * SplitV as row copies on the heap. The stock kernel slices each part element by element;
 * splitting a fused q|k|v projection [B*N, 3D] that way cost as much as a GEMM of the block.
 * Here each part is `outer` contiguous runs of `size * inner` values.
 */
export const splitVConfig: KernelConfig = {
  kernelName: 'SplitV',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const x = requiredInput(args.inputs, 'x', 'SplitV');
    const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
    const backend = asWasmHeapBackend(args.backend);
    if (typeof backend === 'string') throw new Error(`tfjs-fast-kernels SplitV: ${backend}`);
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`tfjs-fast-kernels SplitV: x must be float32 or int32, got ${x.dtype}`);
    }
    const splitAxis = util.parseAxisParam(axis, x.shape)[0] as number;
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, splitAxis);
    const outer = util.sizeFromShape(x.shape.slice(0, splitAxis));
    const inner = util.sizeFromShape(x.shape.slice(splitAxis + 1));
    const axisLength = x.shape[splitAxis] as number;
    const parts: TensorInfo[] = sizes.map((size) => {
      const shape = [...x.shape];
      shape[splitAxis] = size;
      return backend.makeOutput(shape, x.dtype);
    });
    // Views after every makeOutput: an allocation may grow (and so replace) the heap.
    const view = x.dtype === 'float32' ? f32View : i32View;
    const source = view(backend, x);
    let start = 0;
    parts.forEach((part, index) => {
      const run = (sizes[index] as number) * inner;
      const target = view(backend, part);
      for (let o = 0; o < outer; o++) {
        const from = (o * axisLength + start) * inner;
        target.set(source.subarray(from, from + run), o * run);
      }
      start += sizes[index] as number;
    });
    return parts;
  },
};
