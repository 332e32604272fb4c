import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The N-API addon built from native/blas_matmul.c by `pnpm build:native`. */
export interface NativeBlas {
  sgemmBatch(
    heap: ArrayBuffer,
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    aOffsets: Uint32Array,
    bOffsets: Uint32Array,
    cOffsets: Uint32Array,
    biasOffset: number,
  ): void;
  threads(): number;
}

export type NativeLoad =
  | { loaded: true; path: string; blas: NativeBlas; reason: string }
  | { loaded: false; path: string; reason: string };

/** src/ and dist/ both sit one level below the package root, so this works from either. */
export const nativeAddonPath = fileURLToPath(
  new URL('../native/build/blas_matmul.node', import.meta.url),
);

/** Loads the addon if it was built and its BLAS library resolves; never throws. */
export function loadNativeBlas(path: string = nativeAddonPath): NativeLoad {
  if (!existsSync(path)) {
    return {
      loaded: false,
      path,
      reason: 'addon not built (run `pnpm build:native` with a CBLAS installed)',
    };
  }
  try {
    const blas = createRequire(import.meta.url)(path) as NativeBlas;
    if (typeof blas.sgemmBatch !== 'function') {
      return { loaded: false, path, reason: 'addon loaded but exports no sgemmBatch' };
    }
    return { loaded: true, path, blas, reason: 'addon loaded' };
  } catch (error) {
    return {
      loaded: false,
      path,
      reason: `addon failed to load: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}
