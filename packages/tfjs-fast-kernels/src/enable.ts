import {
  engine,
  type GradConfig,
  getGradient,
  getKernel,
  type KernelConfig,
  registerGradient,
  registerKernel,
  unregisterGradient,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { adamKernels } from './adam.js';
import { addConfig } from './add-kernel.js';
import { attentionCoreKernels } from './attention-core.js';
import {
  attentionHeadsKernels,
  mergeHeadsGradConfig,
  splitHeadsGradConfig,
} from './attention-heads.js';
import { castConfig } from './cast-kernel.js';
import { columnSumGradConfig, columnSumKernels } from './column-sum.js';
import { FusedKernelName } from './fused-kernel-names.js';
import { gatherConfig } from './gather-kernel.js';
import { geluGradConfig, geluKernels } from './gelu.js';
import { gradientConfigs } from './gradients.js';
import { identityConfig } from './identity-kernel.js';
import { layerNormGradConfig, layerNormKernels } from './layer-norm.js';
import {
  batchMatMulConfig,
  biasMatMulConfig,
  fusedMatMulConfig,
  weightBiasGradConfig,
} from './matmul-kernels.js';
import { nativeAttentionKernels } from './native-attention.js';
import { loadNativeBlas, type NativeBlas } from './native-blas.js';
import { setNativeFusedKernels } from './native-fused.js';
import { powConfig } from './pow-kernel.js';
import { fmaBuildSupport, type SimdBuild, setSimdBuild } from './simd-kernels.js';
import { softmaxGradConfig, softmaxKernels } from './softmax.js';
import { splitVConfig } from './split-kernel.js';
import { restoreTapeSaves, shareTapeSaves } from './tape-saves.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum-kernel.js';
import { wasmThreadsStatus } from './wasm-threads.js';

export type NativeMode = 'auto' | 'off' | 'require';

/** Whether the SIMD kernels run their FMA build (relaxed SIMD): see FastKernelsOptions.fma. */
export type FmaMode = 'auto' | 'off' | 'require';

export interface FastKernelsOptions {
  /**
   * 'auto' (default): use the native BLAS addon when it is built and loads, else wasm only.
   * 'off': wasm only. 'require': throw if the addon does not load.
   */
  native?: NativeMode;
  /**
   * Register the fused LayerNorm, GELU, softmax and column-sum kernels (on `wasm` and `cpu`)
   * with their gradients (default true). Not bit-identical to the stock compositions: their
   * error bounds are in the README.
   */
  fused?: boolean;
  /**
   * Save tensors for first-order gradients as shared references instead of Identity kernels
   * with tape nodes (default true): the same values, a fifth fewer kernel launches in a
   * training step. Higher-order gradients keep the stock saves (src/tape-saves.ts).
   */
  shareTapeSaves?: boolean;
  /**
   * Where the addon loaded, run the fused kernels as its multi-threaded native code instead
   * of wasm SIMD (default true; false keeps them in wasm, e.g. to compare the two).
   */
  nativeFused?: boolean;
  /**
   * Which build of the wasm SIMD kernels runs. 'off' (default): the stock build (f32x4 mul then
   * add), whose floats every error bound and accuracy figure in the docs were measured with.
   * 'auto': the FMA build (the products' inner loops as f32x4.relaxed_madd, one rounding
   * instead of two, within the bounds of test/fma-build.test.ts) where the runtime validates
   * relaxed SIMD, else the stock build (the report says why). 'require': throw where it does
   * not. Node 22+ and current browsers validate it by default; on Node 20 the app enables it
   * (`node --experimental-wasm-relaxed-simd`, or `v8.setFlagsFromString` with that flag
   * before this call): this package never changes the host's engine flags.
   */
  fma?: FmaMode;
}

export interface FastKernelsReport {
  /** Kernel names now served by this package on the `wasm` backend. */
  kernels: string[];
  /** Fused kernels registered on `wasm` and `cpu` (FusedKernelName), with their gradients. */
  fusedKernels: string[];
  /** What runs the fused kernels on `wasm`: the native addon, wasm (SIMD, else JS), or none (`fused: false`). */
  fusedEngine: 'native' | 'wasm' | 'none';
  /** Kernels whose gradient this package replaced, on every backend (same values, fewer kernels). */
  gradients: string[];
  /** What runs the matmuls: XNNPACK inside wasm, or the native BLAS addon on the wasm heap. */
  matmulEngine: 'xnnpack' | 'native-blas' | 'none';
  native: {
    mode: NativeMode;
    loaded: boolean;
    /** Why it is or is not used, e.g. "addon not built (...)". */
    reason: string;
    path: string;
    /** Threads the addon's products and fused kernels run on; absent when not loaded. */
    threads?: number;
    /** The addon's instruction set for the fused kernels ('avx512', 'avx2', 'baseline'); absent when not loaded. */
    kernelVariant?: string;
  };
  /** Whether tensors saved for first-order gradients are shared references (no Identity kernels). */
  tapeSavesShared: boolean;
  /** The build of the wasm SIMD kernels that runs ('fma' only when asked for and it validates). */
  simdBuild: SimdBuild;
  fma: {
    mode: FmaMode;
    /** Why the FMA build is or is not used, e.g. "disabled by option fma: 'off'". */
    reason: string;
  };
  /** Whether @tensorflow/tfjs-backend-wasm was imported (its kernels registered) when enabled. */
  wasmBackendRegistered: boolean;
}

interface Enabled {
  report: FastKernelsReport;
  /** The wasm backend's own kernels this package replaced, to put back on disable. */
  replaced: KernelConfig[];
  /** Kernels this package registered, to unregister on disable. */
  installed: KernelConfig[];
  /** The gradients it replaced (absent when none was registered), likewise. */
  replacedGradients: Array<{ kernelName: string; stock: GradConfig | undefined }>;
  nativeFused: boolean;
}

function simdBuildFor(mode: FmaMode): { build: SimdBuild; reason: string } {
  if (mode === 'off') return { build: 'stock', reason: "disabled by option fma: 'off'" };
  const support = fmaBuildSupport();
  if (!support.available && mode === 'require')
    throw new Error(`tfjs-fast-kernels: fma: 'require' but ${support.reason}`);
  return { build: support.available ? 'fma' : 'stock', reason: support.reason };
}

let enabled: Enabled | null = null;

function installKernel(
  config: KernelConfig,
  replaced: KernelConfig[],
  installed: KernelConfig[],
): void {
  installed.push(config);
  const stock = getKernel(config.kernelName, config.backendName);
  if (stock != null) {
    replaced.push(stock);
    unregisterKernel(config.kernelName, config.backendName);
  }
  // The stock kernel stays our fallback, and tfjs-backend-wasm binds its C function in
  // setupFunc, which the engine runs only for the config registered when the backend starts.
  registerKernel({ ...config, setupFunc: config.setupFunc ?? stock?.setupFunc });
}

/** Whether the wasm backend runs (or will run) the threaded module, whose heap is shared. */
function sharedWasmHeap(): boolean {
  if (wasmThreadsStatus().module === 'threaded-simd') return true;
  // The registry, not findBackend: that would start initialising a backend not yet set up.
  const backend = engine().registry.wasm as { wasm?: { HEAPU8?: Uint8Array } } | undefined;
  const buffer = backend?.wasm?.HEAPU8?.buffer;
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

function nativeBlasFor(mode: NativeMode): {
  blas: NativeBlas | null;
  report: FastKernelsReport['native'];
} {
  if (mode === 'off') {
    return {
      blas: null,
      report: { mode, loaded: false, reason: "disabled by option native: 'off'", path: '' },
    };
  }
  if (sharedWasmHeap()) {
    // The addon takes the heap as an ArrayBuffer; a SharedArrayBuffer is not one to N-API.
    const reason = 'the wasm heap is shared (threaded wasm module, useWasmThreads)';
    if (mode === 'require') throw new Error(`tfjs-fast-kernels: native: 'require' but ${reason}`);
    return { blas: null, report: { mode, loaded: false, reason, path: '' } };
  }
  const load = loadNativeBlas();
  if (!load.loaded) {
    if (mode === 'require')
      throw new Error(`tfjs-fast-kernels: native: 'require' but ${load.reason} (${load.path})`);
    return { blas: null, report: { mode, loaded: false, reason: load.reason, path: load.path } };
  }
  return {
    blas: load.blas,
    report: {
      mode,
      loaded: true,
      reason: load.reason,
      path: load.path,
      threads: load.blas.threads(),
      kernelVariant: load.blas.kernelVariant(),
    },
  };
}

/**
 * Registers this package's kernels on the `wasm` backend of @tensorflow/tfjs-backend-wasm
 * (import that package first). Calling it again with the same options returns the same
 * report; with a different `native` mode it re-routes the matmuls.
 */
export async function enableFastKernels(
  options: FastKernelsOptions = {},
): Promise<FastKernelsReport> {
  const mode = options.native ?? 'auto';
  if (mode !== 'auto' && mode !== 'off' && mode !== 'require') {
    throw new Error(
      `tfjs-fast-kernels enableFastKernels: options.native must be 'auto' | 'off' | 'require', got ${String(mode)}`,
    );
  }
  const fused = options.fused ?? true;
  if (typeof fused !== 'boolean') {
    throw new Error(
      `tfjs-fast-kernels enableFastKernels: options.fused must be a boolean, got ${String(fused)}`,
    );
  }
  const shareSaves = options.shareTapeSaves ?? true;
  if (typeof shareSaves !== 'boolean') {
    throw new Error(
      `tfjs-fast-kernels enableFastKernels: options.shareTapeSaves must be a boolean, got ${String(shareSaves)}`,
    );
  }
  const nativeFused = options.nativeFused ?? true;
  if (typeof nativeFused !== 'boolean') {
    throw new Error(
      `tfjs-fast-kernels enableFastKernels: options.nativeFused must be a boolean, got ${String(nativeFused)}`,
    );
  }
  const fmaMode = options.fma ?? 'off';
  if (fmaMode !== 'auto' && fmaMode !== 'off' && fmaMode !== 'require') {
    throw new Error(
      `tfjs-fast-kernels enableFastKernels: options.fma must be 'auto' | 'off' | 'require', got ${String(fmaMode)}`,
    );
  }
  const simd = simdBuildFor(fmaMode);
  if (
    enabled != null &&
    enabled.report.native.mode === mode &&
    enabled.report.fma.mode === fmaMode &&
    enabled.report.simdBuild === simd.build &&
    enabled.report.fusedKernels.length > 0 === fused &&
    enabled.report.tapeSavesShared === shareSaves &&
    enabled.nativeFused === nativeFused
  )
    return enabled.report;
  const native = nativeBlasFor(mode);
  disableFastKernels();
  setSimdBuild(simd.build);

  const stockBatchMatMul = getKernel('BatchMatMul', 'wasm');
  const stockFusedMatMul = getKernel('_FusedMatMul', 'wasm');
  const stockPow = getKernel('Pow', 'wasm');
  const stockCast = getKernel('Cast', 'wasm');
  const stockAdd = getKernel('Add', 'wasm');
  const stockGather = getKernel('GatherV2', 'wasm');
  const wasmBackendRegistered =
    stockBatchMatMul != null &&
    stockFusedMatMul != null &&
    stockPow != null &&
    stockCast != null &&
    stockAdd != null;
  const replaced: KernelConfig[] = [];
  const installed: KernelConfig[] = [];
  const kernels: string[] = [];
  if (wasmBackendRegistered) {
    const route = {
      blas: native.blas,
      stockBatchMatMul: stockBatchMatMul.kernelFunc,
      stockFusedMatMul: stockFusedMatMul.kernelFunc,
    };
    const configs = [
      batchMatMulConfig(route),
      fusedMatMulConfig(route),
      unsortedSegmentSumConfig,
      powConfig(stockPow.kernelFunc),
      identityConfig,
      castConfig(stockCast.kernelFunc),
      splitVConfig,
      addConfig(stockAdd.kernelFunc),
      ...(stockGather == null ? [] : [gatherConfig(stockGather.kernelFunc)]),
    ];
    for (const config of configs) {
      installKernel(config, replaced, installed);
      kernels.push(config.kernelName);
    }
    if (fused) {
      const transposed = {
        ...batchMatMulConfig(route),
        kernelName: FusedKernelName.transposedMatMul,
      };
      installKernel(transposed, replaced, installed);
      kernels.push(transposed.kernelName);
      const withBias = biasMatMulConfig(route);
      installKernel(withBias, replaced, installed);
      kernels.push(withBias.kernelName);
      const weightBias = weightBiasGradConfig(route);
      installKernel(weightBias, replaced, installed);
      kernels.push(weightBias.kernelName);
    }
  }
  const fusedKernels: string[] = [];
  const gradients = [...gradientConfigs];
  if (fused) {
    for (const config of [
      ...adamKernels,
      ...layerNormKernels,
      ...geluKernels,
      ...softmaxKernels,
      ...columnSumKernels,
      ...attentionHeadsKernels,
    ])
      installKernel(config, replaced, installed);
    const fusedGradients = [
      layerNormGradConfig,
      geluGradConfig,
      softmaxGradConfig,
      columnSumGradConfig,
      splitHeadsGradConfig,
      mergeHeadsGradConfig,
    ];
    gradients.push(...fusedGradients);
    fusedKernels.push(...fusedGradients.map((g) => g.kernelName));
  }
  const fusedNatively = fused && nativeFused && native.blas != null && wasmBackendRegistered;
  setNativeFusedKernels(fusedNatively ? native.blas : null);
  if (fusedNatively)
    for (const config of nativeAttentionKernels) installKernel(config, replaced, installed);
  // The attention core is single-threaded SIMD: where the addon's threaded kernels serve the
  // separate steps (softmax, products through BLAS), the encoder keeps those.
  else if (fused)
    for (const config of attentionCoreKernels) installKernel(config, replaced, installed);
  const replacedGradients = gradients.map((config) => {
    const stock = getGradient(config.kernelName);
    registerGradient(config);
    return { kernelName: config.kernelName, stock };
  });
  if (shareSaves) shareTapeSaves();
  const report: FastKernelsReport = {
    kernels,
    fusedKernels,
    gradients: gradientConfigs.map((g) => g.kernelName),
    matmulEngine: !wasmBackendRegistered ? 'none' : native.blas != null ? 'native-blas' : 'xnnpack',
    fusedEngine: !fused ? 'none' : fusedNatively ? 'native' : 'wasm',
    native: native.report,
    tapeSavesShared: shareSaves,
    simdBuild: simd.build,
    fma: { mode: fmaMode, reason: simd.reason },
    wasmBackendRegistered,
  };
  enabled = { report, replaced, installed, replacedGradients, nativeFused };
  return report;
}

/** The report of the last `enableFastKernels` call, or null when not enabled. */
export function fastKernelsStatus(): FastKernelsReport | null {
  return enabled?.report ?? null;
}

/** Puts the wasm backend's own kernels back (for benchmarks and tests comparing against them). */
export function disableFastKernels(): void {
  if (enabled == null) return;
  setNativeFusedKernels(null);
  for (const config of enabled.installed) unregisterKernel(config.kernelName, config.backendName);
  for (const stock of enabled.replaced) registerKernel(stock);
  for (const { kernelName, stock } of enabled.replacedGradients) {
    unregisterGradient(kernelName);
    if (stock !== undefined) registerGradient(stock);
  }
  restoreTapeSaves();
  setSimdBuild('stock');
  enabled = null;
}
