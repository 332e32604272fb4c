import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  type BackendEnvironment,
  BackendUnavailableError,
  nodeEnvironment,
  pickAutoBackend,
  probeBackends,
  resolveBackend,
  setupBackend,
} from '../src/backends.js';
import { backendsReport } from '../src/commands/backends.js';
import { buildProgram } from '../src/program.js';

/** A machine described by which packages, files and devices it has. */
function fakeMachine(options: {
  packages: string[];
  files?: string[];
  cuda?: boolean;
}): BackendEnvironment {
  const files = new Set(options.files ?? []);
  return {
    packageDir: (name) => (options.packages.includes(name) ? `/nm/${name}` : null),
    fileExists: (file) => files.has(file),
    listDir: (dir) =>
      [...files]
        .filter((file) => file.startsWith(`${dir}/`))
        .map((file) => file.slice(dir.length + 1).split('/')[0]!),
    cudaDeviceVisible: () => options.cuda ?? false,
  };
}

const WASM_FILE = '/nm/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm';
const NODE_ADDON = '/nm/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node';
const GPU_ADDON = '/nm/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node';
const ALL_PACKAGES = [
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs',
];

describe('auto backend order', () => {
  it('prefers tfjs-node-gpu when its addon is present and a CUDA device is visible', () => {
    const machine = fakeMachine({
      packages: ALL_PACKAGES,
      files: [WASM_FILE, NODE_ADDON, GPU_ADDON],
      cuda: true,
    });
    expect(resolveBackend('auto', machine)).toBe('tensorflow-gpu');
  });

  it('skips tfjs-node-gpu without a CUDA device', () => {
    const machine = fakeMachine({
      packages: ALL_PACKAGES,
      files: [WASM_FILE, NODE_ADDON, GPU_ADDON],
      cuda: false,
    });
    expect(resolveBackend('auto', machine)).toBe('tensorflow');
    expect(() => resolveBackend('tensorflow-gpu', machine)).toThrow(/no CUDA device visible/);
  });

  it('skips a native package whose libtensorflow addon never arrived', () => {
    // What a blocked libtensorflow download leaves behind: the package, but no addon.
    const machine = fakeMachine({ packages: ALL_PACKAGES, files: [WASM_FILE], cuda: true });
    expect(resolveBackend('auto', machine)).toBe('wasm');
  });

  it('falls back to wasm when the native packages are absent, then to cpu', () => {
    const withWasm = fakeMachine({ packages: ALL_PACKAGES.slice(2), files: [WASM_FILE] });
    expect(resolveBackend('auto', withWasm)).toBe('wasm');
    const bare = fakeMachine({ packages: ['@tensorflow/tfjs'] });
    expect(resolveBackend('auto', bare)).toBe('cpu');
    expect(pickAutoBackend(probeBackends(bare))).toBe('cpu');
  });

  it('on this machine, without the native packages, auto picks a usable backend', () => {
    const probes = probeBackends(nodeEnvironment);
    const picked = pickAutoBackend(probes);
    expect(probes.find((probe) => probe.name === picked)?.usable).toBe(true);
    for (const probe of probes.filter((p) => p.name.startsWith('tensorflow'))) {
      if (nodeEnvironment.packageDir(probe.packageName) === null) expect(probe.usable).toBe(false);
    }
    expect(probes.find((probe) => probe.name === 'wasm')?.usable).toBe(true);
  });
});

describe('asking for a backend that is missing', () => {
  it('gives one line naming the package and how to install it', () => {
    const machine = fakeMachine({ packages: ['@tensorflow/tfjs'] });
    let message = '';
    try {
      resolveBackend('tensorflow', machine);
    } catch (error) {
      expect(error).toBeInstanceOf(BackendUnavailableError);
      message = (error as Error).message;
    }
    expect(message).toContain('@tensorflow/tfjs-node');
    expect(message).toContain('npm install @tensorflow/tfjs-node@4.22.0');
    expect(message).toContain('pnpm --filter @sparsify/trainer add @tensorflow/tfjs-node@4.22.0');
    expect(message).not.toContain('\n');
  });

  it('rejects an unknown name', () => {
    expect(() => resolveBackend('metal')).toThrow(/unknown backend 'metal'/);
  });
});

describe('setupBackend', () => {
  it('makes wasm and cpu current and computes on them', async () => {
    for (const name of ['wasm', 'cpu'] as const) {
      const active = await setupBackend(name);
      expect(active.name).toBe(name);
      expect(tf.getBackend()).toBe(name);
      const sum = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]);
      expect(sum).toBe(6);
    }
  });
});

describe('sparsify backends', () => {
  it('lists every backend with the package behind it and auto pick', () => {
    const machine = fakeMachine({ packages: ALL_PACKAGES.slice(2), files: [WASM_FILE] });
    const report = backendsReport(machine);
    expect(report).toMatch(/tensorflow-gpu\s+@tensorflow\/tfjs-node-gpu\s+no /);
    expect(report).toMatch(/wasm\s+@tensorflow\/tfjs-backend-wasm\s+yes .*<- auto/);
    expect(report.trim().split('\n').at(-1)).toBe('auto picks: wasm');
  });

  it('runs from the command line and takes --backend / SPARSIFY_BACKEND', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      const program = buildProgram();
      await program.parseAsync(['node', 'sparsify', '--backend', 'cpu', 'backends']);
      expect(program.opts().backend).toBe('cpu');
    } finally {
      console.log = log;
    }
    expect(lines.join('\n')).toContain('auto picks:');

    process.env.SPARSIFY_BACKEND = 'wasm';
    try {
      const program = buildProgram();
      program.exitOverride();
      await program.parseAsync(['node', 'sparsify', 'backends']).catch(() => undefined);
      expect(program.opts().backend).toBe('wasm');
    } finally {
      delete process.env.SPARSIFY_BACKEND;
    }
  });

  it('refuses an unknown --backend', async () => {
    const program = buildProgram().exitOverride();
    program.configureOutput({ writeErr: () => undefined });
    await expect(
      program.parseAsync(['node', 'sparsify', '--backend', 'metal', 'backends']),
    ).rejects.toThrow(/Allowed choices/);
  });
});

it('resolves paths the way Node does for installed packages', () => {
  const dir = nodeEnvironment.packageDir('@tensorflow/tfjs-backend-wasm');
  expect(dir).not.toBeNull();
  expect(path.basename(dir!)).toBe('tfjs-backend-wasm');
});
