/**
 * InfoBatch at scale: 1,000,000 samples, 30 epochs. Prints per-epoch plan and update times,
 * the history's memory, and the key-subset selection time.
 * Run: pnpm --filter @sparsify/key-subset-selection bench
 */
import { performance } from 'node:perf_hooks';
import { SplitMix32 } from '@sparsify/internal-random';
import { InfoBatchSampler, selectKeySubset } from '../src/index.js';

const size = 1_000_000;
const epochs = 30;
const batchSize = 256;

const random = new SplitMix32(1);
const difficulty = Float32Array.from({ length: size }, () => random.nextUint32() / 2 ** 32);
const lossBuffer = new Float32Array(batchSize);

const sampler = new InfoBatchSampler({ size, epochs, seed: 42 });
const planTimes: number[] = [];
const planCpuTimes: number[] = [];
const updateTimes: number[] = [];

/** CPU milliseconds of this process (user + system): less disturbed by other processes than wall time. */
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const lengths: number[] = [];
for (let epoch = 0; epoch < epochs; epoch++) {
  let start = performance.now();
  const cpuStart = cpuMs();
  const plan = sampler.planEpoch(epoch);
  planTimes.push(performance.now() - start);
  planCpuTimes.push(cpuMs() - cpuStart);
  lengths.push(plan.numSamples);
  const decay = 0.9 ** epoch;
  start = performance.now();
  for (const batch of plan.batches(batchSize)) {
    const losses = lossBuffer.subarray(0, batch.indices.length);
    for (let j = 0; j < losses.length; j++) {
      losses[j] =
        3 * difficulty[batch.indices[j]!]! * decay + 0.1 * (random.nextUint32() / 2 ** 32);
    }
    sampler.update(batch.indices, losses);
  }
  updateTimes.push(performance.now() - start);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  `samples ${size}, epochs ${epochs}, pruning epochs ${sampler.pruningEpochs}, batch ${batchSize}`,
);
const summary = (label: string, from: number, to: number) => {
  const wall = planTimes.slice(from, to);
  const cpu = planCpuTimes.slice(from, to);
  console.log(
    `${label}: wall median ${median(wall).toFixed(1)} ms (min ${Math.min(...wall).toFixed(1)}, max ${Math.max(...wall).toFixed(1)}), ` +
      `cpu median ${median(cpu).toFixed(1)} ms`,
  );
};
summary('epoch 0 plan (nothing easy)', 0, 1);
summary('pruning-epoch plans (1..25)', 1, sampler.pruningEpochs);
summary('full-epoch plans (after delta)', sampler.pruningEpochs, epochs);
console.log(
  `updates of one epoch: median ${median(updateTimes).toFixed(1)} ms ` +
    `(${(((1000 * median(updateTimes)) / median(lengths)) * batchSize).toFixed(1)} us per batch of ${batchSize})`,
);
console.log(
  `epoch lengths: first ${lengths[0]}, pruning median ${median(lengths.slice(1, sampler.pruningEpochs))}, last ${lengths.at(-1)}`,
);

const bytes = sampler.history.byteLength;
console.log(
  `history ${size} x ${epochs}: kept ${(bytes / 2 / 1e6).toFixed(2)} MB + hard ${(bytes / 2 / 1e6).toFixed(2)} MB = ${(bytes / 1e6).toFixed(2)} MB`,
);

for (const mode of ['kept', 'hard'] as const) {
  const start = performance.now();
  selectKeySubset(sampler.history, { mode, fraction: 0.25 });
  console.log(`selectKeySubset(${mode}, 25%): ${(performance.now() - start).toFixed(0)} ms`);
}

let start = performance.now();
const text = JSON.stringify(sampler);
const saveMs = performance.now() - start;
start = performance.now();
InfoBatchSampler.fromJSON(JSON.parse(text), { size });
console.log(
  `state JSON: ${(text.length / 1e6).toFixed(1)} MB, save ${saveMs.toFixed(0)} ms, load ${(performance.now() - start).toFixed(0)} ms`,
);
