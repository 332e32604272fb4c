import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAnnotations } from '../../src/annotations/parse-annotations.js';
import type { VideoSample } from '../../src/cache/video-sample.js';
import { type Batch, createDataLoader, type LoaderRecord } from '../../src/loader/data-loader.js';
import {
  memorySource,
  syntheticSource,
  type VideoSampleSource,
} from '../../src/loader/sample-sources.js';
import { uniformTimeSteps } from '../../src/loader/time-steps.js';
import { synthesizeAnnotations } from '../../src/synth/generate.js';

const T = 6;

/** Video v's frames hold v everywhere, time step t is marked in the first byte; audio = v * 100 + t. */
function fakeSample(v: number): VideoSample {
  const video = new Uint8Array(T * 2 * 2 * 3).fill(v);
  const audio = new Float32Array(T * 3 * 4);
  for (let t = 0; t < T; t++) {
    video[t * 12] = t;
    audio.fill(v * 100 + t, t * 12, (t + 1) * 12);
  }
  return { video: { data: video, shape: [T, 2, 2, 3] }, audio: { data: audio, shape: [T, 3, 4] } };
}

function fakeRecords(n: number, videos = 5): LoaderRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    videoId: `v${i % videos}`,
    tokenIds: Int32Array.from({ length: 14 }, (_, k) => (k < 3 ? i + k : 0)),
    label: i % 42,
    type: i % 2 ? 'Audio/Counting' : 'Visual/Location',
  }));
}

const source = memorySource((id) => fakeSample(Number(id.slice(1))));

async function collect(iterable: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of iterable) out.push(batch);
  return out;
}

