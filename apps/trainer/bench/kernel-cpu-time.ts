/**
 * CPU time per kernel of one training step on the default path, without tf.profile's sync
 * after each kernel: every kernel registered on wasm is wrapped with a process.cpuUsage()
 * timer (about 1 us of overhead a call), keyed by kernel name, or by name and shapes with
 * SHAPES=1. The step's CPU time minus the kernels' is the JavaScript around them (engine,
 * tape, op wrappers, the sparsifiers' host work, garbage collection). It also counts the
 * reads of tensor values back to the host (data syncs). TURNS=1: the cases take turns step
 * by step, as bench/step-checkout-ab.ts runs them. WARMUP_STEPS=<n>: n more untimed steps a
 * case (taking turns) before timing, so V8's re-optimisation of tfjs' hot functions (which
 * decays over ~100 steps, docs/notebook/2026-12-05-step-js-cost.md) is out of the figures.
 * The step's CPU is also split by thread (Linux): the main thread's, read from
 * /proc/self/task/<pid>/schedstat (ns), and the other threads' (V8's compiler and GC), the
 * process's minus the main thread's. The kernels' timers read the process's CPU, so a kernel
 * also carries what other threads used while it ran. With SHAPES=1 the products (BatchMatMul,
 * SparsifyMatMul, SparsifyBiasMatMul, _FusedMatMul) also get their GFLOP/s in the step (2 m k n
 * a matrix over the CPU time of their launches) and their role from the transposes (forward,
 * input gradient a b^T, weight gradient a^T b). CASES=dense,merge picks cases by the first
 * word of their names (default: all three).
 *   node --conditions=source --import tsx bench/kernel-cpu-time.ts [steps] [top]
 */
import { readFileSync } from 'node:fs';
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

const table = new Map<string, { count: number; us: number; flops: number }>();

const PRODUCTS = new Set(['BatchMatMul', 'SparsifyMatMul', 'SparsifyBiasMatMul', '_FusedMatMul']);

/** 2 m k n per output matrix of a product kernel's launch. */
function productFlops(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): number {
  const a = (args.inputs.a as tf.TensorInfo).shape;
  const b = (args.inputs.b as tf.TensorInfo).shape;
  const ta = Boolean(args.attrs?.transposeA);
  const tb = Boolean(args.attrs?.transposeB);
  const m = a[a.length - (ta ? 1 : 2)]!;
  const k = a[a.length - (ta ? 2 : 1)]!;
  const n = b[b.length - (tb ? 2 : 1)]!;
  const batch = Math.max(
    a.slice(0, -2).reduce((x, y) => x * y, 1),
    b.slice(0, -2).reduce((x, y) => x * y, 1),
  );
  return 2 * batch * m * k * n;
}

/** What a product computes in the step, from which operand it reads transposed. */
function productRole(attrs: tf.NamedAttrMap | undefined): string {
  if (attrs?.transposeA) return 'weight grad a^T b';
  if (attrs?.transposeB) return 'input grad a b^T';
  return 'forward a b';
}

/** The main thread's CPU time so far, in microseconds (Linux; NaN elsewhere). */
function mainThreadUs(): number {
  try {
    return (
      Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000
    );
  } catch {
    return Number.NaN;
  }
}
let depth = 0;
let syncs = 0;

