import { createRandom, deriveSeed } from '../synth/random.js';

/**
 * An epoch's order and loss weights decided outside the loader, e.g. an InfoBatch plan from
 * @sparsify/key-subset-selection (`{ indices, weights }` structurally); the loader keeps its order.
 */
export interface EpochOrder {
  indices: Int32Array;
  weights?: Float32Array;
}

export interface BatchLoaderOptions<B> {
  /** Records the indices refer to (only the count is used). */
  recordCount: number;
  batchSize: number;
  seed: number;
  /** Shuffle records each epoch (seeded by seed and epoch) when no plan is given. Default true. */
  shuffle?: boolean;
  /** Batches prepared ahead while the trainer works on the current one. Default 2. */
  prefetch?: number;
  /** Drop the last, smaller batch. Default false. */
  dropLast?: boolean;
  /** Only these record indices (e.g. a key subset); ignored when an epoch plan is given. */
  subset?: ArrayLike<number>;
  /**
   * Builds the batch of these record indices (a slice of the epoch order, in order) and
   * their loss weights (1 unless the plan says otherwise).
   */
  assemble(indices: Int32Array, weights: Float32Array): Promise<B>;
}

export interface EpochOptions {
  /** The first batch to yield: a run resumed mid-epoch skips the batches it trained on. */
  fromBatch?: number;
}

export interface BatchLoader<B> {
  /** Batches in one epoch for a plan (or the loader's own order). */
  batchCount(plan?: EpochOrder): number;
  /**
   * The epoch's batches in order, `prefetch` of them loading ahead. Prefetching changes when
   * a batch is loaded, never which records it holds or the order batches arrive in.
   */
  epoch(epoch: number, plan?: EpochOrder, options?: EpochOptions): AsyncGenerator<B>;
}

/**
 * The order and prefetching of a data loader, with the batch format left to `assemble`:
 * createDataLoader assembles preprocessed video samples; a trainer can assemble its own
 * model inputs and keep the order and prefetching.
 */
export function createBatchLoader<B>(options: BatchLoaderOptions<B>): BatchLoader<B> {
  const { recordCount, batchSize } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const prefetch = Math.max(0, options.prefetch ?? 2);
  const base = options.subset
    ? Int32Array.from(options.subset)
    : Int32Array.from({ length: recordCount }, (_, i) => i);
  for (const index of base) checkIndex(index, recordCount, 'subset');

  const orderFor = (epoch: number, plan?: EpochOrder): EpochOrder => {
    if (plan) {
      if (plan.weights && plan.weights.length !== plan.indices.length) {
        throw new Error(
          `epoch plan: ${plan.indices.length} indices but ${plan.weights.length} weights`,
        );
      }
      for (const index of plan.indices) checkIndex(index, recordCount, 'epoch plan');
      return plan;
    }
    if (options.shuffle === false) return { indices: base };
    return {
      indices: Int32Array.from(
        createRandom(deriveSeed(options.seed, 0x10ade7, epoch)).shuffled(Array.from(base)),
      ),
    };
  };

  const batchCount = (plan?: EpochOrder) => {
    const n = plan ? plan.indices.length : base.length;
    return options.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  };

  const assemble = (order: EpochOrder, start: number): Promise<B> => {
    const indices = order.indices.slice(start, Math.min(order.indices.length, start + batchSize));
    const weights = order.weights
      ? order.weights.slice(start, start + indices.length)
      : new Float32Array(indices.length).fill(1);
    return options.assemble(indices, weights);
  };

  return {
    batchCount,
    async *epoch(epoch, plan, epochOptions = {}) {
      const order = orderFor(epoch, plan);
      const count = batchCount(plan ?? order);
      const pending: Promise<B>[] = [];
      let next = epochOptions.fromBatch ?? 0;
      if (!(Number.isInteger(next) && next >= 0))
        throw new Error(`fromBatch must be a non-negative integer, got ${next}`);
      const fill = (limit: number) => {
        while (next < count && pending.length < limit) {
          const batch = assemble(order, batchSize * next++);
          // If the consumer stops early, batches still in flight must not surface as unhandled.
          batch.catch(() => undefined);
          pending.push(batch);
        }
      };
      while (next < count || pending.length > 0) {
        fill(prefetch + 1);
        const batch = await (pending.shift() as Promise<B>);
        // Keep `prefetch` batches loading while the consumer works on this one.
        fill(prefetch);
        yield batch;
      }
    },
  };
}

function checkIndex(index: number, size: number, what: string) {
  if (!(Number.isInteger(index) && index >= 0 && index < size)) {
    throw new Error(`${what}: record index ${index} is outside 0..${size - 1}`);
  }
}
