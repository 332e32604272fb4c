import { disableFastKernels } from '@sparsify/tfjs-fast-kernels';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { prepareBackend } from '../src/commands/runtime.js';
import { ConfigError } from '../src/config/config-error.js';
import { Logger } from '../src/log/logger.js';
import { wasmFmaRequested } from '../src/wasm-fma.js';

/** The backend line prepareBackend writes on wasm with the fast kernels, and its JSON event. */
async function backendLine(fma: string | undefined): Promise<{ text: string; simdBuild: unknown }> {
  const previous = process.env.SPARSIFY_WASM_FMA;
  if (fma === undefined) delete process.env.SPARSIFY_WASM_FMA;
  else process.env.SPARSIFY_WASM_FMA = fma;
  try {
    let text = '';
    const logger = new Logger({
      format: 'text',
      err: {
        write: (t: string) => {
          text += t;
        },
        isTTY: false,
        columns: () => 80,
      },
    });
    await prepareBackend('wasm', true, logger, 'off');
    let json = '';
    await prepareBackend(
      'wasm',
      true,
      new Logger({
        format: 'json',
        out: (t) => {
          json += t;
        },
      }),
      'off',
    );
    return { text, simdBuild: JSON.parse(json).simdBuild };
  } finally {
    if (previous === undefined) delete process.env.SPARSIFY_WASM_FMA;
    else process.env.SPARSIFY_WASM_FMA = previous;
  }
}

describe('SPARSIFY_WASM_FMA', () => {
  afterEach(() => disableFastKernels());
  afterAll(() => disableFastKernels());

  it('is off unless set to 1, and names itself on a bad value', () => {
    expect(wasmFmaRequested({})).toBe(false);
    expect(wasmFmaRequested({ SPARSIFY_WASM_FMA: '0' })).toBe(false);
    expect(wasmFmaRequested({ SPARSIFY_WASM_FMA: '1' })).toBe(true);
    expect(() => wasmFmaRequested({ SPARSIFY_WASM_FMA: 'yes' })).toThrow(ConfigError);
    expect(() => wasmFmaRequested({ SPARSIFY_WASM_FMA: 'yes' })).toThrow(
      /SPARSIFY_WASM_FMA: expected 1 or 0, got "yes"/,
    );
  });

  it('runs the stock SIMD build by default and the FMA build with 1, naming it on the backend line', async () => {
    const stock = await backendLine(undefined);
    expect(stock.text).toContain('backend: wasm, fast kernels (xnnpack, SIMD build stock)');
    expect(stock.simdBuild).toBe('stock');
    // The trainer sets V8's relaxed-SIMD flag itself, so this holds on Node 20 too.
    const fma = await backendLine('1');
    expect(fma.text).toContain('backend: wasm, fast kernels (xnnpack, SIMD build fma)');
    expect(fma.simdBuild).toBe('fma');
  });
});
