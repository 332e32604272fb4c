import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The parts of `BackendWasm` (@tensorflow/tfjs-backend-wasm 4.22) these kernels use.
 * They are not public API, so `asWasmHeapBackend` checks each one before a kernel trusts it.
 */
export interface WasmHeapBackend {
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: string): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
  wasm: WasmModule;
}

interface WasmModule {
  HEAPU8: Uint8Array;
  // biome-ignore lint/suspicious/noExplicitAny: emscripten's cwrap returns untyped functions
  cwrap(name: string, returnType: null | string, argTypes: string[]): (...args: any[]) => any;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

/** Returns the backend as a `WasmHeapBackend`, or a reason why it does not look like one. */
export function asWasmHeapBackend(backend: unknown): WasmHeapBackend | string {
  const candidate = backend as Partial<WasmHeapBackend> | null;
  if (candidate == null || typeof candidate !== 'object') return 'no backend instance';
  if (typeof candidate.dataIdNextNumber !== 'number') return 'backend has no dataIdNextNumber';
  if (typeof candidate.dataIdMap?.get !== 'function') return 'backend has no dataIdMap';
  if (typeof candidate.makeOutput !== 'function') return 'backend has no makeOutput';
  if (typeof candidate.incRef !== 'function') return 'backend has no incRef';
  const wasm = candidate.wasm;
  if (wasm == null || typeof wasm.cwrap !== 'function' || !(wasm.HEAPU8 instanceof Uint8Array)) {
    return 'backend has no emscripten module';
  }
  if (
    typeof wasm.tfjs?.registerTensor !== 'function' ||
    typeof wasm.tfjs.disposeData !== 'function'
  ) {
    return 'backend module has no registerTensor/disposeData';
  }
  return candidate as WasmHeapBackend;
}

/** The wasm-side id and byte offset of a tensor's data. */
export function heapAddress(
  backend: WasmHeapBackend,
  info: TensorInfo,
): { id: number; offset: number } {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null)
    throw new Error(
      `tfjs-fast-kernels: tensor of shape [${info.shape}] is not on the wasm backend`,
    );
  return { id: data.id, offset: data.memoryOffset };
}

/**
 * Registers `size` floats at `byteOffset` as a temporary tensor id the C++ kernels accept,
 * without copying. Ids come from the backend's own counter, so they never collide with a
 * real tensor or with a cached XNNPACK operator (which is keyed by id and dropped on dispose).
 */
export function registerView(backend: WasmHeapBackend, byteOffset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, byteOffset);
  return id;
}

/** Forgets a view id; the memory stays owned by the tensor it points into. */
export function releaseView(backend: WasmHeapBackend, id: number): void {
  backend.wasm.tfjs.disposeData(id);
}

/** A Float32Array over a tensor's data; recreate after any allocation (the heap may grow). */
export function f32View(backend: WasmHeapBackend, info: TensorInfo): Float32Array {
  const { offset } = heapAddress(backend, info);
  const size = info.shape.reduce((a, b) => a * b, 1);
  return new Float32Array(backend.wasm.HEAPU8.buffer, offset, size);
}

export function i32View(backend: WasmHeapBackend, info: TensorInfo): Int32Array {
  const { offset } = heapAddress(backend, info);
  const size = info.shape.reduce((a, b) => a * b, 1);
  return new Int32Array(backend.wasm.HEAPU8.buffer, offset, size);
}
