/**
 * Forward and training-step times per preset on wasm, dense vs. a 50% input mask vs. a
 * reducer halving the tokens (vs. both), reported as ratios to dense in one run.
 * Run under the bench lock: `flock /tmp/bench.lock pnpm --filter @sparsify/amuse-encoder bench`.
 * Optional args: presets (comma list, default tiny,small,base) and repetitions (default 3).
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

function time(repetitions: number, run: () => void): number {
  run(); // warm-up: kernel setup, Adam slots
  const times: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times);
}

async function main(): Promise<void> {
  const presets = (process.argv[2] ?? 'tiny,small,base').split(',');
  const repetitions = Number(process.argv[3] ?? 3);
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`backend ${tf.getBackend()}, median of ${repetitions} after 1 warm-up\n`);
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
    let denseForward = 0;
    let denseTrain = 0;
    for (const variant of VARIANTS) {
      const forward = time(repetitions, () => {
        const { logits } = model.forward(batch, { ...variant.options, training: false });
        logits.dataSync();
        logits.dispose();
      });
      const train = benchCase.train
        ? time(repetitions, () => {
            const loss = optimizer.minimize(
              () =>
                tf.mean(
                  perSampleCrossEntropy(
                    model.forward(batch, { ...variant.options, training: true }).logits,
                    labels,
                  ),
                ) as tf.Scalar,
              true,
              model.trainableVariables(),
            )!;
            loss.dataSync();
            loss.dispose();
          })
        : Number.NaN;
      if (variant.name === 'dense') {
        denseForward = forward;
        denseTrain = train;
      }
      const trainCells = benchCase.train
        ? `${train.toFixed(0)} | ${(train / denseTrain).toFixed(2)}`
        : '- | -';
      console.log(
        `| ${benchCase.preset} | ${description.tokens.video}/${description.tokens.audio} | ${benchCase.batch} | ${variant.name} | ${forward.toFixed(0)} | ${(forward / denseForward).toFixed(2)} | ${trainCells} |`,
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
