import { fileURLToPath } from 'node:url';
import type { InputSpec } from '@sparsify/amuse-encoder';
import { DEMO_DEFAULTS } from '../src/commands/demo.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import type { Logger } from '../src/log/logger.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import type { ArrayBatch } from '../src/pipeline/types.js';
import { FlatAdam } from '../src/train/flat-adam.js';
import { trainStep } from '../src/train/train-loop.js';

/**
 * The benchmark size the step benches draw from: fixed rather than the demo's current default
 * (960 videos since 2026-12-05), so an old checkout's bench and this one time the same batches
 * and their first losses can be compared.
 */
const BENCH_VIDEOS = 240;

/**
 * The first `count` batches of `size` of the 240-video synthetic benchmark's training split (the synthetic benchmark
 * `pnpm start` trains on, generated into runs/.cache on first use), in order: real questions
 * with their padding, real answers. Random inputs would miss what real ones cost (question
 * padding). Shared by the step benchmarks so they time the same batches.
 */
export async function demoBatches(
  logger: Logger,
  count: number,
  size: number,
): Promise<{ batches: ArrayBatch[]; inputs: InputSpec }> {
  const config = resolveTrainConfig({
    data: 'synthetic',
    videos: BENCH_VIDEOS,
    dataSeed: DEMO_DEFAULTS.dataSeed,
    cacheDir: fileURLToPath(new URL('../../../runs/.cache', import.meta.url)),
  });
  const dataset = await loadDataset(config.data, logger);
  const batches: ArrayBatch[] = [];
  for (let b = 0; b < count; b++) {
    batches.push(
      await dataset.train.load(Int32Array.from({ length: size }, (_, i) => b * size + i)),
    );
  }
  return { batches, inputs: dataset.inputs };
}

/** The middle value (upper middle for an even count); NaN for none. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * A fresh model and optimizer for `preset` (seeded as the trainer seeds them) that steps
 * through `data.batches` in order at `epoch` (epoch 0 masks, later epochs only merge, in the
 * sparsify preset). Shared by the step benchmarks so each times the same step.
 */
export function demoTrainer(
  preset: 'dense' | 'sparsify',
  epoch: number,
  data: { batches: ArrayBatch[]; inputs: InputSpec },
): { step: () => ReturnType<typeof trainStep>; dispose: () => void } {
  const config = resolveTrainConfig({ preset });
  const model = new SparsifiedAmuse(config, data.inputs);
  const optimizer = new FlatAdam(config.lr);
  const weights = new Float32Array(data.batches[0]?.labels.length ?? 0).fill(1);
  let step = 0;
  return {
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
    step: () =>
      trainStep(model, optimizer, data.batches[step % data.batches.length]!, weights, {
        training: true,
        epoch,
        step: step++,
      }),
  };
}
