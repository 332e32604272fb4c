/**
 * One registered kernel on against off, in one process (issue 23): code that looks a kernel up
 * by name on every call (the encoder's FUSED_KERNELS) falls back to its own composition when
 * the kernel is unregistered, so the same process, model and JIT state can time a training
 * step with and without it, alternating. After WARMUP_STEPS (default 20) untimed steps a case
 * in each setting, each round times `steps` steps of every case per setting (which goes first
 * alternates by round) by the main thread's CPU time (Linux /proc/self/task/<pid>/schedstat;
 * V8's background threads left out) and by the process's; prints the medians and the median
 * of the per-round on/off ratios. Tiny model, batch 8, the demo's batches; the path as the
 * trainer picks it (SPARSIFY_WASM_FMA=1: the FMA build).
 *   node --conditions=source --import tsx bench/kernel-toggle-ab.ts <kernel> [rounds] [steps] [cases]
 * kernel: e.g. SparsifyBiasMatMul; cases: comma-separated dense,masked,merge (default dense,merge).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { prepareBackend } from '../src/commands/runtime.js';
import { Logger } from '../src/log/logger.js';
import { demoBatches, demoTrainer, median } from './demo-batches.js';

const CASES = {
  dense: { preset: 'dense', epoch: 0 },
  masked: { preset: 'sparsify', epoch: 0 },
  merge: { preset: 'sparsify', epoch: 3 },
} as const;

function mainThreadMs(): number {
  return (
    Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
  );
}

function processMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

async function main(): Promise<void> {
  const kernelName = process.argv[2];
  if (!kernelName) throw new Error('kernel-toggle-ab: name a kernel (e.g. SparsifyBiasMatMul)');
  const rounds = Number(process.argv[3] ?? 10);
  const steps = Number(process.argv[4] ?? 4);
  const names = (process.argv[5] ?? 'dense,merge').split(',') as (keyof typeof CASES)[];
  const logger = new Logger({ quiet: true, format: 'text' });
  const backend = await prepareBackend('auto', true, logger);
  const config = tf.getKernel(kernelName, backend.name);
  if (config == null)
    throw new Error(`kernel-toggle-ab: ${kernelName} is not registered on ${backend.name}`);
  const setOn = (on: boolean) => {
    const registered = tf.getKernel(kernelName, backend.name) != null;
    if (on && !registered) tf.registerKernel(config);
    if (!on && registered) tf.unregisterKernel(kernelName, backend.name);
  };
  const data = await demoBatches(logger, 16, 8);
  const setups = names.map((name) => {
    const c = CASES[name];
    if (!c) throw new Error(`kernel-toggle-ab: unknown case "${name}" (dense | masked | merge)`);
    return { name, setup: demoTrainer(c.preset, c.epoch, data) };
  });
  const warmup = Number(process.env.WARMUP_STEPS ?? 20);
  for (const on of [true, false]) {
    setOn(on);
    for (let i = 0; i < warmup; i++) for (const { setup } of setups) setup.step();
  }
  // [case][setting] per-round ms a step
  const main = setups.map(() => ({ on: [] as number[], off: [] as number[] }));
  const proc = setups.map(() => ({ on: [] as number[], off: [] as number[] }));
  const loadBefore = loadavg()[0] ?? 0;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [true, false] : [false, true];
    for (const on of order) {
      setOn(on);
      for (const [i, { setup }] of setups.entries()) {
        const mainStart = mainThreadMs();
        const procStart = processMs();
        for (let s = 0; s < steps; s++) setup.step();
        const key = on ? 'on' : 'off';
        main[i]![key].push((mainThreadMs() - mainStart) / steps);
        proc[i]![key].push((processMs() - procStart) / steps);
      }
    }
  }
  setOn(true);
  console.log(
    `kernel-toggle-ab ${kernelName} on ${backend.name}${process.env.SPARSIFY_WASM_FMA === '1' ? ' (FMA build)' : ''}: ${rounds} rounds x ${steps} steps a case a setting after ${warmup} warm-up steps each; load average (1 min) ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after\n`,
  );
  console.log(
    '| case | main thread ms on | off | on/off (median of rounds) | process ms on | off | on/off |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [i, { name }] of setups.entries()) {
    const cells = (t: { on: number[]; off: number[] }) => {
      const ratios = t.on.map((v, r) => v / (t.off[r] as number));
      return `${median(t.on).toFixed(1)} | ${median(t.off).toFixed(1)} | ${median(ratios).toFixed(3)}`;
    };
    console.log(`| ${name} | ${cells(main[i]!)} | ${cells(proc[i]!)} |`);
  }
  for (const { setup } of setups) setup.dispose();
}

await main();
