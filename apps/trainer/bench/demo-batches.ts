import { fileURLToPath } from 'node:url';
import type { InputSpec } from '@sparsify/amuse-encoder';
import { DEMO_DEFAULTS } from '../src/commands/demo.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import type { Logger } from '../src/log/logger.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import type { ArrayBatch } from '../src/pipeline/types.js';

/**
 * The first `count` batches of `size` of the demo's training split (the synthetic benchmark
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
    videos: DEMO_DEFAULTS.videos,
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
