import { loadNativeBlas } from '../src/native-blas.js';

/** The matmul engines to test: XNNPACK always; the native BLAS only where the addon was built. */
export const nativeLoad = loadNativeBlas();

export const engines = [
  { name: 'xnnpack (wasm only)', native: 'off' as const, available: true, reason: '' },
  {
    name: 'native BLAS',
    native: 'require' as const,
    available: nativeLoad.loaded,
    reason: nativeLoad.loaded ? '' : ` — SKIPPED: ${nativeLoad.reason}`,
  },
];
