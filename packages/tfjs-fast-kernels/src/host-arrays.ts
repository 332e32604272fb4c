import type { DataId, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeFusedKernels } from './native-blas.js';
import { nativeFusedKernels } from './native-fused.js';
import { type SimdKernels, simdKernelsFor } from './simd-kernels.js';
import { asWasmHeapBackend, f32View, heapAddress } from './wasm-heap.js';

/** The part of tfjs-backend-cpu's `MathBackendCPU` a host kernel uses. */
interface CpuBackend {
  data: { get(dataId: DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function asCpuBackend(backend: unknown): CpuBackend | null {
  const candidate = backend as Partial<CpuBackend> | null;
  if (candidate == null || typeof candidate !== 'object') return null;
  if (typeof candidate.data?.get !== 'function' || typeof candidate.makeTensorInfo !== 'function')
    return null;
  return candidate as CpuBackend;
}

function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Reads float32 inputs and writes float32 outputs, given the outputs' shapes. */
export type HostCompute = (inputs: Float32Array[], outputs: Float32Array[]) => void;

/** The same on the wasm heap with the SIMD kernels: byte offsets of inputs and outputs. */
export type SimdCompute = (kernels: SimdKernels, inputs: number[], outputs: number[]) => void;

/** The same with the native addon's kernels: the heap and the byte offsets. */
export type NativeCompute = (
  kernels: NativeFusedKernels,
  heap: ArrayBuffer,
  inputs: number[],
  outputs: number[],
) => void;

/**
 * Runs `compute` over the tensors' own memory: the wasm heap (views taken after every output
 * is allocated, since an allocation may grow and so replace the heap) or the cpu backend's
 * typed arrays. No copies either way. On the wasm heap `nativeCompute` serves instead when
 * given and the native addon's kernels are on, else `simdCompute` when given and the SIMD
 * module runs there.
 */
export function computeOnHost(
  backend: unknown,
  kernelName: string,
  inputs: TensorInfo[],
  outputShapes: number[][],
  compute: HostCompute,
  simdCompute?: SimdCompute,
  nativeCompute?: NativeCompute,
): TensorInfo[] {
  for (const input of inputs) {
    if (input.dtype !== 'float32')
      throw new Error(
        `tfjs-fast-kernels ${kernelName}: inputs must be float32, got ${input.dtype}`,
      );
  }
  const wasm = asWasmHeapBackend(backend);
  if (typeof wasm !== 'string') {
    const outputs = outputShapes.map((shape) => wasm.makeOutput(shape, 'float32'));
    const native = nativeCompute === undefined ? null : nativeFusedKernels();
    if (native != null && nativeCompute !== undefined) {
      nativeCompute(
        native,
        // Read after the outputs were allocated: growing the memory replaces its buffer.
        wasm.wasm.HEAPU8.buffer as ArrayBuffer,
        inputs.map((input) => heapAddress(wasm, input).offset),
        outputs.map((output) => heapAddress(wasm, output).offset),
      );
      return outputs;
    }
    const simd = simdCompute === undefined ? null : simdKernelsFor(wasm);
    if (simd != null && simdCompute !== undefined) {
      simdCompute(
        simd,
        inputs.map((input) => heapAddress(wasm, input).offset),
        outputs.map((output) => heapAddress(wasm, output).offset),
      );
      return outputs;
    }
    compute(
      inputs.map((input) => f32View(wasm, input)),
      outputs.map((output) => f32View(wasm, output)),
    );
    return outputs;
  }
  const cpu = asCpuBackend(backend);
  if (cpu == null)
    throw new Error(`tfjs-fast-kernels ${kernelName}: backend is neither wasm nor cpu (${wasm})`);
  const inputValues = inputs.map((input) => {
    const values = cpu.data.get(input.dataId)?.values;
    if (!(values instanceof Float32Array))
      throw new Error(`tfjs-fast-kernels ${kernelName}: input data is not a Float32Array`);
    return values;
  });
  const outputValues = outputShapes.map((shape) => new Float32Array(sizeOf(shape)));
  compute(inputValues, outputValues);
  return outputShapes.map((shape, i) =>
    cpu.makeTensorInfo(shape, 'float32', outputValues[i] as Float32Array),
  );
}

/** The backends host kernels are registered on. */
export const HOST_BACKENDS = ['wasm', 'cpu'] as const;

/** One kernel function registered under the same name on every host backend. */
export function hostKernelConfigs(kernelName: string, kernelFunc: KernelFunc): KernelConfig[] {
  return HOST_BACKENDS.map((backendName) => ({ kernelName, backendName, kernelFunc }));
}
