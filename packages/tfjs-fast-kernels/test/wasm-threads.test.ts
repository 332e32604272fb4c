import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disableFastKernels, enableFastKernels } from '../src/enable.js';
import {
  MAX_WASM_THREADS,
  nodeWasmThreadsRuntime,
  parseWasmThreads,
  useWasmThreads,
  type WasmThreadsRuntime,
  wasmThreadsStatus,
  wasmThreadsUnavailable,
} from '../src/wasm-threads.js';
import { maxAbsDiff, tf } from './backends.js';

const child = fileURLToPath(new URL('./wasm-threads-child.ts', import.meta.url));

interface ChildResult {
  status: { requested: number; module: string; threads: number | null; reason: string };
  sharedHeap: boolean;
  simdKernels: boolean;
  matmulEngine: string;
  fusedEngine: string;
  matmul: string;
  loss: string;
  grads: Record<string, string>;
}

/** A process of its own per module: a process has one `wasm` backend. */
function runChild(threads: number): ChildResult {
  const run = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', child, String(threads)],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26 },
  );
  // A timeout here would also mean the threaded module kept Node from exiting.
  expect(run.error).toBeUndefined();
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').pop() as string) as ChildResult;
}

const floats = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

/** The largest gap between two results (0 when bit-identical up to the sign of zero). */
const gap = (a: string, b: string) => maxAbsDiff(floats(a), floats(b));

const runtime = (overrides: Partial<WasmThreadsRuntime>): WasmThreadsRuntime => ({
  ...nodeWasmThreadsRuntime(),
  ...overrides,
});

describe('parseWasmThreads', () => {
  it('accepts the integers 1..8 and rejects everything else, naming the source', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_WASM_THREADS }), (n) => {
        expect(parseWasmThreads(String(n))).toBe(n);
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: MAX_WASM_THREADS + 1 })),
        (n) => {
          expect(() => parseWasmThreads(n, 'SPARSIFY_WASM_THREADS')).toThrow(
            /SPARSIFY_WASM_THREADS must be an integer from 1 to 8/,
          );
        },
      ),
    );
    for (const bad of ['', 'two', '1.5', 'NaN'])
      expect(() => parseWasmThreads(bad)).toThrow(/integer from 1 to 8/);
  });
});

describe('wasmThreadsUnavailable', () => {
  it('finds nothing missing in this Node', () => {
    expect(wasmThreadsUnavailable(nodeWasmThreadsRuntime())).toBeNull();
  });

  it('says why when a runtime lacks what the threaded module needs', () => {
    expect(wasmThreadsUnavailable(runtime({ sharedArrayBuffer: false }))).toMatch(
      /SharedArrayBuffer/,
    );
    expect(wasmThreadsUnavailable(runtime({ wasmThreads: false }))).toMatch(/threads/);
    expect(wasmThreadsUnavailable(runtime({ packageDir: null }))).toMatch(/not installed/);
    expect(
      wasmThreadsUnavailable(runtime({ fileExists: (file) => !file.endsWith('.wasm') })),
    ).toMatch(/tfjs-backend-wasm-threaded-simd\.wasm is missing/);
  });
});

describe('useWasmThreads in this process', () => {
  it('keeps the stock module where threads are unavailable, then runs the threaded one', async () => {
    const stock = tf.findBackendFactory('wasm');
    const fallback = useWasmThreads(2, runtime({ sharedArrayBuffer: false }));
    expect(fallback).toMatchObject({ requested: 2, module: 'stock', threads: null });
    expect(fallback.reason).toMatch(/SharedArrayBuffer/);
    expect(tf.findBackendFactory('wasm')).toBe(stock);
    expect(useWasmThreads(1)).toMatchObject({ module: 'stock', reason: '1 thread asked for' });
    expect(tf.findBackendFactory('wasm')).toBe(stock);

    // A later call replaces an earlier one, back to the package's factory with 1 thread.
    expect(useWasmThreads(3).module).toBe('threaded-simd');
    expect(tf.findBackendFactory('wasm')).not.toBe(stock);
    useWasmThreads(1);
    expect(tf.findBackendFactory('wasm')).toBe(stock);
    useWasmThreads(3);
    useWasmThreads(2, runtime({ wasmThreads: false }));
    expect(tf.findBackendFactory('wasm')).toBe(stock);
    expect(useWasmThreads(2).module).toBe('threaded-simd');
    expect(tf.findBackendFactory('wasm')).not.toBe(stock);
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(wasmThreadsStatus()).toMatchObject({ module: 'threaded-simd', threads: 2 });
    const backend = tf.engine().backend as unknown as { wasm: { HEAPU8: Uint8Array } };
    expect(backend.wasm.HEAPU8.buffer).toBeInstanceOf(SharedArrayBuffer);
    const product = tf.matMul(tf.ones([64, 32]), tf.ones([32, 48]));
    expect(Array.from(new Set(await product.data()))).toEqual([32]);
    // Too late once the backend exists: the caller learns it, nothing is swapped under it.
    expect(() => useWasmThreads(2)).toThrow(/already initialised/);
    // The native addon reads an ArrayBuffer heap: on the shared one it stays off, saying why.
    await expect(enableFastKernels({ native: 'require' })).rejects.toThrow(/heap is shared/);
    const report = await enableFastKernels({ native: 'auto' });
    expect(report.native).toMatchObject({ loaded: false });
    expect(report.native.reason).toMatch(/heap is shared/);
    expect(report.matmulEngine).toBe('xnnpack');
    disableFastKernels();
  }, 60_000);
});

describe('the threaded module against the single-threaded one (one process each)', () => {
  it('gives bit-identical matmuls, loss and gradients with the fast kernels on its shared heap', () => {
    const one = runChild(1);
    const two = runChild(2);
    expect(one.status.module).toBe('stock');
    expect(one.sharedHeap).toBe(false);
    expect(two.status).toMatchObject({ module: 'threaded-simd', threads: 2 });
    expect(two.sharedHeap).toBe(true);
    // The fused kernels run their SIMD build on the shared heap, not the JS loops.
    expect(two.simdKernels).toBe(true);
    expect(one.simdKernels).toBe(true);
    expect(two.matmulEngine).toBe('xnnpack');
    expect(two.fusedEngine).toBe('wasm');
    // XNNPACK splits a product's output tiles among threads; each output keeps its own
    // reduction order, so threads change no bit (measured here, asserted exactly).
    expect(gap(two.matmul, one.matmul)).toBe(0);
    expect(gap(two.loss, one.loss)).toBe(0);
    expect(Object.keys(two.grads).sort()).toEqual(Object.keys(one.grads).sort());
    for (const name of Object.keys(one.grads))
      expect(gap(two.grads[name] as string, one.grads[name] as string), name).toBe(0);
    expect(two.matmul === one.matmul && two.loss === one.loss).toBe(true);
  }, 240_000);
});
