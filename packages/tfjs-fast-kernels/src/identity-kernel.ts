import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { requiredInput } from './kernel-inputs.js';
import { asWasmHeapBackend } from './wasm-heap.js';

/** Input `x` itself as the output: one more reference to its buffer, no copy. */
export function shareInput(args: Parameters<KernelFunc>[0], kernelName: string): TensorInfo {
  const x = requiredInput(args.inputs, 'x', kernelName);
  const backend = asWasmHeapBackend(args.backend);
  if (typeof backend === 'string') throw new Error(`tfjs-fast-kernels ${kernelName}: ${backend}`);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Identity as a shared reference, as the cpu backend does it: tensors are immutable, so a
 * copy is never needed. tfjs-backend-wasm copies, and gradients pass through Identity dozens
 * of times per training step (about 4% of a transformer block's step once matmul is fast).
 */
export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: (args) => shareInput(args, 'Identity'),
};
