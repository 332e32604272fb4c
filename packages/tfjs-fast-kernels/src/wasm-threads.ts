import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  engine,
  findBackendFactory,
  type KernelBackend,
  registerBackend,
  removeBackend,
} from '@tensorflow/tfjs-core';

/**
 * Runs tfjs-backend-wasm's threaded SIMD build under Node, which the package itself never
 * does (docs/notebook/2026-12-05-wasm-threads.md has the evidence):
 * 1. its WASM_HAS_MULTITHREAD_SUPPORT flag returns false whenever IS_NODE;
 * 2. forced on, it hands emscripten Blob URLs for the pthread worker and the main script,
 *    which Node's worker_threads cannot load;
 * 3. its C side caps XNNPACK's pool at emscripten_num_logical_cores() / 2 (it assumes SMT):
 *    1 thread on a 2-core machine.
 * So this registers a `wasm` backend factory that instantiates the same threaded module with
 * the worker as a data: URL module, the main script as its file path, and the core count the
 * C side sees set to 2 x `threads`. The kernels stay tfjs-backend-wasm's own (they are
 * registered per backend name), and BackendWasm is the package's exported class.
 */

/** The wasm backend's registration priority in tfjs-backend-wasm's base.ts. */
const WASM_PRIORITY = 2;
/** backend.cc's max_num_threads: the pthread pool emscripten pre-creates has 8 workers. */
export const MAX_WASM_THREADS = 8;

export interface WasmThreadsStatus {
  /** Threads asked for (1 = the stock single-threaded SIMD module). */
  requested: number;
  /** Which module the `wasm` backend runs (or will run once initialised). */
  module: 'threaded-simd' | 'stock';
  /** XNNPACK's thread count once the backend initialised; null before. */
  threads: number | null;
  /** Why the module was or was not used. */
  reason: string;
}

/** What the availability check looks at; replaced in tests to simulate other runtimes. */
export interface WasmThreadsRuntime {
  sharedArrayBuffer: boolean;
  /** WebAssembly threads (atomics on shared memory) validate. */
  wasmThreads: boolean;
  /** The installed tfjs-backend-wasm directory, or null when it cannot be resolved. */
  packageDir: string | null;
  fileExists(file: string): boolean;
}

// A module with a shared memory and an atomic op (wasm-feature-detect's threads probe, as in
// tfjs-backend-wasm's flags_wasm.ts).
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65,
  0, 254, 16, 2, 0, 26, 11,
]);

const requireHere = createRequire(import.meta.url);

export function nodeWasmThreadsRuntime(): WasmThreadsRuntime {
  let packageDir: string | null = null;
  try {
    packageDir = path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  } catch {
    packageDir = null;
  }
  let wasmThreads = false;
  try {
    wasmThreads = WebAssembly.validate(THREADS_PROBE);
  } catch {
    wasmThreads = false;
  }
  return {
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    wasmThreads,
    packageDir,
    fileExists: (file) => fs.existsSync(file),
  };
}

const GLUE = 'wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER = 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
const BINARY = 'dist/tfjs-backend-wasm-threaded-simd.wasm';

/** Null when the threaded module can run here, else why not. */
export function wasmThreadsUnavailable(runtime: WasmThreadsRuntime): string | null {
  if (!runtime.sharedArrayBuffer) return 'SharedArrayBuffer is not available';
  if (!runtime.wasmThreads) return 'WebAssembly threads do not validate';
  if (runtime.packageDir == null) return '@tensorflow/tfjs-backend-wasm is not installed';
  for (const file of [GLUE, WORKER, BINARY]) {
    const full = path.join(runtime.packageDir, file);
    if (!runtime.fileExists(full)) return `${full} is missing`;
  }
  return null;
}

type BackendFactory = () => KernelBackend | Promise<KernelBackend>;

/** tfjs-backend-wasm's own factory, kept the first time it is replaced. */
let stockFactory: BackendFactory | null = null;
const threadedFactories = new WeakSet<BackendFactory>();

let status: WasmThreadsStatus = {
  requested: 1,
  module: 'stock',
  threads: null,
  reason: 'not requested',
};

/**
 * Whether the wasm backend instance exists. Not `findBackend`: for a registered but not yet
 * initialised backend that starts initialising it (with whichever factory is registered).
 */
export function wasmBackendInitialised(): boolean {
  return engine().registry.wasm != null;
}

/** What the last `useWasmThreads` call set up (threads filled in once the backend initialised). */
export function wasmThreadsStatus(): WasmThreadsStatus {
  return { ...status };
}

