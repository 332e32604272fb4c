import { SIMD_KERNELS_SHARED_WASM_BASE64, SIMD_KERNELS_WASM_BASE64 } from './simd-binary.js';
import type { WasmHeapBackend } from './wasm-heap.js';

/** assembly/kernels.ts's exports: pointers are byte offsets into tfjs-backend-wasm's heap. */
export interface SimdKernels {
  softmaxRows(
    logits: number,
    bias: number,
    y: number,
    rows: number,
    width: number,
    rowsPerGroup: number,
  ): void;
  softmaxGradRows(dy: number, y: number, dx: number, rows: number, width: number): void;
  layerNormRows(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    rows: number,
    width: number,
    epsilon: number,
  ): void;
  layerNormGradRows(
    dy: number,
    x: number,
    gamma: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    width: number,
    epsilon: number,
  ): void;
  geluValues(x: number, y: number, n: number): void;
  geluGradValues(dy: number, x: number, dx: number, n: number): void;
  columnSums(x: number, out: number, rows: number, width: number): void;
  splitHeadsCopy(
    x: number,
    out: number,
    batch: number,
    tokens: number,
    heads: number,
    depth: number,
    columns: number,
    offset: number,
    scale: number,
  ): void;
  mergeHeadsCopy(
    part: number,
    out: number,
    batch: number,
    tokens: number,
    heads: number,
    depth: number,
    parts: number,
    index: number,
    scale: number,
  ): void;
  matMulSlice(
    a: number,
    b: number,
    out: number,
    m: number,
    k: number,
    n: number,
    transA: number,
    transB: number,
    scratch: number,
    blockK: number,
  ): void;
  attentionForward(
    q: number,
    qColumns: number,
    k: number,
    kColumns: number,
    v: number,
    vColumns: number,
    bias: number,
    out: number,
    probabilities: number,
    batch: number,
    queries: number,
    keys: number,
    heads: number,
    depth: number,
    scale: number,
    scratch: number,
  ): void;
  attentionBackward(
    dy: number,
    q: number,
    qColumns: number,
    k: number,
    kColumns: number,
    v: number,
    vColumns: number,
    probabilities: number,
    dq: number,
    dqColumns: number,
    dk: number,
    dkColumns: number,
    dv: number,
    dvColumns: number,
    batch: number,
    queries: number,
    keys: number,
    heads: number,
    depth: number,
    scale: number,
    scratch: number,
  ): void;
  addValues(a: number, b: number, out: number, n: number, width: number): void;
  adamUpdate(
    g: number,
    m: number,
    v: number,
    w: number,
    mask: number,
    mOut: number,
    vOut: number,
    wOut: number,
    n: number,
    gradScale: number,
    b1: number,
    oneMinusB1: number,
    b2: number,
    oneMinusB2: number,
    acc1: number,
    acc2: number,
    eps: number,
    negLr: number,
    decayRate: number,
  ): void;
}

const compiled = new Map<boolean, WebAssembly.Module | null>();
const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>();
let simdAllowed = true;

/** The module for a plain heap, or (`shared`) for the threaded module's shared heap. */
function compiledModule(shared: boolean): WebAssembly.Module | null {
  let module = compiled.get(shared);
  if (module === undefined) {
    const base64 = shared ? SIMD_KERNELS_SHARED_WASM_BASE64 : SIMD_KERNELS_WASM_BASE64;
    // atob, not Buffer: the package also runs in browsers.
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    // A runtime without wasm SIMD (or threads) rejects the module: the JS kernels serve instead.
    module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    compiled.set(shared, module);
  }
  return module;
}

/**
 * The backend's heap: the single-threaded module exports its memory; the threaded one
 * (src/wasm-threads.ts) imports a shared memory, kept on the emscripten module as wasmMemory.
 */
function heapMemory(backend: WasmHeapBackend): WebAssembly.Memory | null {
  const wasm = backend.wasm as { asm?: { memory?: unknown }; wasmMemory?: unknown };
  const memory = wasm.asm?.memory ?? wasm.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * The SIMD kernels bound to this backend's own memory (instantiated once per memory), or
 * null when they cannot run there: no SIMD, or memory not reachable. A shared (threaded)
 * heap gets the build that imports a shared memory. Null means the kernels run their JS loops.
 */
export function simdKernelsFor(backend: WasmHeapBackend): SimdKernels | null {
  if (!simdAllowed) return null;
  const memory = heapMemory(backend);
  if (memory == null) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const module = compiledModule(
      typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer,
    );
    try {
      kernels =
        module == null
          ? null
          : (new WebAssembly.Instance(module, { env: { memory } })
              .exports as unknown as SimdKernels);
    } catch {
      kernels = null;
    }
    instances.set(memory, kernels);
  }
  return kernels;
}

/** Turns the SIMD kernels off (true) or back on, so tests and benches can compare with the JS loops. */
export function setSimdKernelsAllowed(allowed: boolean): void {
  simdAllowed = allowed;
}
