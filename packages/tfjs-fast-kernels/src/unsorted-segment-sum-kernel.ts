import type { KernelConfig, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { requiredInput } from './kernel-inputs.js';
import { asWasmHeapBackend, f32View, i32View } from './wasm-heap.js';

/**
 * `out[s] = sum of x[i] over every i with segmentIds[i] = s`; ids outside [0, numSegments)
 * are dropped, as in TensorFlow. tfjs-backend-wasm has no such kernel, and it is the
 * gradient of `gather`, so without it embeddings and token selections cannot train on wasm.
 */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const x = requiredInput(args.inputs, 'x', 'UnsortedSegmentSum');
    const segmentIds = requiredInput(args.inputs, 'segmentIds', 'UnsortedSegmentSum');
    const { numSegments } = args.attrs as unknown as UnsortedSegmentSumAttrs;
    const backend = asWasmHeapBackend(args.backend);
    if (typeof backend === 'string')
      throw new Error(`tfjs-fast-kernels UnsortedSegmentSum: ${backend}`);
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(
        `tfjs-fast-kernels UnsortedSegmentSum: x must be float32 or int32, got ${x.dtype}`,
      );
    }
    const idRank = segmentIds.shape.length;
    if (segmentIds.shape.some((dim, axis) => dim !== x.shape[axis])) {
      throw new Error(
        `tfjs-fast-kernels UnsortedSegmentSum: segmentIds [${segmentIds.shape}] must be a prefix of x [${x.shape}]`,
      );
    }
    if (!Number.isInteger(numSegments) || numSegments < 0) {
      throw new Error(
        `tfjs-fast-kernels UnsortedSegmentSum: numSegments must be a non-negative integer, got ${numSegments}`,
      );
    }
    const rowShape = x.shape.slice(idRank);
    const rowSize = rowShape.reduce((p, d) => p * d, 1);
    const out: TensorInfo = backend.makeOutput([numSegments, ...rowShape], x.dtype);
    // Views are taken after makeOutput: an allocation may grow (and so replace) the heap.
    const values = x.dtype === 'float32' ? f32View(backend, x) : i32View(backend, x);
    const sums = x.dtype === 'float32' ? f32View(backend, out) : i32View(backend, out);
    const ids =
      segmentIds.dtype === 'int32' ? i32View(backend, segmentIds) : f32View(backend, segmentIds);
    sums.fill(0);
    for (let row = 0; row < ids.length; row++) {
      const segment = ids[row] as number;
      if (segment < 0 || segment >= numSegments) continue;
      const from = row * rowSize;
      const to = segment * rowSize;
      for (let j = 0; j < rowSize; j++)
        sums[to + j] = (sums[to + j] as number) + (values[from + j] as number);
    }
    return out;
  },
};
