/**
 * Training-step CPU time of two checkouts of this repository, old vs new, on the default
 * path (tfjs-backend-wasm + tfjs-fast-kernels): for changes that cannot be switched off at
 * run time in one process (encoder and engine code), each round runs one process per
 * checkout, alternating which goes first, and each process times `steps` steps of every case
 * (dense, masked, merge only; tiny model, batch 8, the demo's batches, the same seed) by the
 * process's CPU time, the cases taking turns step by step (SEQUENTIAL=1: each case's steps
 * back to back). Prints the median CPU ms a step per checkout, the median over rounds of
 * the per-round new/old ratio, kernels per step, and the first losses of each case, which
 * must agree to float rounding.
 *   node --conditions=source --import tsx bench/step-checkout-ab.ts <old checkout> <new checkout> [rounds] [steps]
 * The old checkout needs its own `pnpm install` (git worktree add /work/old <commit>).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const BATCH = 8;
const BATCHES = 16;
const LOSS_STEPS = 4;

const CASES = [
  { name: 'dense', preset: 'dense', epoch: 0 },
  { name: 'masked (mask + merge)', preset: 'sparsify', epoch: 0 },
  { name: 'merge only', preset: 'sparsify', epoch: 3 },
] as const;

interface ChildResult {
  cpuMs: number[][];
  kernels: number[];
  losses: number[][];
}

/** One process: every case of `root`'s code, `steps` timed steps each, interleaved. */
async function child(root: string, steps: number): Promise<ChildResult> {
  const src = `${root}/apps/trainer/src`;
  const tf = createRequire(`${root}/apps/trainer/package.json`)('@tensorflow/tfjs');
  const { prepareBackend } = await import(`${src}/commands/runtime.js`);
  const { resolveTrainConfig } = await import(`${src}/config/train-config.js`);
  const { Logger } = await import(`${src}/log/logger.js`);
  const { SparsifiedAmuse } = await import(`${src}/pipeline/amuse-model.js`);
  const { FlatAdam } = await import(`${src}/train/flat-adam.js`);
  const { trainStep } = await import(`${src}/train/train-loop.js`);
  const { demoBatches } = await import(`${root}/apps/trainer/bench/demo-batches.js`);
  const logger = new Logger({ quiet: true, format: 'text' });
  await prepareBackend('auto', true, logger);
  const data = await demoBatches(logger, BATCHES, BATCH);
  const weights = new Float32Array(BATCH).fill(1);
  const setups = CASES.map((c) => {
    const config = resolveTrainConfig({ preset: c.preset });
    const model = new SparsifiedAmuse(config, data.inputs);
    const optimizer = new FlatAdam(config.lr);
    let step = 0;
    return () =>
      trainStep(model, optimizer, data.batches[step % data.batches.length], weights, {
        training: true,
        epoch: c.epoch,
        step: step++,
      }).loss as number;
  });
  // The first losses of a fixed-seed run (also the warm-up).
  const losses = setups.map((step) => Array.from({ length: LOSS_STEPS }, () => step()));
  const cpuMs: number[][] = CASES.map(() => []);
  const timed = (i: number) => {
    const start = process.cpuUsage();
    setups[i]!();
    const used = process.cpuUsage(start);
    cpuMs[i]!.push((used.user + used.system) / 1000);
  };
  if (process.env.SEQUENTIAL) {
    // Each case's steps back to back, as one training run alone would take them.
    for (const i of setups.keys()) for (let s = 0; s < steps; s++) timed(i);
  } else {
    // Round robin, as the demo's runs taking turns do.
    for (let s = 0; s < steps; s++) for (const i of setups.keys()) timed(i);
  }
  const kernels: number[] = [];
  for (const step of setups) {
    const info = await tf.profile(() => {
      step();
    });
    kernels.push(
      info.kernels.filter(
        (k: { name: string }) => k.name !== 'unnamed scope' && !k.name.endsWith('__op'),
      ).length,
    );
  }
  return { cpuMs, kernels, losses };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function runChild(root: string, steps: number): ChildResult {
  const out = execFileSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      new URL(import.meta.url).pathname,
      '--child',
      root,
      String(steps),
    ],
    { cwd: `${root}/apps/trainer`, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no result from the child for ${root}:\n${out}`);
  return JSON.parse(line) as ChildResult;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const result = await child(process.argv[3]!, Number(process.argv[4]));
    console.log(JSON.stringify(result));
    return;
  }
  const [oldRoot, newRoot] = [resolve(process.argv[2]!), resolve(process.argv[3]!)];
  const rounds = Number(process.argv[4] ?? 6);
  const steps = Number(process.argv[5] ?? 8);
  const roots = [oldRoot, newRoot];
  const perRound: number[][][] = []; // [round][checkout][case] median CPU ms
  let last: ChildResult[] = [];
  const loads: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    const results: ChildResult[] = [];
    for (const v of order) results[v] = runChild(roots[v]!, steps);
    loads.push(Number((await import('node:os')).loadavg()[0]));
    perRound.push(results.map((r) => r.cpuMs.map(median)));
    last = results;
    console.error(
      `round ${round + 1}/${rounds}: ${CASES.map((c, i) => `${c.name} ${perRound[round]![0]![i]!.toFixed(1)} -> ${perRound[round]![1]![i]!.toFixed(1)}`).join('; ')}`,
    );
  }
  console.log(
    `old ${oldRoot}, new ${newRoot}; ${rounds} rounds x ${steps} steps a case a process (${process.env.SEQUENTIAL ? 'each case back to back' : 'cases taking turns'}), tiny model, batch ${BATCH}; load average (1 min) after each round: ${loads.map((l) => l.toFixed(1)).join(', ')}\n`,
  );
  console.log('| step | CPU ms old | new | new/old | kernels old | new |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [i, c] of CASES.entries()) {
    const old = perRound.map((r) => r[0]![i]!);
    const neu = perRound.map((r) => r[1]![i]!);
    const ratio = perRound.map((r) => r[1]![i]! / r[0]![i]!);
    console.log(
      `| ${c.name} | ${median(old).toFixed(1)} | ${median(neu).toFixed(1)} | ${median(ratio).toFixed(3)} | ${last[0]!.kernels[i]} | ${last[1]!.kernels[i]} |`,
    );
  }
  console.log('\nsparse / dense (CPU, median of the per-round ratios):');
  for (const [i, c] of CASES.entries()) {
    if (i === 0) continue;
    const of = (v: number) => median(perRound.map((r) => r[v]![i]! / r[v]![0]!)).toFixed(3);
    console.log(`| ${c.name} | old ${of(0)} | new ${of(1)} |`);
  }
  console.log(`\nfirst ${LOSS_STEPS} losses (fixed seed):`);
  for (const [i, c] of CASES.entries()) {
    const show = (v: number) => last[v]!.losses[i]!.map((l) => l.toPrecision(9)).join(', ');
    console.log(`| ${c.name} | old ${show(0)} | new ${show(1)} |`);
  }
}

await main();
