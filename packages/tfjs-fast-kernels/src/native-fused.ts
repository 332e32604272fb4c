import type { NativeFusedKernels } from './native-blas.js';

/**
 * The addon whose fused kernels serve the wasm backend, or null (the wasm SIMD kernels
 * serve). Set by `enableFastKernels` when the addon loaded and `fused` is on, cleared by
 * `disableFastKernels`; the kernels look here at every call.
 */
let active: NativeFusedKernels | null = null;

export function setNativeFusedKernels(kernels: NativeFusedKernels | null): void {
  active = kernels;
}

export function nativeFusedKernels(): NativeFusedKernels | null {
  return active;
}
