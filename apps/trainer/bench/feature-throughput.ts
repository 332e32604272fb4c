/**
 * Training samples per second of a MUSIC-AVQA folder read as pre-extracted features
 * (ResNet-18 14x14 + VGGish, and CLIP + VGGish) against the same videos read as raw media
 * (frames + fbank through the preprocessing cache): the same generated videos, the tiny
 * model, the dense preset, batch 8. Each round times one pass of every path in turn (order
 * rotating), so load on the machine falls on all of them alike; the table gives medians and
 * the ratio to the raw path. Two figures per path: loading batches alone (the data path,
 * after a first pass filled every cache) and a training step with its batch.
 *   pnpm --filter @sparsify/trainer bench:features [-- rounds]   (also the second half of `pnpm bench`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticBenchmark } from '@sparsify/avqa-datasets';
import { prepareBackend } from '../src/commands/runtime.js';
import { type DataSpec, resolveTrainConfig } from '../src/config/train-config.js';
import { Logger } from '../src/log/logger.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import { FlatAdam } from '../src/train/flat-adam.js';
import { trainStep } from '../src/train/train-loop.js';

const BATCH = 8;
const STEPS = 6;
const rounds = Number(process.argv[2] ?? 5);
const logger = new Logger({ quiet: true, out: () => {}, err: { write: () => {}, isTTY: false } });
const backend = await prepareBackend('auto', true, logger);
const root = mkdtempSync(join(tmpdir(), 'feature-throughput-'));

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

try {
  for (const media of ['frames+wav', 'features'] as const)
    await generateSyntheticBenchmark({ out: root, videos: 24, seconds: 8, seed: 3, media });
  const paths: { name: string; data: DataSpec }[] = [
    { name: 'raw frames + fbank', data: { kind: 'music-avqa', root } },
    {
      name: 'resnet18 (grid 7) + vggish',
      data: { kind: 'music-avqa', root, videoFeatures: 'resnet18', audioFeatures: 'vggish' },
    },
    {
      name: 'clip + vggish',
      data: { kind: 'music-avqa', root, videoFeatures: 'clip', audioFeatures: 'vggish' },
    },
  ];
  const setups = [];
  for (const path of paths) {
    const dataset = await loadDataset(path.data, logger);
    const config = resolveTrainConfig({ preset: 'dense', data: 'music-avqa', root });
    const model = new SparsifiedAmuse(config, dataset.inputs);
    const optimizer = new FlatAdam(config.lr);
    const batches = Array.from({ length: STEPS }, (_, s) =>
      Int32Array.from({ length: BATCH }, (_, i) => (s * BATCH + i) % dataset.train.records.length),
    );
    // First pass: decode / read every video once (the caches are full from here on).
    for (const indices of batches) await dataset.train.load(indices);
    setups.push({
      ...path,
      dataset,
      model,
      optimizer,
      batches,
      load: [] as number[],
      train: [] as number[],
    });
  }
  const weights = new Float32Array(BATCH).fill(1);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < setups.length; k++) {
      const setup = setups[(round + k) % setups.length] as (typeof setups)[number];
      let started = performance.now();
      for (const indices of setup.batches) await setup.dataset.train.load(indices);
      setup.load.push((STEPS * BATCH) / ((performance.now() - started) / 1000));
      started = performance.now();
      for (const [step, indices] of setup.batches.entries()) {
        const batch = await setup.dataset.train.load(indices);
        trainStep(setup.model, setup.optimizer, batch, weights, { training: true, epoch: 0, step });
      }
      setup.train.push((STEPS * BATCH) / ((performance.now() - started) / 1000));
    }
  }
  const raw = setups[0] as (typeof setups)[number];
  console.log(
    `backend ${backend.name}, tiny model, dense, batch ${BATCH}, ${STEPS} batches a pass, median of ${rounds} rounds; tokens per sample: video x audio`,
  );
  console.log('| path | tokens | load samples/s | train samples/s | train vs raw |');
  console.log('|---|---|---|---|---|');
  for (const setup of setups) {
    const { video, audio } = setup.dataset.inputs;
    const perStep = (spec: typeof video | typeof audio) =>
      spec.kind === 'frames'
        ? (spec.height / 16) * (spec.width / 16)
        : spec.kind === 'fbank'
          ? (spec.frames / 16) * (spec.melBins / 16)
          : spec.kind === 'resnet18'
            ? (spec.grid ?? 14) ** 2
            : 1;
    console.log(
      `| ${setup.name} | ${video.timeSteps * perStep(video)} + ${audio.timeSteps * perStep(audio)} | ${median(setup.load).toFixed(0)} | ${median(setup.train).toFixed(1)} | ${(median(setup.train) / median(raw.train)).toFixed(2)}x |`,
    );
  }
  for (const setup of setups) setup.model.dispose();
} finally {
  rmSync(root, { recursive: true, force: true });
}
