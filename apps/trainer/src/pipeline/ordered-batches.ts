import { createBatchLoader } from '@sparsify/avqa-datasets';
import type { ArrayBatch, BatchSource } from './types.js';

/** Batches loaded ahead of the step that trains on the current one. */
export const PREFETCH_BATCHES = 2;

/** One batch of an epoch order: which records, their loss weights, and their arrays. */
export interface OrderedBatch {
  indices: Int32Array;
  weights: Float32Array;
  batch: ArrayBatch;
}

/**
 * The batches of an epoch order (InfoBatch's plan, a shuffle, or the records in order for
 * evaluation) through avqa-datasets' loader: batch k holds order[k*B, (k+1)*B), and the
 * next PREFETCH_BATCHES load while the caller trains on it. The order is decided here, by the
 * trainer; the loader only decides when each batch is read, so prefetching never changes
 * which records a step sees. Stop early with `return()` (a `for await` break does it).
 */
export function orderedBatches(
  source: BatchSource,
  order: { indices: Int32Array; weights?: Float32Array },
  batchSize: number,
  options: { fromBatch?: number; prefetch?: number } = {},
): AsyncGenerator<OrderedBatch> {
  const loader = createBatchLoader<OrderedBatch>({
    recordCount: source.records.length,
    batchSize,
    seed: 0,
    prefetch: options.prefetch ?? PREFETCH_BATCHES,
    assemble: async (indices, weights) => ({
      indices,
      weights,
      batch: await source.load(indices),
    }),
  });
  return loader.epoch(0, order, { fromBatch: options.fromBatch ?? 0 });
}

/** The records of a split in order, as an epoch order (evaluation). */
export function inRecordOrder(source: BatchSource): { indices: Int32Array } {
  return { indices: Int32Array.from({ length: source.records.length }, (_, i) => i) };
}
