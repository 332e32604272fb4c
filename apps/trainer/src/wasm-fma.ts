import { setFlagsFromString } from 'node:v8';
import type { FmaMode, SimdBuild } from '@sparsify/tfjs-fast-kernels';
import { ConfigError } from './config/config-error.js';

/**
 * Whether the trainer runs the FMA build of the fast kernels' wasm SIMD module (the products'
 * inner loops as f32x4.relaxed_madd: 0.83-0.87 of the stock build's dense step, one rounding
 * instead of two, bounded in packages/tfjs-fast-kernels/test/fma-build.test.ts) when
 * SPARSIFY_WASM_FMA is unset, decided by the held-out protocol of docs/results.md. On, where
 * the engine validates relaxed SIMD (elsewhere the stock build runs and the backend line says
 * why): dense is within noise (+0.03 [-0.08, +0.13] points) and Sparsify, on a second look
 * over 7 seeds after a 3-seed rule failed, within the pre-written margin
 * (docs/notebook/2026-12-05-fma-sparsify.md, addendum).
 */
export const WASM_FMA_BY_DEFAULT = true;

/**
 * The fast kernels' `fma` option from SPARSIFY_WASM_FMA: '1' asks for the FMA build, '0' keeps
 * the stock build, unset follows WASM_FMA_BY_DEFAULT. Asked for, it is 'auto': a runtime that
 * does not validate relaxed SIMD runs the stock build, and the backend line says why.
 */
export function wasmFmaMode(env: NodeJS.ProcessEnv = process.env): FmaMode {
  const value = env.SPARSIFY_WASM_FMA;
  if (value === undefined || value === '') return WASM_FMA_BY_DEFAULT ? 'auto' : 'off';
  if (value === '1') return 'auto';
  if (value === '0') return 'off';
  throw new ConfigError('SPARSIFY_WASM_FMA', `expected 1 or 0, got "${value}"`);
}

/**
 * The `fma` option that makes a child process run the build its parent runs (`demo
 * --parallel`): 'require', not 'auto', so the two runs of a time ratio never compute on
 * different builds; the same Node binary validates what its parent validated.
 */
export function fmaModeFor(build: SimdBuild): FmaMode {
  return build === 'fma' ? 'require' : 'off';
}

/**
 * Lets V8 validate relaxed SIMD (Node 20 has it behind --experimental-wasm-relaxed-simd; Node
 * 22+ has it on). The app sets the flag, not @sparsify/tfjs-fast-kernels: a library must not
 * change its host's engine flags. It must run before the SIMD module is compiled for the FMA
 * build, i.e. before enableFastKernels({ fma }).
 */
export function allowRelaxedSimd(): void {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}
