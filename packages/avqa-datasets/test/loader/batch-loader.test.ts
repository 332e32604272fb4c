import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBatchLoader } from '../../src/loader/batch-loader.js';

/** A batch is the record indices and weights it was assembled from. */
function loader(recordCount: number, batchSize: number, prefetch: number, delays?: number[]) {
  return createBatchLoader({
    recordCount,
    batchSize,
    seed: 9,
    prefetch,
    assemble: async (indices, weights) => {
      // Batches finish out of order when the delays say so; they must still arrive in order.
      const delay = delays?.[indices[0]! % delays.length] ?? 0;
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      return { indices: Array.from(indices), weights: Array.from(weights) };
    },
  });
}

async function collect<T>(batches: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

describe('createBatchLoader', () => {
  it('yields the same batches in the same order at any prefetch depth, however long each takes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 3 }),
        async (n, batchSize, prefetch, delays, epoch) => {
          const plain = await collect(loader(n, batchSize, 0).epoch(epoch));
          const ahead = await collect(loader(n, batchSize, prefetch, delays).epoch(epoch));
          expect(ahead).toEqual(plain);
          expect(plain.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(
            Array.from({ length: n }, (_, i) => i),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps an epoch plan as given and slices its weights with its indices', async () => {
    const plan = {
      indices: Int32Array.from([4, 0, 4, 2, 1]),
      weights: Float32Array.from([1, 2, 3, 4, 5]),
    };
    const batches = await collect(loader(5, 2, 2).epoch(0, plan));
    expect(batches).toEqual([
      { indices: [4, 0], weights: [1, 2] },
      { indices: [4, 2], weights: [3, 4] },
      { indices: [1], weights: [5] },
    ]);
  });

  it('starts at fromBatch: the batches a resumed run has not trained on, in the same order', async () => {
    const all = await collect(loader(11, 3, 2).epoch(1));
    const rest = await collect(loader(11, 3, 2).epoch(1, undefined, { fromBatch: 2 }));
    expect(rest).toEqual(all.slice(2));
    expect(await collect(loader(11, 3, 2).epoch(1, undefined, { fromBatch: 9 }))).toEqual([]);
    await expect(collect(loader(11, 3, 2).epoch(1, undefined, { fromBatch: -1 }))).rejects.toThrow(
      'fromBatch must be a non-negative integer, got -1',
    );
  });

  it('loads at most prefetch batches beyond the one the consumer holds', async () => {
    let started = 0;
    const counting = createBatchLoader({
      recordCount: 20,
      batchSize: 2,
      seed: 1,
      prefetch: 3,
      assemble: async (indices) => {
        started++;
        return indices;
      },
    });
    for await (const _ of counting.epoch(0)) {
      expect(started).toBeLessThanOrEqual(4);
      break;
    }
    expect(started).toBe(4);
  });
});
