/**
 * One process timing the trainer's step for the three cases of the step benchmarks (dense,
 * masked = mask + merge, merge only; tiny model, batch 8, the demo's batches, the same seed),
 * running the code of the checkout `root` (its apps/trainer sources, its backend set-up).
 * Shared by bench/step-checkout-ab.ts (two checkouts) and bench/torch-anchor-ab.ts (this
 * checkout against PyTorch): `runStepChild` starts this file as a child process, which runs
 * `stepChild` and prints its result as one JSON line. WARMUP_STEPS=<n> adds n untimed steps
 * a case after the first losses (default 0).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const BATCH = 8;
const BATCHES = 16;
export const LOSS_STEPS = 4;

export const CASES = [
  { name: 'dense', preset: 'dense', epoch: 0 },
  { name: 'masked (mask + merge)', preset: 'sparsify', epoch: 0 },
  { name: 'merge only', preset: 'sparsify', epoch: 3 },
] as const;

/**
 * Which matmul/fused path the child runs: `as-is` = whatever the checkout's backend set-up
 * picks (an old checkout may not know the options below); `wasm` = the addon off even if it
 * is built (an old checkout's loader falls back to its native/build even with
 * SPARSIFY_NATIVE_DIR set);
 * `native` = the addon required; `wasm-fma` = `wasm` with the FMA build of the SIMD kernels
 * (the child sets V8's relaxed-SIMD flag, as SPARSIFY_WASM_FMA=1 does; this checkout only).
 */
export type StepEngine = 'as-is' | 'wasm' | 'native' | 'wasm-fma';

export interface StepChildOptions {
  /** Each case's steps back to back instead of the cases taking turns step by step. */
  sequential?: boolean;
  engine?: StepEngine;
  /** Environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface ChildResult {
  /** [case][step] process CPU ms (all threads). */
  cpuMs: number[][];
  /** [case][step] wall ms. */
  wallMs: number[][];
  kernels: number[];
  losses: number[][];
  /** What ran the matmuls and fused kernels, when `engine` was not `as-is`. */
  engine?: { matmul: string; fused: string; threads?: number; simdBuild?: string };
}

/** One process: every case of `root`'s code, `steps` timed steps each. */
async function stepChild(
  root: string,
  steps: number,
  sequential: boolean,
  engine: StepEngine,
): Promise<ChildResult> {
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
  let ran: ChildResult['engine'];
  if (engine !== 'as-is') {
    const { enableFastKernels } = await import(`${root}/packages/tfjs-fast-kernels/src/enable.js`);
    if (engine === 'wasm-fma') (await import(`${src}/wasm-fma.js`)).allowRelaxedSimd();
    const report = await enableFastKernels({
      native: engine === 'native' ? 'require' : 'off',
      ...(engine === 'wasm-fma' ? { fma: 'require' } : {}),
    });
    // The wasm module's XNNPACK threads (SPARSIFY_WASM_THREADS), on checkouts that have them.
    const fast = await import(`${root}/packages/tfjs-fast-kernels/src/index.js`);
    const wasmThreads = fast.wasmThreadsStatus?.().threads ?? undefined;
    ran = {
      matmul: report.matmulEngine,
      fused: report.fusedEngine,
      threads: engine === 'native' ? report.native.threads : (wasmThreads ?? 1),
      simdBuild: report.simdBuild,
    };
  }
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
  // WARMUP_STEPS=<n>: n more untimed steps a case (taking turns) before timing. V8 keeps
  // re-optimising tfjs' hot functions for ~100 steps (docs/notebook/2026-12-05-step-js-cost.md);
  // the default 0 keeps the figures comparable with earlier runs.
  const warmup = Number(process.env.WARMUP_STEPS ?? 0);
  for (let s = 0; s < warmup; s++) for (const step of setups) step();
  const cpuMs: number[][] = CASES.map(() => []);
  const wallMs: number[][] = CASES.map(() => []);
  const timed = (i: number) => {
    const start = process.cpuUsage();
    const wallStart = performance.now();
    setups[i]!();
    const wall = performance.now() - wallStart;
    const used = process.cpuUsage(start);
    cpuMs[i]!.push((used.user + used.system) / 1000);
    wallMs[i]!.push(wall);
  };
  if (sequential) {
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
  return { cpuMs, wallMs, kernels, losses, ...(ran ? { engine: ran } : {}) };
}

/** Runs `stepChild` for checkout `root` in a fresh process and returns its result. */
export function runStepChild(
  root: string,
  steps: number,
  options: StepChildOptions = {},
): ChildResult {
  const out = execFileSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--child',
      root,
      String(steps),
      options.sequential ? 'sequential' : 'turns',
      options.engine ?? 'as-is',
    ],
    {
      cwd: `${root}/apps/trainer`,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      env: options.env ?? process.env,
    },
  );
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no result from the child for ${root}:\n${out}`);
  return JSON.parse(line) as ChildResult;
}

if (process.argv[2] === '--child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const [root, steps, order, engine] = process.argv.slice(3);
  const result = await stepChild(
    root!,
    Number(steps),
    order === 'sequential',
    (engine ?? 'as-is') as StepEngine,
  );
  console.log(JSON.stringify(result));
}
