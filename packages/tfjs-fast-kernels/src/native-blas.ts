import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The addon's fused kernels (native/fused-kernels.c): the wasm SIMD kernels' signatures
 * (src/simd-kernels.ts) with the heap first; offsets are byte offsets into it.
 */
export interface NativeFusedKernels {
  softmaxRows(
    heap: ArrayBuffer,
    logits: number,
    bias: number,
    y: number,
    rows: number,
    width: number,
    rowsPerGroup: number,
  ): void;
  softmaxGradRows(
    heap: ArrayBuffer,
    dy: number,
    y: number,
    dx: number,
    rows: number,
    width: number,
  ): void;
  layerNormRows(
    heap: ArrayBuffer,
    x: number,
    gamma: number,
    beta: number,
    y: number,
    rows: number,
    width: number,
    epsilon: number,
  ): void;
  layerNormGradRows(
    heap: ArrayBuffer,
    dy: number,
    x: number,
    gamma: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    width: number,
    epsilon: number,
  ): void;
  geluValues(heap: ArrayBuffer, x: number, y: number, n: number): void;
  geluGradValues(heap: ArrayBuffer, dy: number, x: number, dx: number, n: number): void;
  columnSums(heap: ArrayBuffer, x: number, out: number, rows: number, width: number): void;
  /** The attention core (native/attention-core.c): qkv [B N, 3D] -> out [B N, D], probs [B, H, N, N]. */
  attentionForward(
    heap: ArrayBuffer,
    qkv: number,
    out: number,
    probs: number,
    batch: number,
    tokens: number,
    heads: number,
    width: number,
  ): void;
  /** Its gradient: dy [B N, D], qkv, probs -> dqkv [B N, 3D]. */
  attentionBackward(
    heap: ArrayBuffer,
    dy: number,
    qkv: number,
    probs: number,
    dqkv: number,
    batch: number,
    tokens: number,
    heads: number,
    width: number,
  ): void;
  /** The instruction set in use ('avx512', 'avx2', 'baseline'); a name switches to it where the CPU runs it. */
  kernelVariant(name?: string): string;
}

/** The N-API addon built from native/*.c by scripts/build-native.mjs. */
export interface NativeBlas extends NativeFusedKernels {
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

/** The addon's file name wherever it is built. */
export const nativeAddonFile = 'blas_matmul.node';

/** Bump when the addon's exports (native/*.c) change, so an old cached build is not loaded. */
export const nativeAddonAbi = 'v3';

/**
 * Where `npx sparsify-fast-kernels build-native` puts the addon: a user cache outside
 * node_modules, so a reinstall keeps it. The directory names the addon's interface version
 * and the platform, since one cache serves every install on the machine.
 * scripts/build-native.mjs computes the same directory (a test keeps the two in step).
 */
export function nativeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.SPARSIFY_NATIVE_DIR;
  if (override != null && override !== '') return resolve(override);
  const cacheHome =
    env.XDG_CACHE_HOME != null && env.XDG_CACHE_HOME !== ''
      ? env.XDG_CACHE_HOME
      : join(homedir(), '.cache');
  return join(
    cacheHome,
    'sparsify-ts',
    'tfjs-fast-kernels',
    `${nativeAddonAbi}-${process.platform}-${process.arch}`,
  );
}

/**
 * The monorepo's `pnpm build:native` output (native/build, beside src/ and dist/, which both
 * sit one level below the package root).
 */
export const packageAddonPath = fileURLToPath(
  new URL(`../native/build/${nativeAddonFile}`, import.meta.url),
);

/**
 * Where the loader looks, first match wins: the package's own native/build, then the user
 * cache. $SPARSIFY_NATIVE_DIR, when set, is the only place: pointing it at an empty folder is
 * how a run is kept on the wasm path in a clone whose native/build holds an addon.
 */
export function nativeAddonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const cached = join(nativeCacheDir(env), nativeAddonFile);
  const explicit = env.SPARSIFY_NATIVE_DIR != null && env.SPARSIFY_NATIVE_DIR !== '';
  return explicit ? [cached] : [packageAddonPath, cached];
}

/** The command an npm user runs to build the addon (the status message names it). */
export const buildNativeCommand = 'npx sparsify-fast-kernels build-native';

/**
 * Loads the addon if it was built and its BLAS library resolves; never throws. With no path,
 * the first of `nativeAddonCandidates(env)` that exists; with a list, the first of it.
 */
export function loadNativeBlas(
  path?: string | readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): NativeLoad {
  const candidates =
    path == null ? nativeAddonCandidates(env) : typeof path === 'string' ? [path] : [...path];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found == null) {
    return {
      loaded: false,
      path: candidates[candidates.length - 1] ?? '',
      reason: `addon not built (looked in ${candidates.join(', ')}; run \`${buildNativeCommand}\` with a C compiler and a CBLAS such as libopenblas-dev installed)`,
    };
  }
  try {
    const blas = createRequire(import.meta.url)(found) as NativeBlas;
    if (typeof blas.sgemmBatch !== 'function' || typeof blas.geluValues !== 'function') {
      return {
        loaded: false,
        path: found,
        reason: `addon loaded but exports no sgemmBatch or geluValues (an old build? rebuild with \`${buildNativeCommand}\`)`,
      };
    }
    return { loaded: true, path: found, blas, reason: 'addon loaded' };
  } catch (error) {
    return {
      loaded: false,
      path: found,
      reason: `addon failed to load: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}
