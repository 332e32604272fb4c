import { setFlagsFromString } from 'node:v8';
import { disableFastKernels, fmaBuildSupport } from '@sparsify/tfjs-fast-kernels';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { prepareBackend } from '../src/commands/runtime.js';
import { Logger } from '../src/log/logger.js';
import { backendLine } from './backend-line.js';

/**
 * An engine that does not validate relaxed SIMD, even after the trainer asks V8 for it: this
 * file's process turns the feature off (Node 22+ ships it on; Node 20 has it off) and the
 * trainer's own flag-setting is a no-op here. Its own file, so no earlier test in this
 * process has compiled the FMA build (a compiled module is cached).
 */
vi.mock('../src/wasm-fma.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/wasm-fma.js')>()),
  allowRelaxedSimd: () => {},
}));
setFlagsFromString('--no-experimental-wasm-relaxed-simd');
const support = fmaBuildSupport();
const skipped = support.available
  ? ' (skipped: this engine validates relaxed SIMD even with the flag off)'
  : '';

describe('SPARSIFY_WASM_FMA on an engine without relaxed SIMD', () => {
  afterAll(() => disableFastKernels());

  it.skipIf(support.available)(
    `asked for, runs the stock build and says why${skipped}`,
    async () => {
      const line = await backendLine('1', (logger) => prepareBackend('wasm', true, logger, 'off'));
      expect(line.text).toContain(
        `backend: wasm, fast kernels (xnnpack, SIMD build stock; FMA not used: ${support.reason})`,
      );
      expect(line.text).toContain('does not validate relaxed SIMD');
      expect(line.event).toMatchObject({ simdBuild: 'stock', fmaNotUsed: support.reason });
    },
  );

  it.skipIf(support.available)(
    `by default (unset), runs the stock build and says why${skipped}`,
    async () => {
      const line = await backendLine(undefined, (logger) =>
        prepareBackend('wasm', true, logger, 'off'),
      );
      expect(line.text).toContain(
        `backend: wasm, fast kernels (xnnpack, SIMD build stock; FMA not used: ${support.reason})`,
      );
      expect(line.event).toMatchObject({ simdBuild: 'stock', fmaNotUsed: support.reason });
    },
  );

  it.skipIf(support.available)(
    `0 runs the stock build without a fallback note${skipped}`,
    async () => {
      const line = await backendLine('0', (logger) => prepareBackend('wasm', true, logger, 'off'));
      expect(line.text).toContain('backend: wasm, fast kernels (xnnpack, SIMD build stock)');
      expect(line.text).not.toContain('FMA not used');
      expect(line.event).not.toHaveProperty('fmaNotUsed');
    },
  );

  it.skipIf(support.available)(
    `a demo's child told to require the FMA build fails rather than run another build${skipped}`,
    async () => {
      await expect(
        prepareBackend('wasm', true, new Logger({ quiet: true }), 'off', 'require'),
      ).rejects.toThrow(/fma: 'require' but this runtime does not validate relaxed SIMD/);
    },
  );
});