describe('createDataLoader', () => {
  it('assembles batches with the documented shapes and contents', async () => {
    const records = fakeRecords(7);
    const loader = createDataLoader({ records, source, batchSize: 3, seed: 1, shuffle: false });
    const batches = await collect(loader.epoch(0));
    expect(batches.map((b) => b.indices.length)).toEqual([3, 3, 1]);
    const b = batches[1]!;
    expect(Array.from(b.indices)).toEqual([3, 4, 5]);
    expect(b.videoIds).toEqual(['v3', 'v4', 'v0']);
    expect(b.questionTokens).toHaveLength(3 * 14);
    expect(Array.from(b.questionTokens.subarray(14, 17))).toEqual([4, 5, 6]);
    expect(Array.from(b.labels)).toEqual([3, 4, 5]);
    expect(Array.from(b.weights)).toEqual([1, 1, 1]);
    expect(b.video.shape).toEqual([3, T, 2, 2, 3]);
    expect(b.audio.shape).toEqual([3, T, 3, 4]);
    expect(b.video.data[1 * T * 12 + 1]).toBe(4);
    expect(b.audio.data[2 * T * 12 + 2 * 12]).toBe(2);
    expect(b.types).toEqual(['Audio/Counting', 'Visual/Location', 'Audio/Counting']);
  });

  it('visits every record once per epoch in a seeded order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer(),
        async (n, batchSize, seed) => {
          const records = fakeRecords(n);
          const loader = createDataLoader({ records, source, batchSize, seed, prefetch: 1 });
          const order = async (epoch: number) =>
            (await collect(loader.epoch(epoch))).flatMap((b) => Array.from(b.indices));
          const first = await order(0);
          expect([...first].sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
          expect(await order(0)).toEqual(first);
          expect(loader.batchCount()).toBe(Math.ceil(n / batchSize));
        },
      ),
      { numRuns: 25 },
    );
    const loader = createDataLoader({ records: fakeRecords(30), source, batchSize: 4, seed: 5 });
    const epoch0 = (await collect(loader.epoch(0))).flatMap((b) => Array.from(b.indices));
    const epoch1 = (await collect(loader.epoch(1))).flatMap((b) => Array.from(b.indices));
    expect(epoch1).not.toEqual(epoch0);
  });

  it('follows an epoch plan (order and weights) and a subset', async () => {
    const records = fakeRecords(10);
    const loader = createDataLoader({ records, source, batchSize: 2, seed: 1, subset: [1, 3, 5] });
    expect((await collect(loader.epoch(0))).flatMap((b) => Array.from(b.indices)).sort()).toEqual([
      1, 3, 5,
    ]);
    const plan = { indices: Int32Array.from([9, 0, 4]), weights: Float32Array.from([2, 1, 2]) };
    const batches = await collect(loader.epoch(3, plan));
    expect(batches.flatMap((b) => Array.from(b.indices))).toEqual([9, 0, 4]);
    expect(batches.flatMap((b) => Array.from(b.weights))).toEqual([2, 1, 2]);
    expect(loader.batchCount(plan)).toBe(2);
    await expect(collect(loader.epoch(0, { indices: Int32Array.from([10]) }))).rejects.toThrow(
      /record index 10/,
    );
    await expect(
      collect(loader.epoch(0, { indices: Int32Array.from([1]), weights: new Float32Array(2) })),
    ).rejects.toThrow(/1 indices but 2 weights/);
  });

  it('drops the last partial batch when asked, and samples time steps uniformly', async () => {
    const loader = createDataLoader({
      records: fakeRecords(7),
      source,
      batchSize: 3,
      seed: 1,
      dropLast: true,
      timeSteps: 3,
    });
    const batches = await collect(loader.epoch(0));
    expect(batches).toHaveLength(2);
    expect(batches[0]!.video.shape).toEqual([3, 3, 2, 2, 3]);
    const steps = Array.from(uniformTimeSteps(T, 3));
    expect(steps).toEqual([1, 3, 5]);
    expect([0, 1, 2].map((i) => batches[0]!.video.data[i * 12])).toEqual(steps);
    expect(Array.from(uniformTimeSteps(4, 10))).toEqual([0, 1, 2, 3]);
  });

  it('prefetches batches ahead of the consumer', async () => {
    const started: string[] = [];
    const slow: VideoSampleSource = {
      load: async (id) => {
        started.push(id);
        return fakeSample(Number(id.slice(1)));
      },
    };
    const loader = createDataLoader({
      records: fakeRecords(8, 8),
      source: slow,
      batchSize: 2,
      seed: 1,
      shuffle: false,
      prefetch: 2,
    });
    const iterator = loader.epoch(0);
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The first batch plus two prefetched ones have been requested while the consumer holds batch 0.
    expect(started.length).toBe(6);
    await iterator.return(undefined);
    started.length = 0;
    const lazy = createDataLoader({
      records: fakeRecords(8, 8),
      source: slow,
      batchSize: 2,
      seed: 1,
      prefetch: 0,
    });
    const batches = await collect(lazy.epoch(0));
    expect(batches).toHaveLength(4);
    expect(started).toHaveLength(8);
  });

  it('scales frames to [0, 1] for videoDtype float32', async () => {
    const loader = createDataLoader({
      records: fakeRecords(2),
      source,
      batchSize: 2,
      seed: 1,
      videoDtype: 'float32',
    });
    const [batch] = await collect(loader.epoch(0));
    expect(batch!.video.data).toBeInstanceOf(Float32Array);
    expect(Math.max(...batch!.video.data)).toBeLessThanOrEqual(1);
  });
});

describe('syntheticSource', () => {
  it('feeds parsed synthetic records straight from the renderer', async () => {
    const bench = synthesizeAnnotations({
      videos: 4,
      seconds: 3,
      questionsPerVideo: 4,
      splitFractions: [1, 0, 0],
    });
    const records = parseAnnotations(bench.records.train).records;
    const loader = createDataLoader({
      records,
      source: syntheticSource(bench.scenes, {
        noise: 0.1,
        settings: { seconds: 3, frameHeight: 32, frameWidth: 32, fbank: { melBins: 64 } },
      }),
      batchSize: 4,
      seed: 42,
    });
    const [batch] = await collect(loader.epoch(0));
    expect(batch!.video.shape).toEqual([4, 3, 32, 32, 3]);
    expect(batch!.audio.shape).toEqual([4, 3, 98, 64]);
    expect(batch!.questionTokens).toHaveLength(4 * 14);
    expect(Array.from(batch!.labels)).toEqual(Array.from(batch!.indices, (i) => records[i]!.label));
  });
});
