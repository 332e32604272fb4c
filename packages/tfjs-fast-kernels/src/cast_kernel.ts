import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { requiredInput } from './kernel_inputs';
import { asWasmHeapBackend } from './wasm_heap';

/**
 * Cast to the dtype a tensor already has as a shared reference, like Identity: tensors are
 * immutable. tfjs-backend-wasm copies, and casts to float32 are common in gradients. Other
 * casts go to the stock kernel.
 */
export function castConfig(stockCast: KernelFunc): KernelConfig {
  return {
    kernelName: 'Cast',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = requiredInput(args.inputs, 'x', 'Cast');
      if (x.dtype !== args.attrs?.dtype) return stockCast(args);
      const backend = asWasmHeapBackend(args.backend);
      if (typeof backend === 'string') throw new Error(`tfjs-fast-kernels Cast: ${backend}`);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}
