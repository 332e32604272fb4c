import { setFlagsFromString } from 'node:v8';
import { ConfigError } from './config/config-error.js';

/**
 * SPARSIFY_WASM_FMA=1 asks for the FMA build of the fast kernels' wasm SIMD module (the
 * products' inner loops as f32x4.relaxed_madd: 25-45% faster loops, one rounding instead of
 * two, bounded in packages/tfjs-fast-kernels/test/fma-build.test.ts). Off by default: the
 * accuracy figures in docs/results.md were measured with the stock build.
 */
export function wasmFmaRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.SPARSIFY_WASM_FMA;
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new ConfigError('SPARSIFY_WASM_FMA', `expected 1 or 0, got "${value}"`);
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
