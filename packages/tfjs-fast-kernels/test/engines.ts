import { loadNativeBlas } from '../src/native-blas.js';

/** The matmul engines to test: XNNPACK always; the native BLAS only where the addon was built. */
export const nativeLoad = loadNativeBlas();

/**
 * SPARSIFY_REQUIRE_NATIVE=1 (set by `.ci/run`, which installs OpenBLAS and builds the addon)
 * runs the native suites even when the addon does not load, so they fail instead of skipping.
 */
export const requireNative = process.env.SPARSIFY_REQUIRE_NATIVE === '1';

export const engines = [
  { name: 'xnnpack (wasm only)', native: 'off' as const, available: true, reason: '' },
  {
    name: 'native BLAS',
    native: 'require' as const,
    available: nativeLoad.loaded || requireNative,
    reason: nativeLoad.loaded || requireNative ? '' : ` — SKIPPED: ${nativeLoad.reason}`,
  },
];
