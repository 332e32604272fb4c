/**
 * Forward and training-step times per preset on wasm, dense vs. a 50% input mask vs. a
 * reducer halving the tokens (vs. both), reported as ratios to dense in one run.
 * Run under the bench lock: `flock /tmp/bench.lock pnpm --filter @sparsify/amuse-encoder bench`.
 * Optional args: presets (comma list, default tiny,small,base) and rounds (default 5).
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import {
  type AmuseBatch,
  createAmuseModel,
  DEFAULT_INPUTS,
  describeModel,
  type ForwardOptions,
  type InputSpec,
  type PresetName,
  perSampleCrossEntropy,
} from '../src/index.js';
import { disposeBatch, randomBatch } from '../test/fixtures.js';
import { keepHalf, mergePairs } from './hooks.js';

interface Case {
  preset: PresetName;
  inputs: InputSpec;
  batch: number;
  train: boolean;
}

// The default inputs for all presets (5 frames 64x64, 5 fbank windows 64x64: 80 + 80 tokens),
// so the presets compare at equal input; base at batch 2 to keep the run short.
const CASES: Case[] = [
  { preset: 'tiny', batch: 8, train: true, inputs: DEFAULT_INPUTS },
  { preset: 'small', batch: 8, train: true, inputs: DEFAULT_INPUTS },
  { preset: 'base', batch: 2, train: true, inputs: DEFAULT_INPUTS },
];

const VARIANTS: { name: string; options: Omit<ForwardOptions, 'training'> }[] = [
  { name: 'dense', options: {} },
  { name: 'mask 50%', options: { masker: keepHalf } },
  { name: 'reduce 1/2', options: { reducer: mergePairs } },
  { name: 'mask + reduce', options: { masker: keepHalf, reducer: mergePairs } },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function elapsed(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

async function main(): Promise<void> {
  const presets = (process.argv[2] ?? 'tiny,small,base').split(',');
  const repetitions = Number(process.argv[3] ?? 5);
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(
    `backend ${tf.getBackend()}, median of ${repetitions} rounds after 1 warm-up; each round runs every variant once, so load drift hits all variants alike\n`,
  );
  console.log(
    '| preset | input tokens (v/a) | batch | variant | forward ms | ratio | train step ms | ratio |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const benchCase of CASES.filter((c) => presets.includes(c.preset))) {
    const model = createAmuseModel({ preset: benchCase.preset, inputs: benchCase.inputs });
    const description = describeModel(benchCase.preset, benchCase.inputs);
    const batch: AmuseBatch = randomBatch(benchCase.inputs, benchCase.batch);
    const labels = tf.tensor1d(
      Array.from({ length: benchCase.batch }, (_, i) => i % 42),
      'int32',
    );
    const optimizer = tf.train.adam(1e-4);
    const forward = (options: ForwardOptions) => () => {
      const { logits } = model.forward(batch, options);
      logits.dataSync();
      logits.dispose();
    };
    const trainStep = (options: ForwardOptions) => () => {
      const lossOf = () =>
        tf.mean(perSampleCrossEntropy(model.forward(batch, options).logits, labels)) as tf.Scalar;
      const loss = optimizer.minimize(lossOf, true, model.trainableVariables())!;
      loss.dataSync();
      loss.dispose();
    };
    const times = VARIANTS.map(() => ({ forward: [] as number[], train: [] as number[] }));
    // round 0 is the warm-up (kernel setup, Adam slots) and is not recorded
    for (let round = 0; round <= repetitions; round++) {
      for (const [i, variant] of VARIANTS.entries()) {
        const f = elapsed(forward({ ...variant.options, training: false }));
        const t = benchCase.train
          ? elapsed(trainStep({ ...variant.options, training: true }))
          : NaN;
        if (round > 0) {
          times[i]!.forward.push(f);
          times[i]!.train.push(t);
        }
      }
    }
    const denseForward = median(times[0]!.forward);
    const denseTrain = median(times[0]!.train);
    for (const [i, variant] of VARIANTS.entries()) {
      const f = median(times[i]!.forward);
      const t = median(times[i]!.train);
      const trainCells = benchCase.train
        ? `${t.toFixed(0)} | ${(t / denseTrain).toFixed(2)}`
        : '- | -';
      console.log(
        `| ${benchCase.preset} | ${description.tokens.video}/${description.tokens.audio} | ${benchCase.batch} | ${variant.name} | ${f.toFixed(0)} | ${(f / denseForward).toFixed(2)} | ${trainCells} |`,
      );
    }
    console.log(`\n${description.text}\n`);
    optimizer.dispose();
    labels.dispose();
    disposeBatch(batch);
    model.dispose();
  }
}

await main();
