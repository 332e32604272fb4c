import {
  enableFastKernels,
  type FmaMode,
  MAX_WASM_THREADS,
  type NativeMode,
  parseWasmThreads,
} from '@sparsify/tfjs-fast-kernels';
import { type ActiveBackend, setupBackend } from '../backends.js';
import { ConfigError } from '../config/config-error.js';
import { type LogFormat, Logger } from '../log/logger.js';
import { allowRelaxedSimd, wasmFmaMode } from '../wasm-fma.js';

export interface OutputOptions {
  quiet?: boolean;
  logFormat?: string;
}

export function createLogger(options: OutputOptions): Logger {
  const format = options.logFormat ?? 'text';
  if (format !== 'text' && format !== 'json') {
    throw new ConfigError('--log-format', `expected text or json, got "${format}"`);
  }
  return new Logger({ quiet: options.quiet ?? false, format: format as LogFormat });
}

/**
 * XNNPACK threads for the wasm backend from SPARSIFY_WASM_THREADS (default 1). More than one
 * runs tfjs-backend-wasm's threaded module; the default stays 1 because on this project's
 * 2-core machine the second thread measured no faster (docs/benchmarks/native-addon.md,
 * "wasm threads"), and `demo --parallel` already puts one run on each core.
 */
export function wasmThreadsSetting(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.SPARSIFY_WASM_THREADS;
  if (value === undefined || value.trim() === '') return 1;
  try {
    return parseWasmThreads(value);
  } catch {
    throw new ConfigError(
      'SPARSIFY_WASM_THREADS',
      `expected an integer from 1 to ${MAX_WASM_THREADS}, got "${value}"`,
    );
  }
}

/**
 * Picks the backend (--backend / SPARSIFY_BACKEND) and, on wasm, registers the fast
 * kernels unless --no-fast-kernels: stock wasm trains many times slower (measured in
 * docs/benchmarks/tfjs-fast-kernels.md). The backend line and event name the SIMD build
 * that runs (stock or fma) and, where the FMA build was asked for but not used, why.
 */
export async function prepareBackend(
  choice: string,
  fastKernels: boolean,
  logger: Logger,
  /** Whether the fast kernels may use the native addon (a demo run in a child copies its parent's). */
  native: NativeMode = 'auto',
  /** The SIMD build: SPARSIFY_WASM_FMA by default; a demo run in a child copies its parent's. */
  fma: FmaMode = wasmFmaMode(),
): Promise<ActiveBackend> {
  const backend = await setupBackend(choice, undefined, { wasmThreads: wasmThreadsSetting() });
  let kernels = 'stock kernels';
  let simdBuild: string | undefined;
  let fmaNotUsed: string | undefined;
  let matmulEngine: string | undefined;
  if (backend.name === 'wasm' && fastKernels) {
    if (fma !== 'off') allowRelaxedSimd();
    const report = await enableFastKernels({ native, fma });
    simdBuild = report.simdBuild;
    matmulEngine = report.matmulEngine;
    // Asked for where relaxed SIMD still does not validate: the stock build, and why.
    if (fma !== 'off' && report.simdBuild !== 'fma') fmaNotUsed = report.fma.reason;
    const fallback = fmaNotUsed ? `; FMA not used: ${fmaNotUsed}` : '';
    kernels = `fast kernels (${report.matmulEngine}, SIMD build ${report.simdBuild}${fallback})`;
  }
  const threads = backend.wasmThreads;
  const threadsNote =
    threads === undefined || threads.requested === 1
      ? ''
      : threads.module === 'threaded-simd'
        ? `, ${threads.threads} wasm threads`
        : `, 1 wasm thread (${threads.reason})`;
  logger.event(
    'backend',
    {
      backend: backend.name,
      fastKernels: backend.name === 'wasm' && fastKernels,
      ...(threads ? { wasmThreads: threads.threads ?? 1 } : {}),
      ...(simdBuild ? { simdBuild } : {}),
      ...(fmaNotUsed ? { fmaNotUsed } : {}),
      ...(matmulEngine ? { matmulEngine } : {}),
    },
    `backend: ${backend.name}${backend.name === 'wasm' ? `, ${kernels}${threadsNote}` : ''}`,
  );
  return backend;
}

/**
 * Ctrl-C asks the loop to save a checkpoint and stop after the current step; a second
 * Ctrl-C exits at once.
 */
export function interruptFlag(logger: Logger): {
  stopRequested: () => boolean;
  release: () => void;
} {
  let requested = false;
  const onSignal = () => {
    if (requested) {
      logger.warn('interrupted again: quitting now without saving (the last checkpoint stays)');
      process.exit(130);
      return;
    }
    requested = true;
    logger.warn('interrupted: saving a checkpoint after this step (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSignal);
  return {
    stopRequested: () => requested,
    release: () => {
      process.off('SIGINT', onSignal);
    },
  };
}
