/**
 * Training-step time on tfjs-fast-kernels' native addon against the wasm default, in one
 * process: every round steps each case once per variant (order alternating), so drifting
 * load on a shared machine hits all variants alike.
 *   wasm                   XNNPACK matmuls, fused kernels as wasm SIMD (the default without the addon)
 *   native BLAS, wasm fused    the addon's matmuls, fused kernels as wasm SIMD (nativeFused: false)
 *   native BLAS + fused    the addon's matmuls and fused kernels (the default with the addon)
 * Each variant has its own model from the same seed and gets the same batch in the same round.
 * Prints medians of wall and process CPU time (all threads), the median of per-round
 * ratios to `wasm`, sparse/dense per variant, the first-step losses, and the load average.
 * Needs the addon (`pnpm --filter @sparsify/tfjs-fast-kernels build:native`).
 *   node --conditions=source --import tsx bench/native-ab.ts [rounds]
 */
import { loadavg } from 'node:os';
import { enableFastKernels, type FastKernelsOptions } from '@sparsify/tfjs-fast-kernels';
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

const VARIANTS: Array<{ name: string; options: FastKernelsOptions }> = [
  { name: 'wasm', options: { native: 'off' } },
  { name: 'native BLAS, wasm fused', options: { native: 'require', nativeFused: false } },
  { name: 'native BLAS + fused', options: { native: 'require' } },
];

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 11);
  const logger = new Logger({ quiet: true, format: 'text' });
  const backend = await prepareBackend('wasm', true, logger);
  const report = await enableFastKernels({ native: 'require' });
  const data = await demoBatches(logger, BATCHES, BATCH);
  const setups = CASES.map(() => VARIANTS.map(() => null as ReturnType<typeof demoTrainer> | null));
  const firstLoss: number[][] = CASES.map(() => []);
  for (const [i, c] of CASES.entries()) {
    for (const [v, variant] of VARIANTS.entries()) {
      await enableFastKernels(variant.options);
      const s = demoTrainer(c.preset, c.epoch, data);
      setups[i]![v] = s;
      firstLoss[i]![v] = s.step().loss;
      s.step();
    }
  }
  const loadBefore = loadavg()[0] as number;
  const walls: number[][][] = CASES.map(() => VARIANTS.map(() => []));
  const cpus: number[][][] = CASES.map(() => VARIANTS.map(() => []));
  for (let round = 0; round < rounds; round++) {
    for (const [i] of CASES.entries()) {
      const order = VARIANTS.map((_, v) => v);
      if (round % 2 === 1) order.reverse();
      for (const v of order) {
        await enableFastKernels(VARIANTS[v]!.options);
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        setups[i]![v]!.step();
        walls[i]![v]!.push(performance.now() - start);
        const cpu = process.cpuUsage(cpuStart);
        cpus[i]![v]!.push((cpu.user + cpu.system) / 1000);
      }
    }
  }
  const loadAfter = loadavg()[0] as number;
  for (const row of setups) for (const s of row) s?.dispose();

  console.log(
    `backend ${backend.name}, tiny model, batch ${BATCH}, ${rounds} rounds alternating; addon threads ${report.native.threads}, fused kernels ${report.native.kernelVariant}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after\n`,
  );
  const header = VARIANTS.map((v) => v.name);
  console.log(
    `| step | ${header.map((h) => `wall ms ${h}`).join(' | ')} | ${header.map((h) => `CPU ms ${h}`).join(' | ')} | ${header
      .slice(1)
      .map((h) => `wall ${h} / wasm`)
      .join(' | ')} | ${header
      .slice(1)
      .map((h) => `CPU ${h} / wasm`)
      .join(' | ')} | first-step loss per variant |`,
  );
  console.log(`|---|${'---:|'.repeat(4 * VARIANTS.length - 2)}---|`);
  for (const [i, c] of CASES.entries()) {
    const ratio = (of: number[][][], v: number) =>
      median(of[i]![v]!.map((x, r) => x / (of[i]![0]![r] as number))).toFixed(3);
    console.log(
      `| ${c.name} | ${VARIANTS.map((_, v) => median(walls[i]![v]!).toFixed(1)).join(' | ')} | ${VARIANTS.map((_, v) => median(cpus[i]![v]!).toFixed(1)).join(' | ')} | ${VARIANTS.slice(
        1,
      )
        .map((_, v) => ratio(walls, v + 1))
        .join(' | ')} | ${VARIANTS.slice(1)
        .map((_, v) => ratio(cpus, v + 1))
        .join(' | ')} | ${firstLoss[i]!.map((l) => l.toPrecision(9)).join(', ')} |`,
    );
  }
  console.log('\nsparse / dense per variant (wall; CPU):');
  for (const [i, c] of CASES.entries()) {
    if (i === 0) continue;
    console.log(
      `| ${c.name} | ${VARIANTS.map(
        (variant, v) =>
          `${variant.name} ${(median(walls[i]![v]!) / median(walls[0]![v]!)).toFixed(2)}; ${(median(cpus[i]![v]!) / median(cpus[0]![v]!)).toFixed(2)}`,
      ).join(' | ')} |`,
    );
  }
}

await main();
