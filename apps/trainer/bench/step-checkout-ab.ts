/**
 * Training-step CPU time of two checkouts of this repository, old vs new, on the default
 * path (tfjs-backend-wasm + tfjs-fast-kernels): for changes that cannot be switched off at
 * run time in one process (encoder and engine code), each round runs one process per
 * checkout, alternating which goes first, and each process times `steps` steps of every case
 * (dense, masked, merge only; tiny model, batch 8, the demo's batches, the same seed) by the
 * process's CPU time, the cases taking turns step by step (SEQUENTIAL=1: each case's steps
 * back to back). Prints the median CPU ms a step per checkout, the median over rounds of
 * the per-round new/old ratio, the same for wall time, kernels per step, and the first
 * losses of each case, which must agree to float rounding.
 *   node --conditions=source --import tsx bench/step-checkout-ab.ts <old checkout> <new checkout> [rounds] [steps]
 * The old checkout needs its own `pnpm install` (git worktree add /work/old <commit>).
 * ENGINES=<old>,<new> picks each side's StepEngine (default as-is,as-is): e.g.
 * `ENGINES=wasm,wasm-fma` with this checkout on both sides times the FMA SIMD build
 * against the stock one.
 */
import { resolve } from 'node:path';
import {
  BATCH,
  CASES,
  type ChildResult,
  LOSS_STEPS,
  runStepChild,
  type StepEngine,
} from './trainer-step-child.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const [oldRoot, newRoot] = [resolve(process.argv[2]!), resolve(process.argv[3]!)];
  const rounds = Number(process.argv[4] ?? 6);
  const steps = Number(process.argv[5] ?? 8);
  const roots = [oldRoot, newRoot];
  const engines = (process.env.ENGINES ?? 'as-is,as-is').split(',') as StepEngine[];
  const perRound: number[][][] = []; // [round][checkout][case] median CPU ms
  const wallPerRound: number[][][] = []; // the same, wall ms
  let last: ChildResult[] = [];
  const loads: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    const results: ChildResult[] = [];
    for (const v of order)
      results[v] = runStepChild(roots[v]!, steps, {
        sequential: Boolean(process.env.SEQUENTIAL),
        engine: engines[v] ?? 'as-is',
      });
    loads.push(Number((await import('node:os')).loadavg()[0]));
    perRound.push(results.map((r) => r.cpuMs.map(median)));
    wallPerRound.push(results.map((r) => r.wallMs.map(median)));
    last = results;
    console.error(
      `round ${round + 1}/${rounds}: ${CASES.map((c, i) => `${c.name} ${perRound[round]![0]![i]!.toFixed(1)} -> ${perRound[round]![1]![i]!.toFixed(1)}`).join('; ')}`,
    );
  }
  console.log(
    `old ${oldRoot} (${engines[0] ?? 'as-is'}), new ${newRoot} (${engines[1] ?? 'as-is'}); ${rounds} rounds x ${steps} steps a case a process (${process.env.SEQUENTIAL ? 'each case back to back' : 'cases taking turns'}), tiny model, batch ${BATCH}; load average (1 min) after each round: ${loads.map((l) => l.toFixed(1)).join(', ')}\n`,
  );
  console.log(
    '| step | CPU ms old | new | new/old | wall ms old | new | new/old | kernels old | new |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [i, c] of CASES.entries()) {
    const cells = (table: number[][][]) => {
      const old = table.map((r) => r[0]![i]!);
      const neu = table.map((r) => r[1]![i]!);
      const ratio = table.map((r) => r[1]![i]! / r[0]![i]!);
      return `${median(old).toFixed(1)} | ${median(neu).toFixed(1)} | ${median(ratio).toFixed(3)}`;
    };
    console.log(
      `| ${c.name} | ${cells(perRound)} | ${cells(wallPerRound)} | ${last[0]!.kernels[i]} | ${last[1]!.kernels[i]} |`,
    );
  }
  console.log('\nsparse / dense (median of the per-round ratios):');
  console.log('| step | CPU old | new | wall old | new |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [i, c] of CASES.entries()) {
    if (i === 0) continue;
    const of = (table: number[][][], v: number) =>
      median(table.map((r) => r[v]![i]! / r[v]![0]!)).toFixed(3);
    console.log(
      `| ${c.name} | ${of(perRound, 0)} | ${of(perRound, 1)} | ${of(wallPerRound, 0)} | ${of(wallPerRound, 1)} |`,
    );
  }
  console.log(`\nfirst ${LOSS_STEPS} losses (fixed seed):`);
  for (const [i, c] of CASES.entries()) {
    const show = (v: number) => last[v]!.losses[i]!.map((l) => l.toPrecision(9)).join(', ');
    console.log(`| ${c.name} | old ${show(0)} | new ${show(1)} |`);
  }
}

await main();
