import { describe, expect, it } from 'vitest';
import { disableFastKernels } from '../src/enable.js';
import { enableFastKernels, fastKernelsStatus } from '../src/index.js';
import { loadNativeBlas } from '../src/native-blas.js';
import { tf } from './backends.js';
import { nativeLoad } from './engines.js';

describe('enableFastKernels', () => {
  it('reports the kernels it registered and why the native path is (not) used', async () => {
    disableFastKernels();
    expect(fastKernelsStatus()).toBeNull();
    const report = await enableFastKernels();
    expect(report.wasmBackendRegistered).toBe(true);
    expect(report.kernels).toEqual(
      expect.arrayContaining(['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum']),
    );
    expect(report.native.mode).toBe('auto');
    expect(report.native.loaded).toBe(nativeLoad.loaded);
    expect(report.matmulEngine).toBe(nativeLoad.loaded ? 'native-blas' : 'xnnpack');
    expect(report.native.reason.length).toBeGreaterThan(0);
    expect(fastKernelsStatus()).toBe(report);
  });

  it('is idempotent: a second call changes nothing and returns the same report', async () => {
    const first = await enableFastKernels({ native: 'off' });
    const kernel = tf.getKernel('BatchMatMul', 'wasm');
    const second = await enableFastKernels({ native: 'off' });
    expect(second).toBe(first);
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(kernel);
  });

  it('registers the fused kernels on wasm and cpu only with fused: true, and removes them on disable', async () => {
    const names = [
      'SparsifyLayerNorm',
      'SparsifyGeluGrad',
      'SparsifySoftmax',
      'SparsifyMergeHeads',
    ];
    const on = await enableFastKernels({ native: 'off' });
    expect(on.fusedKernels).toContain('SparsifyLayerNorm');
    for (const name of names)
      for (const backend of ['wasm', 'cpu']) expect(tf.getKernel(name, backend)).toBeDefined();
    const off = await enableFastKernels({ native: 'off', fused: false });
    expect(off).not.toBe(on);
    expect(off.fusedKernels).toEqual([]);
    for (const name of names)
      for (const backend of ['wasm', 'cpu']) expect(tf.getKernel(name, backend)).toBeUndefined();
    await enableFastKernels({ native: 'off' });
    disableFastKernels();
    for (const name of names)
      for (const backend of ['wasm', 'cpu']) expect(tf.getKernel(name, backend)).toBeUndefined();
    expect(tf.getGradient('SparsifyLayerNorm')).toBeUndefined();
  });

  it('rejects a fused option that is not a boolean, naming it', async () => {
    await expect(enableFastKernels({ fused: 'yes' as unknown as boolean })).rejects.toThrow(
      /options.fused must be a boolean, got yes/,
    );
  });

  it('puts the stock kernels back on disable, and replaces them again on enable', async () => {
    disableFastKernels();
    const stock = tf.getKernel('BatchMatMul', 'wasm');
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    await enableFastKernels({ native: 'off' });
    expect(tf.getKernel('BatchMatMul', 'wasm')).not.toBe(stock);
    disableFastKernels();
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(stock);
  });

  it("explains a missing addon, and 'require' fails with that reason", async () => {
    const missing = loadNativeBlas('/nonexistent/blas_matmul.node');
    expect(missing.loaded).toBe(false);
    expect(missing.reason).toMatch(/not built/);
    if (!nativeLoad.loaded) {
      await expect(enableFastKernels({ native: 'require' })).rejects.toThrow(/native: 'require'/);
    }
  });

  it('rejects an unknown native mode by name', async () => {
    await expect(enableFastKernels({ native: 'maybe' as never })).rejects.toThrow(
      /options\.native/,
    );
  });
});
