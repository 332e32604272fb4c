import { enableFastKernels, FusedKernelName } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import { prepareBackend } from '../src/commands/runtime.js';
import { Logger } from '../src/log/logger.js';
import { demoBatches, demoTrainer, median } from './demo-batches.js';

const BATCH = 8;
const BATCHES = 16;

interface Case {
  name: string;
  preset: 'dense' | 'sparsify';
  epoch: number;
}

const CASES: Case[] = [
  { name: 'dense', preset: 'dense', epoch: 0 },
  { name: 'masked (mask + merge)', preset: 'sparsify', epoch: 0 },
  { name: 'merge only', preset: 'sparsify', epoch: 3 },
];

let fusedConfigs: tf.KernelConfig[] = [];

/**
 * Switches the fused kernels on or off by (un)registering just them on wasm: the rest of
 * tfjs-fast-kernels (and XNNPACK's cached operators) stays as the trainer set it. The
 * encoder looks the kernels up at every call, so it follows at once.
 */
async function useFused(fused: boolean): Promise<void> {
  const registered = tf.getKernel(FusedKernelName.layerNorm, 'wasm') != null;
  if (fused === registered) return;
  for (const config of fusedConfigs) {
    if (fused) tf.registerKernel(config);
    else tf.unregisterKernel(config.kernelName, config.backendName);
  }
}

/** Kernels launched in one step, and ms per kernel name (custom-gradient scopes left out). */
async function profileStep(
  step: () => unknown,
): Promise<{ count: number; byName: Map<string, { count: number; ms: number }> }> {
  const info = await tf.profile(() => {
    step();
  });
  const launched = info.kernels.filter(
    (k) => k.name !== 'unnamed scope' && !k.name.endsWith('__op'),
  );
  const byName = new Map<string, { count: number; ms: number }>();
  for (const k of launched) {
    const entry = byName.get(k.name) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += Number(k.kernelTimeMs);
    byName.set(k.name, entry);
  }
  return { count: launched.length, byName };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 15);
  const logger = new Logger({ quiet: true, format: 'text' });
  const backend = await prepareBackend('auto', true, logger);
  await enableFastKernels();
  // FUSED_EXCLUDE=SparsifySplitHeads,... leaves those kernels out of the new variant.
  const excluded = new Set((process.env.FUSED_EXCLUDE ?? '').split(',').filter(Boolean));
  fusedConfigs = tf.getKernelsForBackend('wasm').filter((k) => k.kernelName.startsWith('Sparsify'));
  for (const name of excluded) tf.unregisterKernel(name, 'wasm');
  fusedConfigs = fusedConfigs.filter((k) => !excluded.has(k.kernelName));
  if (excluded.size > 0) console.log(`new variant without ${[...excluded].join(', ')}`);
  const data = await demoBatches(logger, BATCHES, BATCH);
  const variants = [false, true] as const;
  const setups = CASES.map((c) => variants.map(() => demoTrainer(c.preset, c.epoch, data)));
  const firstLoss: number[][] = CASES.map(() => []);
  // Warm-up (kernels compiled, Adam's moments made); the first step's loss of each variant.
  for (const [i, pair] of setups.entries()) {
    for (const [v, fused] of variants.entries()) {
      await useFused(fused);
      firstLoss[i]![v] = pair[v]!.step().loss;
      pair[v]!.step();
    }
  }
  const walls: number[][][] = CASES.map(() => [[], []]);
  // CPU time of this process: on a loaded machine it counts the step's own work, not the
  // time it waited for a core (tfjs-backend-wasm runs on this one thread).
  const cpus: number[][][] = CASES.map(() => [[], []]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, pair] of setups.entries()) {
      // Alternate which variant goes first, so neither always follows the other.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const v of order) {
        await useFused(variants[v]!);
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        pair[v]!.step();
        walls[i]![v]!.push(performance.now() - start);
        const cpu = process.cpuUsage(cpuStart);
        cpus[i]![v]!.push((cpu.user + cpu.system) / 1000);
      }
    }
  }
  const kernels: number[][] = [];
  const denseByName: Array<Map<string, { count: number; ms: number }>> = [];
  for (const [i, pair] of setups.entries()) {
    const counts: number[] = [];
    for (const [v, fused] of variants.entries()) {
      await useFused(fused);
      const profile = await profileStep(pair[v]!.step);
      counts.push(profile.count);
      if (i === 0) denseByName.push(profile.byName);
    }
    kernels.push(counts);
  }
  for (const pair of setups) for (const s of pair) s.dispose();

  console.log(
    `backend ${backend.name}, tiny model, batch ${BATCH}, ${rounds} rounds alternating; old = fused kernels off, new = on\n`,
  );
  console.log(
    '| step | wall ms old | new | new/old | CPU ms old | new | new/old | kernels old | new | first-step loss old | new |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [i, c] of CASES.entries()) {
    const [old, neu] = walls[i]! as [number[], number[]];
    const ratios = old.map((o, r) => (neu[r] as number) / o);
    const [oldCpu, newCpu] = cpus[i]! as [number[], number[]];
    const cpuRatios = oldCpu.map((o, r) => (newCpu[r] as number) / o);
    console.log(
      `| ${c.name} | ${median(old).toFixed(1)} | ${median(neu).toFixed(1)} | ${median(ratios).toFixed(3)} | ${median(oldCpu).toFixed(1)} | ${median(newCpu).toFixed(1)} | ${median(cpuRatios).toFixed(3)} | ${kernels[i]![0]} | ${kernels[i]![1]} | ${firstLoss[i]![0]!.toPrecision(9)} | ${firstLoss[i]![1]!.toPrecision(9)} |`,
    );
  }
  const denseOld = median(walls[0]![0]!);
  const denseNew = median(walls[0]![1]!);
  const denseOldCpu = median(cpus[0]![0]!);
  const denseNewCpu = median(cpus[0]![1]!);
  console.log('\nsparse / dense, each variant (wall; CPU):');
  for (const [i, c] of CASES.entries()) {
    console.log(
      `| ${c.name} | old ${(median(walls[i]![0]!) / denseOld).toFixed(2)}; ${(median(cpus[i]![0]!) / denseOldCpu).toFixed(2)} | new ${(median(walls[i]![1]!) / denseNew).toFixed(2)}; ${(median(cpus[i]![1]!) / denseNewCpu).toFixed(2)} |`,
    );
  }
  console.log(
    '\nDense step, one profiled step per variant (profiling syncs after every kernel): count, ms',
  );
  console.log('| kernel | old | new |');
  console.log('|---|---:|---:|');
  const [oldNames, newNames] = denseByName as [
    Map<string, { count: number; ms: number }>,
    Map<string, { count: number; ms: number }>,
  ];
  const names = [...new Set([...oldNames.keys(), ...newNames.keys()])].sort(
    (a, b) =>
      Math.max(oldNames.get(b)?.ms ?? 0, newNames.get(b)?.ms ?? 0) -
      Math.max(oldNames.get(a)?.ms ?? 0, newNames.get(a)?.ms ?? 0),
  );
  const cell = (e: { count: number; ms: number } | undefined) =>
    e === undefined ? '-' : `${e.count}, ${e.ms.toFixed(1)}`;
  for (const name of names.slice(0, 18))
    console.log(`| ${name} | ${cell(oldNames.get(name))} | ${cell(newNames.get(name))} |`);
}

await main();
