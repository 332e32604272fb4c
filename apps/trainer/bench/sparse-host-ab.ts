/**
 * The sparse steps' host work, old vs new, alternating in one process (robust on a loaded
 * machine, where whole-step CPU times drift by 10-15% between runs of the same code):
 *   1. the masker (both streams' keep sets, plans and gathers, forward and backward, batch 8,
 *      80 tokens of width 64 per stream) with tfjs-backend-wasm's stock GatherV2 against
 *      @sparsify/tfjs-fast-kernels' GatherV2;
 *   2. the IQR merge plan (`computeMergePlan`, batch 8, keys of width 64, minKeep 0.25, as the
 *      trainer's preset) as of 29320b8 (a verbatim copy in iqr-token-merge's tests) against
 *      this one, at 80 tokens (merge only) and 40 (after masking). OLD_PLAN_CHECKOUT=<dir>
 *      takes the old side from another checkout's packages/iqr-token-merge/src/merge-plan.ts
 *      instead (pure JS, so both load in one process).
 * Prints the median CPU ms a call of each, the new/old ratio, and checks that both give the
 * same values (the gathered tokens, the plans).
 *   SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native \
 *     node --conditions=source --import tsx bench/sparse-host-ab.ts [rounds]
 */
import { resolve } from 'node:path';
import { computeMergePlan } from '@sparsify/iqr-token-merge';
import { createInputMasker } from '@sparsify/sparse-masking';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import { computeMergePlan as computeMergePlanReference } from '../../../packages/iqr-token-merge/test/reference-merge-plan.js';
import { prepareBackend } from '../src/commands/runtime.js';
import { Logger } from '../src/log/logger.js';
import { median } from './demo-batches.js';

const rounds = Number(process.argv[2] ?? 9);
const oldPlanCheckout = process.env.OLD_PLAN_CHECKOUT;
const computeMergePlanBefore: typeof computeMergePlan = oldPlanCheckout
  ? (await import(resolve(oldPlanCheckout, 'packages/iqr-token-merge/src/merge-plan.ts')))
      .computeMergePlan
  : computeMergePlanReference;
await prepareBackend('auto', true, new Logger({ quiet: true, format: 'text' }));
await enableFastKernels({ native: 'off' });

/** CPU ms a call of `f`, over `calls` calls after a warm-up. */
function cpuMs(f: () => void, calls: number): number {
  for (let i = 0; i < Math.ceil(calls / 5); i++) f();
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / calls;
}

function report(name: string, old: number[], neu: number[]): void {
  const ratios = old.map((o, i) => neu[i]! / o);
  console.log(
    `| ${name} | ${median(old).toFixed(3)} | ${median(neu).toFixed(3)} | ${median(ratios).toFixed(3)} |`,
  );
}

// 1. the masker with the stock GatherV2, then ours
const ours = tf.getKernel('GatherV2', 'wasm')!;
const fastReport = await enableFastKernels({ native: 'off' });
if (!fastReport.kernels.includes('GatherV2')) throw new Error('GatherV2 is not ours');
const { disableFastKernels } = await import('@sparsify/tfjs-fast-kernels');
disableFastKernels();
const stock = tf.getKernel('GatherV2', 'wasm')!;
await enableFastKernels({ native: 'off' });
const useGather = (config: tf.KernelConfig) => {
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel(config);
};
const masker = createInputMasker({});
const tokens = tf.variable(tf.randomNormal([8, 80, 64], 0, 1, 'float32', 1));
const layout = (stream: 'video' | 'audio') => ({ stream, timeSteps: 5, tokensPerStep: 16 });
let step = 0;
const maskStep = () => {
  const { value, grads } = tf.variableGrads(() => {
    const masked = masker.maskInputs(
      {
        video: { tokens: tokens as tf.Tensor3D, layout: layout('video') },
        audio: { tokens: tokens as tf.Tensor3D, layout: layout('audio') },
      },
      { training: true, epoch: 0, step: step++ },
    )!;
    return tf.add(tf.sum(masked.video.tokens), tf.sum(tf.square(masked.audio.tokens))) as tf.Scalar;
  });
  tf.dispose([value, ...Object.values(grads)]);
};
const gradientWith = (config: tf.KernelConfig) => {
  useGather(config);
  step = 0;
  const { grads } = tf.variableGrads(() => {
    const masked = masker.maskInputs(
      {
        video: { tokens: tokens as tf.Tensor3D, layout: layout('video') },
        audio: { tokens: tokens as tf.Tensor3D, layout: layout('audio') },
      },
      { training: true, epoch: 0, step: 7 },
    )!;
    return tf.add(tf.sum(masked.video.tokens), tf.sum(tf.square(masked.audio.tokens))) as tf.Scalar;
  });
  const values = Array.from(Object.values(grads)[0]!.dataSync());
  tf.dispose(Object.values(grads));
  return values;
};
const sameGradient = JSON.stringify(gradientWith(stock)) === JSON.stringify(gradientWith(ours));

// 2. the merge plan
const planInput = (tokenCount: number) => {
  let state = tokenCount;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  return {
    batchSize: 8,
    tokenCount,
    keyDim: 64,
    scores: Float32Array.from({ length: 8 * tokenCount }, random),
    keys: Float32Array.from({ length: 8 * tokenCount * 64 }, () => random() - 0.5),
  };
};
const planOptions = { minKeep: 0.25 };
const inputs = { 80: planInput(80), 40: planInput(40) };
const samePlans = ([80, 40] as const).every(
  (n) =>
    JSON.stringify(computeMergePlan(inputs[n], planOptions)) ===
    JSON.stringify(computeMergePlanBefore(inputs[n], planOptions)),
);

const times = {
  masker: { old: [] as number[], neu: [] as number[] },
  plan80: { old: [] as number[], neu: [] as number[] },
  plan40: { old: [] as number[], neu: [] as number[] },
};
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? (['old', 'neu'] as const) : (['neu', 'old'] as const);
  for (const side of order) {
    useGather(side === 'old' ? stock : ours);
    times.masker[side].push(cpuMs(maskStep, 40));
    const plan = side === 'old' ? computeMergePlanBefore : computeMergePlan;
    times.plan80[side].push(cpuMs(() => plan(inputs[80], planOptions), 100));
    times.plan40[side].push(cpuMs(() => plan(inputs[40], planOptions), 200));
  }
}
useGather(ours);
console.log(`merge plan, old side: ${oldPlanCheckout ?? 'reference-merge-plan.ts (29320b8)'}`);
console.log(
  `${rounds} rounds, alternating; load average (1 min) ${(await import('node:os')).loadavg()[0]!.toFixed(1)}\n`,
);
console.log('| host work | old CPU ms a call | new | new/old |');
console.log('|---|---:|---:|---:|');
report(
  'masker, both streams, forward + backward (stock vs fast GatherV2)',
  times.masker.old,
  times.masker.neu,
);
report('merge plan, B 8, N 80 (merge only)', times.plan80.old, times.plan80.neu);
report('merge plan, B 8, N 40 (after masking)', times.plan40.old, times.plan40.neu);
console.log(`\nsame gradient through the masker: ${sameGradient}; same plans: ${samePlans}`);