/** Parses a thread count (e.g. from an environment variable): an integer in 1..8. */
export function parseWasmThreads(value: string | number, source = 'threads'): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(
      `tfjs-fast-kernels: ${source} must be an integer from 1 to ${MAX_WASM_THREADS}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

interface EmscriptenWorker {
  unref(): void;
}

interface ThreadedModule {
  cwrap(
    name: string,
    returnType: null | string,
    argTypes: string[],
  ): (...args: unknown[]) => unknown;
  PThread: { runningWorkers: EmscriptenWorker[] };
  tfjs?: unknown;
}

type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

interface WasmPackage {
  BackendWasm: new (module: unknown) => KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/**
 * The pthread worker as an ES module: emscripten's worker script expects CommonJS's
 * `require` and `__filename`, so they are defined first (the script never loads files by
 * them; the main script comes as a path in its `load` message).
 */
function workerUrl(packageDir: string): URL {
  const glue = path.join(packageDir, GLUE);
  const { wasmWorkerContents } = requireHere(path.join(packageDir, WORKER)) as {
    wasmWorkerContents: string;
  };
  // tfjs-backend-wasm escapes these newlines too: they sit inside the script's string literals.
  const source =
    `import { createRequire } from 'node:module';\n` +
    `const require = createRequire(${JSON.stringify(glue)});\n` +
    `const __filename = ${JSON.stringify(glue)};\n` +
    wasmWorkerContents.replace(/\n/g, '\\n');
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

async function threadedBackend(packageDir: string, threads: number): Promise<KernelBackend> {
  const wasmPackage = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmPackage;
  const glue = path.join(packageDir, GLUE);
  const factory = requireHere(glue) as ThreadedFactory;
  const binary = fs.readFileSync(path.join(packageDir, BINARY));
  const worker = workerUrl(packageDir);
  const module = await new Promise<ThreadedModule>((resolve, reject) => {
    factory({
      locateFile: (file: string, prefix: string) =>
        file.endsWith('.worker.js') ? worker : prefix + file,
      mainScriptUrlOrBlob: glue,
      onAbort: (what: unknown) =>
        reject(new Error(`threaded wasm module aborted: ${String(what)}`)),
      instantiateWasm(
        imports: { env: Record<string, unknown> },
        receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) {
        if (typeof imports.env.emscripten_num_logical_cores !== 'function') {
          reject(new Error('the threaded module imports no emscripten_num_logical_cores'));
          return {};
        }
        // backend.cc caps the pool at this / 2; report what makes the cap `threads`.
        imports.env.emscripten_num_logical_cores = () => 2 * threads;
        WebAssembly.instantiate(binary, imports as WebAssembly.Imports).then(
          (result) => receive(result.instance, result.module),
          reject,
        );
        return {};
      },
    }).then(resolve, reject);
  });
  // As tfjs-backend-wasm's init() does after its own factory call.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  wasmPackage.setThreadsCount(threads);
  const backend = new wasmPackage.BackendWasm(module);
  // The pool's threads wait on futexes for work; referenced, they would keep Node from exiting.
  for (const running of module.PThread.runningWorkers) running.unref();
  status = { ...status, threads: wasmPackage.getThreadsCount() };
  return backend;
}

/**
 * Makes the next `tf.setBackend('wasm')` run tfjs-backend-wasm's threaded SIMD module with
 * `threads` XNNPACK threads (Node; import @tensorflow/tfjs-backend-wasm first, call before
 * the wasm backend initialises). `threads` 1 leaves the stock module. Where the threaded
 * module cannot run (no SharedArrayBuffer, no wasm threads, files missing) the stock module
 * stays and the status says why; if it fails while initialising, the stock module serves.
 * Threaded XNNPACK matmuls are not bit-identical to single-threaded ones (README: bounds).
 */
export function useWasmThreads(
  threads: number,
  runtime: WasmThreadsRuntime = nodeWasmThreadsRuntime(),
): WasmThreadsStatus {
  const n = parseWasmThreads(threads);
  if (wasmBackendInitialised()) {
    throw new Error(
      'tfjs-fast-kernels useWasmThreads: the wasm backend is already initialised; call it before tf.setBackend("wasm") or tf.ready()',
    );
  }
  const current = findBackendFactory('wasm');
  if (current == null) {
    throw new Error(
      'tfjs-fast-kernels useWasmThreads: no wasm backend registered; import @tensorflow/tfjs-backend-wasm first',
    );
  }
  // A second call replaces the first: it starts again from the package's own factory.
  if (!threadedFactories.has(current)) stockFactory = current;
  const stock = stockFactory ?? current;
  const register = (factory: BackendFactory) => {
    removeBackend('wasm');
    registerBackend('wasm', factory, WASM_PRIORITY);
  };
  if (n === 1) {
    if (current !== stock) register(stock);
    status = { requested: 1, module: 'stock', threads: null, reason: '1 thread asked for' };
    return wasmThreadsStatus();
  }
  const unavailable = wasmThreadsUnavailable(runtime);
  if (unavailable != null || runtime.packageDir == null) {
    if (current !== stock) register(stock);
    status = { requested: n, module: 'stock', threads: null, reason: unavailable ?? '' };
    return wasmThreadsStatus();
  }
  const packageDir = runtime.packageDir;
  const threaded: BackendFactory = async () => {
    try {
      return await threadedBackend(packageDir, n);
    } catch (error) {
      status = {
        requested: n,
        module: 'stock',
        threads: null,
        reason: `threaded module failed (${(error as Error).message}); stock module used`,
      };
      return stock();
    }
  };
  threadedFactories.add(threaded);
  register(threaded);
  status = {
    requested: n,
    module: 'threaded-simd',
    threads: null,
    reason: `threaded SIMD module, ${n} XNNPACK threads`,
  };
  return wasmThreadsStatus();
}