/** Counts reads of tensor values back to the host (dataSync/arraySync go through readSync). */
function countSyncs(): void {
  const backend = tf.backend() as unknown as { readSync(id: object): unknown };
  const inner = backend.readSync.bind(backend);
  backend.readSync = (id: object) => {
    syncs++;
    return inner(id);
  };
}

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
          const role =
            process.env.SHAPES && PRODUCTS.has(config.kernelName)
              ? ` (${productRole(args.attrs)})`
              : '';
          const key = config.kernelName + shapes + role;
          const product = PRODUCTS.has(config.kernelName);
          const entry = table.get(key) ?? { count: 0, us: 0, flops: 0 };
          entry.count++;
          entry.us += used.user + used.system;
          if (product) entry.flops += productFlops(args);
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
  countSyncs();
  const weights = new Float32Array(BATCH).fill(1);
  // Per case: a step function, its timers and what it launched.
  const picked = process.env.CASES?.split(',');
  const cases = CASES.filter((c) => picked == null || picked.includes(c.name.split(' ')[0]!));
  const runs = cases.map((c) => {
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
    return {
      c,
      model,
      optimizer,
      hooks,
      step,
      kernels: new Map<string, { count: number; us: number; flops: number }>(),
      cpuUs: 0,
      mainUs: 0,
      syncs: 0,
    };
  });
  const warmup = Number(process.env.WARMUP_STEPS ?? 0);
  for (let i = 0; i < warmup; i++) for (const run of runs) run.step(i + 2);
  table.clear();
  // The hooks' timers count the timed steps only.
  for (const run of runs) run.hooks.clear();
  // TURNS=1: the cases take turns step by step (as bench/step-checkout-ab.ts times them);
  // otherwise each case's steps run back to back.
  const order: [number, number][] = [];
  if (process.env.TURNS) {
    for (let i = 0; i < steps; i++) for (const r of runs.keys()) order.push([r, i]);
  } else {
    for (const r of runs.keys()) for (let i = 0; i < steps; i++) order.push([r, i]);
  }
  for (const [r, i] of order) {
    const run = runs[r]!;
    table.clear();
    syncs = 0;
    const start = process.cpuUsage();
    const mainStart = mainThreadUs();
    run.step(i + 2 + warmup);
    const mainUsed = mainThreadUs() - mainStart;
    const used = process.cpuUsage(start);
    run.cpuUs += used.user + used.system;
    run.mainUs += mainUsed;
    run.syncs += syncs;
    for (const [name, e] of table) {
      const entry = run.kernels.get(name) ?? { count: 0, us: 0, flops: 0 };
      entry.count += e.count;
      entry.us += e.us;
      entry.flops += e.flops;
      run.kernels.set(name, entry);
    }
  }
  for (const run of runs) {
    const { c, hooks, kernels } = run;
    const stepMs = run.cpuUs / 1000 / steps;
    const kernelMs = [...kernels.values()].reduce((s, e) => s + e.us, 0) / 1000 / steps;
    const launches = [...kernels.values()].reduce((s, e) => s + e.count, 0) / steps;
    console.log(
      `\n## ${c.name}: step ${stepMs.toFixed(1)} CPU ms, in kernels ${kernelMs.toFixed(1)} (${launches.toFixed(0)} launches), outside ${(stepMs - kernelMs).toFixed(1)}; ${(run.syncs / steps).toFixed(1)} data syncs a step\n`,
    );
    const mainMs = run.mainUs / 1000 / steps;
    console.log(
      `threads: main ${mainMs.toFixed(1)} CPU ms a step (outside kernels ${(mainMs - kernelMs).toFixed(1)}), other threads ${(stepMs - mainMs).toFixed(1)}; ${warmup} warm-up steps a case\n`,
    );
    for (const [name, us] of hooks)
      console.log(
        `${name}: ${(us / 1000 / steps).toFixed(2)} CPU ms a step (its kernels included)`,
      );
    console.log('\n| kernel | launches a step | CPU ms a step | GFLOP/s |');
    console.log('|---|---:|---:|---:|');
    for (const [name, e] of [...kernels].sort((a, b) => b[1].us - a[1].us).slice(0, top))
      console.log(
        `| ${name} | ${(e.count / steps).toFixed(1)} | ${(e.us / 1000 / steps).toFixed(2)} | ${e.flops > 0 ? (e.flops / e.us / 1000).toFixed(1) : ''} |`,
      );
    run.optimizer.dispose();
    run.model.dispose();
  }
}

await main();
