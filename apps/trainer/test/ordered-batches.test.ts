import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import { describe, expect, it } from 'vitest';
import type { MediaArrays } from '../src/pipeline/amuse-model.js';
import { type OrderedBatch, orderedBatches } from '../src/pipeline/ordered-batches.js';
import { loadSyntheticDataset } from '../src/pipeline/synthetic-data.js';
import { Rng } from '../src/rng.js';
import { silentLogger, tempDir } from './fixtures.js';

/**
 * SHA-256 of every training batch of the synthetic benchmark (6 videos, data seed 7) in the
 * order Rng(3) shuffles it, 4 questions a batch: questions, frames, fbank, perception targets
 * and labels. Recorded at 0adb5bb, before the trainer read its data through avqa-datasets'
 * loader (the trainer's own batch source and cache, batches loaded one at a time).
 */
const RECORDED_AT_0ADB5BB = '0d1f9cb67503f957a81b62666a782d8c63cc869db96afa9dd4974bc321ee57a8';

function fingerprint(batches: OrderedBatch[]): string {
  const hash = createHash('sha256');
  for (const { batch } of batches) {
    const m = batch.inputs as MediaArrays;
    const perception = m.perception as NonNullable<MediaArrays['perception']>;
    for (const a of [
      m.question,
      m.frames,
      m.fbank,
      perception.videoClasses,
      perception.audioSteps,
      batch.labels,
    ]) {
      hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
  }
  return hash.digest('hex');
}

async function collect(batches: AsyncIterable<OrderedBatch>): Promise<OrderedBatch[]> {
  const out: OrderedBatch[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

describe('training batches through avqa-datasets loader', () => {
  const spec = { dir: join(tempDir('ordered-batches'), 'synthetic'), videos: 6, seed: 7 };

  it('hold the same records in the same order as before the move, with or without prefetching', async () => {
    const data = await loadSyntheticDataset(spec, DEFAULT_INPUTS, silentLogger());
    expect(data.train.records).toHaveLength(32);
    const order = Int32Array.from(
      new Rng(3).shuffled(Array.from({ length: data.train.records.length }, (_, i) => i)),
    );
    for (const prefetch of [0, 1, 2, 5]) {
      const batches = await collect(
        orderedBatches(data.train, { indices: order }, 4, { prefetch }),
      );
      expect(batches.map((b) => Array.from(b.indices))).toEqual(
        Array.from({ length: 8 }, (_, k) => Array.from(order.subarray(k * 4, k * 4 + 4))),
      );
      expect(fingerprint(batches)).toBe(RECORDED_AT_0ADB5BB);
    }
  });

  it('resume mid-epoch at the batch a run stopped at, with the plan weights of each batch', async () => {
    const data = await loadSyntheticDataset(spec, DEFAULT_INPUTS, silentLogger());
    const n = data.train.records.length;
    const order = {
      indices: Int32Array.from(new Rng(5).shuffled(Array.from({ length: n }, (_, i) => i))),
      weights: Float32Array.from({ length: n }, (_, i) => 1 + i / 10),
    };
    const all = await collect(orderedBatches(data.train, order, 5));
    const tail = await collect(orderedBatches(data.train, order, 5, { fromBatch: 3 }));
    expect(all).toHaveLength(Math.ceil(n / 5));
    expect(tail.map((b) => Array.from(b.indices))).toEqual(
      all.slice(3).map((b) => Array.from(b.indices)),
    );
    expect(fingerprint(tail)).toBe(fingerprint(all.slice(3)));
    expect(Array.from(all[1]?.weights ?? [])).toEqual(Array.from(order.weights.subarray(5, 10)));
  });

  it('stop loading when the consumer leaves early', async () => {
    const data = await loadSyntheticDataset(spec, DEFAULT_INPUTS, silentLogger());
    let loads = 0;
    const counting = {
      ...data.train,
      load: (i: ArrayLike<number>) => {
        loads++;
        return data.train.load(i);
      },
    };
    const order = { indices: Int32Array.from({ length: data.train.records.length }, (_, i) => i) };
    for await (const _ of orderedBatches(counting, order, 4, { prefetch: 2 })) break;
    // The first batch and the two prefetched behind it; none of the other five.
    expect(loads).toBe(3);
  });
});
