/**
 * CPU time per kernel of one training step on the default path, without tf.profile's sync
 * after each kernel: every kernel registered on wasm is wrapped with a process.cpuUsage()
 * timer (about 1 us of overhead a call), keyed by kernel name, or by name and shapes with
 * SHAPES=1. The step's CPU time minus the kernels' is the JavaScript around them (engine,
 * tape, op wrappers, the sparsifiers' host work, garbage collection).
 *   node --conditions=source --import tsx bench/kernel-cpu-time.ts [steps] [top]
 */
import * as tf from '@tensorflow/tfjs';
import { prepareBackend } from '../src/commands/runtime.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { Logger } from '../src/log/logger.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { FlatAdam } from '../src/train/flat-adam.js';
import { trainStep } from '../src/train/train-loop.js';
import { demoBatches } from './demo-batches.js';

const BATCH = 8;
const CASES = [
  { name: 'dense', preset: 'dense', epoch: 0 },
  { name: 'masked (mask + merge)', preset: 'sparsify', epoch: 0 },
  { name: 'merge only', preset: 'sparsify', epoch: 3 },
] as const;

const table = new Map<string, { count: number; us: number }>();
let depth = 0;

function instrument(): void {
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        // Kernels that call kernels are timed once, at the outside.
        if (depth > 0) return inner(args);
        depth++;
        const start = process.cpuUsage();
        try {
          return inner(args);
        } finally {
          const used = process.cpuUsage(start);
          depth--;
          const shapes = process.env.SHAPES
            ? ` ${Object.values(args.inputs)
                .map((t) => `[${(t as tf.TensorInfo).shape}]`)
                .join('')} ${JSON.stringify(args.attrs ?? {})}`
            : '';
          const key = config.kernelName + shapes;
          const entry = table.get(key) ?? { count: 0, us: 0 };
          entry.count++;
          entry.us += used.user + used.system;
          table.set(key, entry);
        }
      },
    });
  }
}

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 10);
  const top = Number(process.argv[3] ?? 20);
  const logger = new Logger({ quiet: true, format: 'text' });
  await prepareBackend('auto', true, logger);
  const data = await demoBatches(logger, 16, BATCH);
  instrument();
  const weights = new Float32Array(BATCH).fill(1);
  for (const c of CASES) {
    const config = resolveTrainConfig({ preset: c.preset });
    const model = new SparsifiedAmuse(config, data.inputs);
    const optimizer = new FlatAdam(config.lr);
    // The sparsifiers' hooks, timed whole (their host work and the kernels they launch).
    const hooks = new Map<string, number>();
    const timeHook = <T extends object>(target: T | null, method: keyof T & string) => {
      if (target === null) return;
      const inner = (target[method] as (...args: unknown[]) => unknown).bind(target);
      (target as Record<string, unknown>)[method] = (...args: unknown[]) => {
        const start = process.cpuUsage();
        try {
          return inner(...args);
        } finally {
          const used = process.cpuUsage(start);
          hooks.set(method, (hooks.get(method) ?? 0) + used.user + used.system);
        }
      };
    };
    timeHook(model.masker, 'maskInputs');
    timeHook(model.reducer, 'reduceTokens');
    timeHook(optimizer, 'applyGradients');
    const step = (i: number) =>
      trainStep(model, optimizer, data.batches[i % 16]!, weights, {
        training: true,
        epoch: c.epoch,
        step: i,
      });
    step(0);
    step(1);
    table.clear();
    hooks.clear();
    const start = process.cpuUsage();
    for (let i = 0; i < steps; i++) step(i + 2);
    const used = process.cpuUsage(start);
    const stepMs = (used.user + used.system) / 1000 / steps;
    const kernelMs = [...table.values()].reduce((s, e) => s + e.us, 0) / 1000 / steps;
    const launches = [...table.values()].reduce((s, e) => s + e.count, 0) / steps;
    console.log(
      `\n## ${c.name}: step ${stepMs.toFixed(1)} CPU ms, in kernels ${kernelMs.toFixed(1)} (${launches.toFixed(0)} launches), outside ${(stepMs - kernelMs).toFixed(1)}\n`,
    );
    for (const [name, us] of hooks)
      console.log(
        `${name}: ${(us / 1000 / steps).toFixed(2)} CPU ms a step (its kernels included)`,
      );
    console.log('\n| kernel | launches a step | CPU ms a step |');
    console.log('|---|---:|---:|');
    for (const [name, e] of [...table].sort((a, b) => b[1].us - a[1].us).slice(0, top))
      console.log(
        `| ${name} | ${(e.count / steps).toFixed(1)} | ${(e.us / 1000 / steps).toFixed(2)} |`,
      );
    optimizer.dispose();
    model.dispose();
  }
}

await main();
