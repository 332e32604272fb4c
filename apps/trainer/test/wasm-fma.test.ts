import { disableFastKernels } from '@sparsify/tfjs-fast-kernels';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { prepareBackend } from '../src/commands/runtime.js';
import { ConfigError } from '../src/config/config-error.js';
import { fmaModeFor, WASM_FMA_BY_DEFAULT, wasmFmaMode } from '../src/wasm-fma.js';
import { backendLine } from './backend-line.js';

// The native addon stays off so the backend line is the same on every machine.
const wasmLine = (fma: string | undefined) =>
  backendLine(fma, (logger) => prepareBackend('wasm', true, logger, 'off'));

describe('SPARSIFY_WASM_FMA', () => {
  afterEach(() => disableFastKernels());
  afterAll(() => disableFastKernels());

  it('1 asks for the FMA build, 0 opts out, unset asks for it too (the default), and a bad value names itself', () => {
    // Pinned: the default is the FMA build where it validates (docs/results.md, FMA section).
    expect(WASM_FMA_BY_DEFAULT).toBe(true);
    expect(wasmFmaMode({})).toBe('auto');
    expect(wasmFmaMode({ SPARSIFY_WASM_FMA: '' })).toBe('auto');
    expect(wasmFmaMode({ SPARSIFY_WASM_FMA: '0' })).toBe('off');
    expect(wasmFmaMode({ SPARSIFY_WASM_FMA: '1' })).toBe('auto');
    expect(() => wasmFmaMode({ SPARSIFY_WASM_FMA: 'yes' })).toThrow(ConfigError);
    expect(() => wasmFmaMode({ SPARSIFY_WASM_FMA: 'yes' })).toThrow(
      /SPARSIFY_WASM_FMA: expected 1 or 0, got "yes"/,
    );
  });

  it('where relaxed SIMD validates, runs the FMA build when asked or by default, the stock build with 0, and says which', async () => {
    // The trainer sets V8's relaxed-SIMD flag itself, so this holds on Node 20 too.
    const asked = await wasmLine('1');
    expect(asked.text).toContain('backend: wasm, fast kernels (xnnpack, SIMD build fma)');
    expect(asked.event).toMatchObject({ event: 'backend', simdBuild: 'fma' });
    expect(asked.event).not.toHaveProperty('fmaNotUsed');

    const byDefault = await wasmLine(undefined);
    expect(byDefault.text).toContain('backend: wasm, fast kernels (xnnpack, SIMD build fma)');
    expect(byDefault.event).toMatchObject({ simdBuild: 'fma' });
    expect(byDefault.event).not.toHaveProperty('fmaNotUsed');

    const optedOut = await wasmLine('0');
    expect(optedOut.text).toContain('backend: wasm, fast kernels (xnnpack, SIMD build stock)');
    expect(optedOut.text).not.toContain('FMA not used');
    expect(optedOut.event).toMatchObject({ simdBuild: 'stock' });
    expect(optedOut.event).not.toHaveProperty('fmaNotUsed');
  });

  it("a demo's child runs its parent's build, whatever SPARSIFY_WASM_FMA says", async () => {
    expect(fmaModeFor('fma')).toBe('require');
    expect(fmaModeFor('stock')).toBe('off');
    const fma = await backendLine('0', (logger) =>
      prepareBackend('wasm', true, logger, 'off', fmaModeFor('fma')),
    );
    expect(fma.event).toMatchObject({ simdBuild: 'fma' });
    const stock = await backendLine('1', (logger) =>
      prepareBackend('wasm', true, logger, 'off', fmaModeFor('stock')),
    );
    expect(stock.event).toMatchObject({ simdBuild: 'stock' });
  });
});
