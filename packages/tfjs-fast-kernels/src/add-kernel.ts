import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { requiredInput } from './kernel-inputs.js';
import { simdKernelsFor } from './simd-kernels.js';
import { asWasmHeapBackend, heapAddress } from './wasm-heap.js';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, axis) => size === b[axis]);
}

/** Whether `row` broadcasts as one row of `full`'s last axis: [..., 1, W] against [..., W]. */
function isRowOf(row: TensorInfo, full: TensorInfo): boolean {
  const width = full.shape[full.shape.length - 1];
  if (width === undefined || row.shape.length > full.shape.length) return false;
  const leading = row.shape.slice(0, -1);
  return row.shape[row.shape.length - 1] === width && leading.every((size) => size === 1);
}

/**
 * Float32 Add of two same-shape tensors, or of a tensor and one row of its last axis (a
 * bias), as the SIMD module's `addValues`: the same float additions (IEEE addition is
 * commutative) without the stock kernel's per-element broadcasting loop, which made a
 * training step's ~90 residual, bias and gradient-accumulation adds cost about 10% of its
 * kernel time. Other shapes and dtypes, and runtimes without wasm SIMD, go to the stock
 * kernel.
 */
export function addConfig(stockAdd: KernelFunc): KernelConfig {
  return {
    kernelName: 'Add',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const a = requiredInput(args.inputs, 'a', 'Add');
      const b = requiredInput(args.inputs, 'b', 'Add');
      const backend = asWasmHeapBackend(args.backend);
      if (typeof backend === 'string' || a.dtype !== 'float32' || b.dtype !== 'float32')
        return stockAdd(args);
      let full: TensorInfo;
      let other: TensorInfo;
      let width: number;
      if (sameShape(a.shape, b.shape)) {
        [full, other, width] = [a, b, 0];
      } else if (isRowOf(b, a)) {
        [full, other, width] = [a, b, a.shape[a.shape.length - 1] as number];
      } else if (isRowOf(a, b)) {
        [full, other, width] = [b, a, b.shape[b.shape.length - 1] as number];
      } else {
        return stockAdd(args);
      }
      const simd = simdKernelsFor(backend);
      const size = full.shape.reduce((x, y) => x * y, 1);
      if (simd == null || size === 0) return stockAdd(args);
      const out = backend.makeOutput([...full.shape], 'float32');
      // Addresses after makeOutput: an allocation may grow (and so replace) the heap.
      simd.addValues(
        heapAddress(backend, full).offset,
        heapAddress(backend, other).offset,
        heapAddress(backend, out).offset,
        size,
        width,
      );
      return out;
    },
  };
}
