/**
 * Where one training step of the demo's model spends its time, dense vs. Sparsify: kernels
 * launched per step, kernel time, wall time, and kernel time per group of ops. Kernel counts
 * are exact on any machine; the times are the median of `rounds` steps. It shows why a
 * step with an eighth of the tokens still costs more than half a dense step: the number of
 * kernels does not shrink with the tokens, and at this model size each kernel's fixed
 * dispatch cost, not its arithmetic, is most of the step.
 *   pnpm --filter @sparsify/trainer bench [-- rounds]
 * Run it alone on the machine (flock /tmp/bench.lock) for times worth writing down.
 */
import type { InputSpec } from '@sparsify/amuse-encoder';
import { fastKernelsStatus } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import { prepareBackend } from '../src/commands/runtime.js';
import { PRESET_MERGE } from '../src/config/sparsity-presets.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { Logger } from '../src/log/logger.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import type { ArrayBatch } from '../src/pipeline/types.js';
import { FlatAdam } from '../src/train/flat-adam.js';
import { trainStep } from '../src/train/train-loop.js';
import { demoBatches, median } from './demo-batches.js';

const BATCH = 8;
const BATCHES = 16;

interface Case {
  name: string;
  preset: 'dense' | 'sparsify';
  /** Epoch 0 is inside the paper's masking window (epochs 0-2); epoch 3 is past it. */
  epoch: number;
  /** Merge after this block instead of the preset's (block 1). */
  mergeBlock?: number;
}

const CASES: Case[] = [
  { name: 'dense', preset: 'dense', epoch: 0 },
  { name: 'Sparsify, masked epoch (mask + merge)', preset: 'sparsify', epoch: 0 },
  { name: 'Sparsify, later epoch (merge only)', preset: 'sparsify', epoch: 3 },
  // Not the preset: what merging one block earlier would save (its accuracy is unmeasured).
  {
    name: 'the same, merging after block 0: masked epoch',
    preset: 'sparsify',
    epoch: 0,
    mergeBlock: 0,
  },
  {
    name: 'the same, merging after block 0: later epoch',
    preset: 'sparsify',
    epoch: 3,
    mergeBlock: 0,
  },
];

/** tf.customGrad ops (ours, and tfjs ops built on it such as logSoftmax) profile as scopes. */
function isCustomGradientOp(name: string): boolean {
  return name === 'unnamed scope' || name.endsWith('__op');
}

/** Coarse groups, so the table says what kind of work the time goes to. */
function kernelGroup(name: string): string {
  if (/^(BatchMatMul|_FusedMatMul|MatMul|Einsum)$/.test(name)) return 'matmul';
  if (
    /^(Add|AddN|Sub|Multiply|RealDiv|Div|Maximum|Minimum|Neg|Sqrt|Rsqrt|Square|SquaredDifference|Exp|Log|Pow|Erf|Tanh|Sigmoid|Relu|Step|Cast|Greater|GreaterEqual|Less|LessEqual|Equal|NotEqual|Select|LogicalAnd|LogicalNot|ZerosLike|OnesLike|Fill|Abs|Sign|Floor|Reciprocal)$/.test(
      name,
    )
  )
    return 'elementwise';
  if (/^(Sum|Mean|Max|Min|Prod|ArgMax|ArgMin|Softmax|LogSoftmax|Cumsum|TopK)$/.test(name))
    return 'reduce / softmax';
  if (
    /^(Reshape|Transpose|Slice|StridedSlice|Concat|Pack|Unpack|Tile|Identity|ExpandDims|Squeeze|Pad|MirrorPad|BroadcastTo|Reverse|SplitV)$/.test(
      name,
    )
  )
    return 'layout';
  if (/^(Gather|GatherV2|GatherNd|ScatterNd|UnsortedSegmentSum|SparseToDense|OneHot)$/.test(name))
    return 'gather / scatter';
  return 'other';
}

/** Adam's update alone, on gradients of ones: the same work whatever the tokens. */
async function profileOptimizer(
  model: SparsifiedAmuse,
  optimizer: tf.Optimizer,
  rounds: number,
): Promise<Profile['adam']> {
  const grads: tf.NamedTensorMap = {};
  for (const variable of model.parameters.values()) grads[variable.name] = tf.onesLike(variable);
  const walls: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    optimizer.applyGradients(grads);
    // Adam's new values are ready once one is read; reading the last variable waits for all.
    [...model.parameters.values()].at(-1)?.dataSync();
    walls.push(performance.now() - start);
  }
  const info = await tf.profile(() => optimizer.applyGradients(grads));
  tf.dispose(Object.values(grads));
  const launched = info.kernels.filter((k) => !isCustomGradientOp(k.name));
  return { kernels: launched.length, wallMs: median(walls), parameters: model.parameters.size };
}

interface Profile {
  /** The trainer's Adam (FlatAdam) alone over all `parameters` tensors. */
  adam: { kernels: number; wallMs: number; parameters: number };
  /** tf.train.adam on the same parameters, for comparison (dense case only). */
  stockAdam?: { kernels: number; wallMs: number; parameters: number };
  kernels: number;
  kernelMs: number;
  wallMs: number;
  tokens: string;
  groups: Map<string, { count: number; ms: number }>;
}

interface Setup {
  model: SparsifiedAmuse;
  optimizer: FlatAdam;
  step: () => ReturnType<typeof trainStep>;
}

