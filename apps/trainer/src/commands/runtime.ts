import { enableFastKernels, type NativeMode } from '@sparsify/tfjs-fast-kernels';
import { type ActiveBackend, setupBackend } from '../backends.js';
import { ConfigError } from '../config/config-error.js';
import { type LogFormat, Logger } from '../log/logger.js';

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
 * Picks the backend (--backend / SPARSIFY_BACKEND) and, on wasm, registers the fast
 * kernels unless --no-fast-kernels: stock wasm trains many times slower (measured in
 * docs/benchmarks/tfjs-fast-kernels.md).
 */
export async function prepareBackend(
  choice: string,
  fastKernels: boolean,
  logger: Logger,
  /** Whether the fast kernels may use the native addon (a demo run in a child copies its parent's). */
  native: NativeMode = 'auto',
): Promise<ActiveBackend> {
  const backend = await setupBackend(choice);
  let kernels = 'stock kernels';
  if (backend.name === 'wasm' && fastKernels) {
    const report = await enableFastKernels({ native });
    kernels = `fast kernels (${report.matmulEngine})`;
  }
  logger.event(
    'backend',
    { backend: backend.name, fastKernels: backend.name === 'wasm' && fastKernels },
    `backend: ${backend.name}${backend.name === 'wasm' ? `, ${kernels}` : ''}`,
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
