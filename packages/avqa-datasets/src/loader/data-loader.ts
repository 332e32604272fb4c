import type { VideoSample } from '../cache/video-sample.js';
import { createRandom, deriveSeed } from '../synth/random.js';
import type { VideoSampleSource } from './sample-sources.js';
import { gatherSteps, uniformTimeSteps } from './time-steps.js';

/**
 * What the loader needs of a question record; the parsed AvqaRecord of this package has
 * these fields, so records go in as they are.
 */
export interface LoaderRecord {
  videoId: string;
  /** Padded question token ids (14 for the official vocabulary). */
  tokenIds: Int32Array;
  label: number;
  /** The official `modality/kind` type, e.g. 'Audio-Visual/Temporal'. */
  type: string;
}

/**
 * An epoch's order and loss weights decided outside the loader, e.g. an InfoBatch plan from
 * @sparsify/key-subset-selection (`{ indices, weights }` structurally); the loader keeps its order.
 */
export interface EpochOrder {
  indices: Int32Array;
  weights?: Float32Array;
}

export interface DataLoaderOptions {
  records: readonly LoaderRecord[];
  source: VideoSampleSource;
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
  /** Time steps per video, spread uniformly (AMUSE: 5). Default: all. */
  timeSteps?: number;
  /** 'float32' scales frames to [0, 1]. Default 'uint8'. */
  videoDtype?: 'uint8' | 'float32';
}

export interface Batch {
  /** Record indices of the batch, in batch order. */
  indices: Int32Array;
  videoIds: string[];
  /** [B, L] row-major, L = the records' token length (14). */
  questionTokens: Int32Array;
  labels: Int32Array;
  /** Per-sample loss weights (1 unless an epoch plan says otherwise). */
  weights: Float32Array;
  /** [B, T, H, W, 3]. */
  video: { data: Uint8Array | Float32Array; shape: [number, number, number, number, number] };
  /** [B, T, frames, melBins]. */
  audio: { data: Float32Array; shape: [number, number, number, number] };
  types: string[];
}

export interface DataLoader {
  /** Batches in one epoch for a plan (or the loader's own order). */
  batchCount(plan?: EpochOrder): number;
  /** The epoch's batches, prefetched `prefetch` ahead. */
  epoch(epoch: number, plan?: EpochOrder): AsyncGenerator<Batch>;
}

export function createDataLoader(options: DataLoaderOptions): DataLoader {
  const { records, source, batchSize } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const prefetch = Math.max(0, options.prefetch ?? 2);
  const base = options.subset
    ? Int32Array.from(options.subset)
    : Int32Array.from(records, (_, i) => i);
  for (const index of base) checkIndex(index, records.length, 'subset');

  const orderFor = (epoch: number, plan?: EpochOrder): EpochOrder => {
    if (plan) {
      if (plan.weights && plan.weights.length !== plan.indices.length) {
        throw new Error(
          `epoch plan: ${plan.indices.length} indices but ${plan.weights.length} weights`,
        );
      }
      for (const index of plan.indices) checkIndex(index, records.length, 'epoch plan');
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

  const assemble = async (order: EpochOrder, start: number): Promise<Batch> => {
    const indices = order.indices.slice(start, Math.min(order.indices.length, start + batchSize));
    const weights = order.weights
      ? order.weights.slice(start, start + indices.length)
      : new Float32Array(indices.length).fill(1);
    const chosen = Array.from(indices, (i) => records[i]!);
    const samples = await Promise.all(chosen.map((r) => source.load(r.videoId)));
    return collate(indices, weights, chosen, samples, options);
  };

  return {
    batchCount,
    async *epoch(epoch, plan) {
      const order = orderFor(epoch, plan);
      const count = batchCount(plan ?? order);
      const pending: Promise<Batch>[] = [];
      let next = 0;
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
        const batch = await pending.shift()!;
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

function collate(
  indices: Int32Array,
  weights: Float32Array,
  records: LoaderRecord[],
  samples: VideoSample[],
  options: DataLoaderOptions,
): Batch {
  const b = records.length;
  const first = samples[0]!;
  const [totalSteps, height, width] = first.video.shape;
  const [audioSteps, frames, melBins] = first.audio.shape;
  if (audioSteps !== totalSteps)
    throw new Error(
      `video ${records[0]!.videoId}: ${totalSteps} frames but ${audioSteps} audio steps`,
    );
  const steps = uniformTimeSteps(totalSteps, options.timeSteps ?? totalSteps);
  const t = steps.length;
  const frameSize = height * width * 3;
  const audioStep = frames * melBins;
  const video = new Uint8Array(b * t * frameSize);
  const audio = new Float32Array(b * t * audioStep);
  const tokenLength = records[0]!.tokenIds.length;
  const questionTokens = new Int32Array(b * tokenLength);
  samples.forEach((sample, i) => {
    const id = records[i]!.videoId;
    const sameVideo = sample.video.shape.every((d, k) => d === first.video.shape[k]);
    const sameAudio = sample.audio.shape.every((d, k) => d === first.audio.shape[k]);
    if (!sameVideo || !sameAudio) {
      throw new Error(
        `video ${id}: shapes [${sample.video.shape}] / [${sample.audio.shape}] differ from [${first.video.shape}] / [${first.audio.shape}] in the same batch`,
      );
    }
    if (records[i]!.tokenIds.length !== tokenLength)
      throw new Error(
        `record ${indices[i]}: question has ${records[i]!.tokenIds.length} tokens, expected ${tokenLength}`,
      );
    gatherSteps(sample.video.data, frameSize, steps, video, i * t * frameSize);
    gatherSteps(sample.audio.data, audioStep, steps, audio, i * t * audioStep);
    questionTokens.set(records[i]!.tokenIds, i * tokenLength);
  });
  const videoData =
    options.videoDtype === 'float32' ? Float32Array.from(video, (v) => v / 255) : video;
  return {
    indices,
    videoIds: records.map((r) => r.videoId),
    questionTokens,
    labels: Int32Array.from(records, (r) => r.label),
    weights,
    video: { data: videoData, shape: [b, t, height, width, 3] },
    audio: { data: audio, shape: [b, t, frames, melBins] },
    types: records.map((r) => r.type),
  };
}