function setUp(benchCase: Case, data: { batches: ArrayBatch[]; inputs: InputSpec }): Setup {
  const config = resolveTrainConfig({
    preset: benchCase.preset,
    ...(benchCase.mergeBlock === undefined
      ? {}
      : { merge: { ...PRESET_MERGE, block: benchCase.mergeBlock } }),
  });
  const model = new SparsifiedAmuse(config, data.inputs);
  const optimizer = new FlatAdam(config.lr);
  const weights = new Float32Array(BATCH).fill(1);
  let step = 0;
  return {
    model,
    optimizer,
    // Every case sees the same batch in the same round.
    step: () =>
      trainStep(model, optimizer, data.batches[step % data.batches.length]!, weights, {
        training: true,
        epoch: benchCase.epoch,
        step: step++,
      }),
  };
}

/**
 * Each round steps every case once, so drifting load on a shared machine hits all cases
 * alike; the ratios are what to read.
 */
async function profileCases(
  rounds: number,
  data: { batches: ArrayBatch[]; inputs: InputSpec },
): Promise<Profile[]> {
  const setups = CASES.map((benchCase) => setUp(benchCase, data));
  // Warm-up: compile kernels, create Adam's moments.
  for (const setup of setups) for (let i = 0; i < 2; i++) setup.step();

  const walls: number[][] = setups.map(() => []);
  for (let round = 0; round < rounds; round++) {
    setups.forEach((setup, i) => {
      const start = performance.now();
      setup.step();
      walls[i]!.push(performance.now() - start);
    });
  }
  const profiles: Profile[] = [];
  for (const [i, setup] of setups.entries()) {
    // Profiling syncs after every kernel, so wall time is measured above without it.
    // tf.profile returns one shared object that the next call resets: read it at once.
    const kernelTimes: number[] = [];
    let kernels = 0;
    let tokens = '';
    const groups = new Map<string, { count: number; ms: number }>();
    for (let round = 0; round < rounds; round++) {
      const info = await tf.profile(() => {
        const outcome = setup.step();
        tokens = `${outcome.tokens.videoKept.toFixed(0)} + ${outcome.tokens.audioKept.toFixed(0)}`;
      });
      // A custom-gradient op is profiled as one entry whose time covers its inner kernels,
      // which are profiled too: count and time only the inner ones.
      const launched = info.kernels.filter((k) => !isCustomGradientOp(k.name));
      kernels = launched.length;
      kernelTimes.push(launched.reduce((sum, k) => sum + Number(k.kernelTimeMs), 0));
      for (const kernel of launched) {
        const group = groups.get(kernelGroup(kernel.name)) ?? { count: 0, ms: 0 };
        group.count += 1 / rounds;
        group.ms += Number(kernel.kernelTimeMs) / rounds;
        groups.set(kernelGroup(kernel.name), group);
      }
    }
    let stockAdam: Profile['stockAdam'];
    if (i === 0) {
      const stock = tf.train.adam(setup.optimizer.learningRate);
      stockAdam = await profileOptimizer(setup.model, stock, rounds);
      stock.dispose();
    }
    profiles.push({
      stockAdam,
      adam: await profileOptimizer(setup.model, setup.optimizer, rounds),
      kernels,
      kernelMs: median(kernelTimes),
      wallMs: median(walls[i]!),
      tokens,
      groups,
    });
    setup.optimizer.dispose();
    setup.model.dispose();
  }
  return profiles;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 15);
  const logger = new Logger({ quiet: true, format: 'text' });
  const backend = await prepareBackend('auto', true, logger);
  const data = await demoBatches(logger, BATCHES, BATCH);
  console.log(
    `backend ${backend.name} (matmul: ${fastKernelsStatus()?.matmulEngine ?? 'stock'}), tiny model, batch ${BATCH} (the demo's first ${BATCHES} training batches in turn), ${data.inputs.video.timeSteps} frames + ${data.inputs.audio.timeSteps} fbank windows; median of ${rounds} steps\n`,
  );
  const profiles = await profileCases(rounds, data);
  const results = CASES.map((benchCase, i): [Case, Profile] => [benchCase, profiles[i]!]);
  const dense = results[0]![1];

  console.log(
    '| step | tokens after level 1-2 (v + a) | kernels | ratio | kernel ms | ratio | wall ms | ratio |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const [benchCase, p] of results) {
    console.log(
      `| ${benchCase.name} | ${p.tokens} | ${p.kernels} | ${(p.kernels / dense.kernels).toFixed(2)} | ${p.kernelMs.toFixed(1)} | ${(p.kernelMs / dense.kernelMs).toFixed(2)} | ${p.wallMs.toFixed(1)} | ${(p.wallMs / dense.wallMs).toFixed(2)} |`,
    );
  }
  console.log(
    `| of which Adam's update (FlatAdam, ${dense.adam.parameters} tensors) | | ${dense.adam.kernels} | ${(dense.adam.kernels / dense.kernels).toFixed(2)} | | | ${dense.adam.wallMs.toFixed(1)} | ${(dense.adam.wallMs / dense.wallMs).toFixed(2)} |`,
  );
  if (dense.stockAdam) {
    console.log(
      `| tf.train.adam's update instead (not used; same values) | | ${dense.stockAdam.kernels} | | | | ${dense.stockAdam.wallMs.toFixed(1)} | |`,
    );
  }
  const names = [...new Set(results.flatMap(([, p]) => [...p.groups.keys()]))].sort();
  console.log(`\nKernels (count, ms) per group, mean of the profiled steps:\n`);
  console.log(`| group | ${results.map(([c]) => c.name).join(' | ')} |`);
  console.log(`|---|${results.map(() => '---:').join('|')}|`);
  for (const name of names) {
    const cells = results.map(([, p]) => {
      const g = p.groups.get(name) ?? { count: 0, ms: 0 };
      return `${g.count.toFixed(0)}, ${g.ms.toFixed(1)}`;
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
}

await main();
