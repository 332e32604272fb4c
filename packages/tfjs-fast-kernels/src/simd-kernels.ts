import { SIMD_KERNELS_SHARED_WASM_BASE64, SIMD_KERNELS_WASM_BASE64 } from './simd-binary.js';
import {
  SIMD_FMA_KERNELS_SHARED_WASM_BASE64,
  SIMD_FMA_KERNELS_WASM_BASE64,
} from './simd-fma-binary.js';
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
    /** Byte offset of a row of n floats added to every output row (0: none). */
    bias: number,
  ): void;
  /** dw [in, out] = x^T dy and db [out] = dy's column sums, for x [rows, in], dy [rows, out]. */
  weightBiasGrad(
    x: number,
    dy: number,
    dw: number,
    db: number,
    rows: number,
    inCols: number,
    outCols: number,
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

/**
 * Which build of assembly/kernels.ts runs: 'stock' (f32x4 mul then add; every runtime with
 * wasm SIMD) or 'fma' (the products' inner loops as f32x4.relaxed_madd; needs relaxed SIMD).
 */
export type SimdBuild = 'stock' | 'fma';

/** Each build for a plain heap and (`shared`) for the threaded module's shared heap. */
const BASE64: Record<SimdBuild, { plain: string; shared: string }> = {
  stock: { plain: SIMD_KERNELS_WASM_BASE64, shared: SIMD_KERNELS_SHARED_WASM_BASE64 },
  fma: { plain: SIMD_FMA_KERNELS_WASM_BASE64, shared: SIMD_FMA_KERNELS_SHARED_WASM_BASE64 },
};
const compiled = new Map<string, WebAssembly.Module | null>();
const instances: Record<SimdBuild, WeakMap<WebAssembly.Memory, SimdKernels | null>> = {
  stock: new WeakMap(),
  fma: new WeakMap(),
};
let simdAllowed = true;
let activeBuild: SimdBuild = 'stock';

function moduleBytes(build: SimdBuild, shared: boolean): Uint8Array<ArrayBuffer> {
  // atob, not Buffer: the package also runs in browsers.
  return Uint8Array.from(atob(BASE64[build][shared ? 'shared' : 'plain']), (c) => c.charCodeAt(0));
}

function compiledModule(build: SimdBuild, shared = false): WebAssembly.Module | null {
  const key = `${build}/${shared ? 'shared' : 'plain'}`;
  let module = compiled.get(key);
  if (module === undefined) {
    const bytes = moduleBytes(build, shared);
    // A runtime without wasm SIMD (or threads, or for 'fma' relaxed SIMD) rejects the module:
    // the stock build or the JS kernels serve instead.
    module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    // A rejection is not cached: a host may enable relaxed SIMD later (V8's
    // --experimental-wasm-relaxed-simd, set before the next compile).
    if (module != null) compiled.set(key, module);
  }
  return module;
}

/**
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
 * Whether this runtime validates the FMA build (relaxed SIMD), and why not when it does not.
 * Node 22+ and current browsers do by default; Node 20 only after
 * `v8.setFlagsFromString('--experimental-wasm-relaxed-simd')` or
 * `node --experimental-wasm-relaxed-simd` (this package never sets engine flags itself).
 */
export function fmaBuildSupport(): { available: boolean; reason: string } {
  if (compiledModule('fma') != null)
    return { available: true, reason: 'relaxed SIMD validates (f32x4.relaxed_madd)' };
  const simd = compiledModule('stock') != null;
  return {
    available: false,
    reason: simd
      ? 'this runtime does not validate relaxed SIMD (on Node 20: node --experimental-wasm-relaxed-simd, or v8.setFlagsFromString before enabling)'
      : 'this runtime does not validate wasm SIMD',
  };
}

/** Chooses the build the kernels run from now on (enableFastKernels' `fma` option). */
export function setSimdBuild(build: SimdBuild): void {
  activeBuild = build;
}

/** The build the kernels run now. */
export function simdBuild(): SimdBuild {
  return activeBuild;
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
  const built = instances[activeBuild];
  let kernels = built.get(memory);
  if (kernels === undefined) {
    const module = compiledModule(
      activeBuild,
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
    built.set(memory, kernels);
  }
  return kernels;
}

/** Turns the SIMD kernels off (true) or back on, so tests and benches can compare with the JS loops. */
export function setSimdKernelsAllowed(allowed: boolean): void {
  simdAllowed = allowed;
}
