import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { shareInput } from './identity-kernel.js';
import { requiredInput } from './kernel-inputs.js';

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
      return x.dtype === args.attrs?.dtype ? shareInput(args, 'Cast') : stockCast(args);
    },
  };
}
