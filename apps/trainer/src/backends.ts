import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  useWasmThreads,
  type WasmThreadsStatus,
  wasmBackendInitialised,
} from '@sparsify/tfjs-fast-kernels';

/** The TensorFlow.js backends the trainer can run on, fastest first. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = 'auto' | BackendName;

/** The npm package that provides each backend (cpu ships inside @tensorflow/tfjs). */
export const BACKEND_PACKAGES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs',
};

/** The name each package registers its backend under in tfjs-core. */
const REGISTERED_NAMES: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

export interface BackendProbe {
  name: BackendName;
  packageName: string;
  usable: boolean;
  /** Why it is or is not usable, in a few words. */
  detail: string;
}

/** What the probes look at; replaced in tests to simulate other machines. */
export interface BackendEnvironment {
  /** The directory of an installed package, or null when it cannot be resolved. */
  packageDir(packageName: string): string | null;
  fileExists(file: string): boolean;
  listDir(dir: string): string[];
  /** Whether a CUDA device is visible to this process. */
  cudaDeviceVisible(): boolean;
}

const requireFromHere = createRequire(import.meta.url);

export const nodeEnvironment: BackendEnvironment = {
  packageDir(packageName) {
    try {
      return path.dirname(requireFromHere.resolve(`${packageName}/package.json`));
    } catch {
      return null;
    }
  },
  fileExists: (file) => fs.existsSync(file),
  listDir: (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []),
  cudaDeviceVisible() {
    const visible = process.env.CUDA_VISIBLE_DEVICES;
    if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return false;
    return fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/nvidiactl');
  },
};

/**
 * tfjs-node keeps its addon at lib/napi-v<N>/tfjs_binding.node. Requiring the package
 * without it throws deep inside node-pre-gyp, so the file is checked first.
 */
function nativeAddon(env: BackendEnvironment, packageDir: string): string | null {
  const libDir = path.join(packageDir, 'lib');
  for (const entry of env.listDir(libDir)) {
    const addon = path.join(libDir, entry, 'tfjs_binding.node');
    if (entry.startsWith('napi-v') && env.fileExists(addon)) return addon;
  }
  return null;
}

export function probeBackend(name: BackendName, env: BackendEnvironment = nodeEnvironment) {
  const packageName = BACKEND_PACKAGES[name];
  const probe = (usable: boolean, detail: string): BackendProbe => ({
    name,
    packageName,
    usable,
    detail,
  });
  const dir = env.packageDir(packageName);
  if (dir === null) return probe(false, `${packageName} is not installed`);
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const addon = nativeAddon(env, dir);
      if (addon === null) return probe(false, `${packageName} has no native addon (libtensorflow)`);
      if (name === 'tensorflow-gpu' && !env.cudaDeviceVisible()) {
        return probe(false, 'no CUDA device visible');
      }
      return probe(true, `native addon ${addon}`);
    }
    case 'wasm': {
      const binary = path.join(dir, 'dist', 'tfjs-backend-wasm.wasm');
      if (!env.fileExists(binary)) return probe(false, `${binary} is missing`);
      return probe(true, 'WebAssembly (one thread; SPARSIFY_WASM_THREADS=2 for XNNPACK threads)');
    }
    case 'cpu':
      return probe(true, 'plain JavaScript');
  }
}

export function probeBackends(env: BackendEnvironment = nodeEnvironment): BackendProbe[] {
  return BACKEND_NAMES.map((name) => probeBackend(name, env));
}

/** `auto`: the first usable backend in BACKEND_NAMES order (cpu always is). */
export function pickAutoBackend(probes: BackendProbe[]): BackendName {
  return probes.find((probe) => probe.usable)?.name ?? 'cpu';
}

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

function installHint(probe: BackendProbe): string {
  const native = probe.name === 'tensorflow' || probe.name === 'tensorflow-gpu';
  return (
    `backend '${probe.name}' is not usable here: ${probe.detail}. ` +
    `Install it beside @sparsify/trainer with \`npm install ${probe.packageName}@4.22.0\`` +
    ` (in a clone of the repository: \`pnpm --filter @sparsify/trainer add ${probe.packageName}@4.22.0\`)` +
    (native ? ' (its install downloads libtensorflow, so the machine needs that host).' : '.')
  );
}

export function isBackendChoice(value: string): value is BackendChoice {
  return value === 'auto' || (BACKEND_NAMES as readonly string[]).includes(value);
}

/** Resolves a choice to a usable backend, or throws a one-line error saying how to get it. */
export function resolveBackend(
  choice: string,
  env: BackendEnvironment = nodeEnvironment,
): BackendName {
  if (!isBackendChoice(choice)) {
    throw new BackendUnavailableError(
      `unknown backend '${choice}': expected one of auto, ${BACKEND_NAMES.join(', ')}`,
    );
  }
  if (choice === 'auto') return pickAutoBackend(probeBackends(env));
  const probe = probeBackend(choice, env);
  if (!probe.usable) throw new BackendUnavailableError(installHint(probe));
  return choice;
}

export interface ActiveBackend {
  name: BackendName;
  /** The name tfjs-core knows it by (tfjs-node-gpu registers as 'tensorflow'). */
  registeredName: string;
  /** On wasm: which module runs and on how many threads (absent on other backends). */
  wasmThreads?: WasmThreadsStatus;
}

export interface BackendSetupOptions {
  /**
   * XNNPACK threads of the wasm backend (default 1): above 1, tfjs-backend-wasm's threaded
   * SIMD module (useWasmThreads in @sparsify/tfjs-fast-kernels), where the runtime allows it.
   */
  wasmThreads?: number;
}

/**
 * Loads the backend's package (registering it with tfjs-core) and makes it current.
 * `@tensorflow/tfjs` is loaded first in every case: it registers the cpu backend, all
 * gradients and the chained tensor methods the libraries' users expect.
 */
export async function setupBackend(
  choice: string,
  env: BackendEnvironment = nodeEnvironment,
  options: BackendSetupOptions = {},
): Promise<ActiveBackend> {
  const name = resolveBackend(choice, env);
  const tf = await import('@tensorflow/tfjs');
  let wasmThreads: WasmThreadsStatus | undefined;
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    // Only before the backend first initialises; later calls keep the module it has.
    if (!wasmBackendInitialised()) wasmThreads = useWasmThreads(options.wasmThreads ?? 1);
  }
  if (name === 'tensorflow' || name === 'tensorflow-gpu') {
    // Native packages are optional peers: resolve them at run time, never at build time.
    requireFromHere(BACKEND_PACKAGES[name]);
  }
  const registeredName = REGISTERED_NAMES[name];
  if (!(await tf.setBackend(registeredName))) {
    throw new BackendUnavailableError(`backend '${name}' failed to initialise`);
  }
  await tf.ready();
  if (wasmThreads === undefined) return { name, registeredName };
  const { wasmThreadsStatus } = await import('@sparsify/tfjs-fast-kernels');
  return { name, registeredName, wasmThreads: wasmThreadsStatus() };
}
