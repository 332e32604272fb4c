/** One epoch of training as the sampler plans it. */
export interface EpochPlan {
  /** 0-based epoch. */
  readonly epoch: number;
  /** Whether this epoch prunes (epoch < the sampler's `pruningEpochs`). */
  readonly pruning: boolean;
  /** Sample indices to train on, in training order (shuffled by (seed, epoch)). */
  readonly indices: Int32Array;
  /** Loss weight of each entry of `indices`: 1, or 1 / (1 - pruneRatio) for kept easy samples. */
  readonly weights: Float32Array;
  /** indices.length: the epoch's length, which shrinks while pruning. */
  readonly numSamples: number;
  /** Samples skipped this epoch. */
  readonly numPruned: number;
  /** Mean score over all samples when the epoch was planned (the easy/hard threshold). */
  readonly meanScore: number;
  /** Optimizer steps this epoch takes at `batchSize` (the last partial batch counts unless dropLast). */
  steps(batchSize: number, dropLast?: boolean): number;
  /** The epoch's batches in order, as views into `indices` and `weights`. */
  batches(
    batchSize: number,
    dropLast?: boolean,
  ): Generator<{ indices: Int32Array; weights: Float32Array }>;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
}

export function createEpochPlan(fields: {
  epoch: number;
  pruning: boolean;
  indices: Int32Array;
  weights: Float32Array;
  numPruned: number;
  meanScore: number;
}): EpochPlan {
  const { indices, weights } = fields;
  const numSamples = indices.length;
  const steps = (batchSize: number, dropLast = false): number => {
    checkBatchSize(batchSize);
    return dropLast ? Math.floor(numSamples / batchSize) : Math.ceil(numSamples / batchSize);
  };
  return {
    ...fields,
    numSamples,
    steps,
    *batches(batchSize: number, dropLast = false) {
      const count = steps(batchSize, dropLast);
      for (let step = 0; step < count; step++) {
        const start = step * batchSize;
        const end = Math.min(start + batchSize, numSamples);
        yield { indices: indices.subarray(start, end), weights: weights.subarray(start, end) };
      }
    },
  };
}
