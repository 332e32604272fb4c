import type { KernelConfig } from '@tensorflow/tfjs-core';
import { requiredInput } from './kernel_inputs';
import { asWasmHeapBackend } from './wasm_heap';

/**
 * Identity as a shared reference, as the cpu backend does it: tensors are immutable, so a
 * copy is never needed. tfjs-backend-wasm copies, and gradients pass through Identity dozens
 * of times per training step (about 4% of a transformer block's step once matmul is fast).
 */
export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const x = requiredInput(args.inputs, 'x', 'Identity');
    const backend = asWasmHeapBackend(args.backend);
    if (typeof backend === 'string') throw new Error(`tfjs-fast-kernels Identity: ${backend}`);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  },
};
