import type { VideoSample } from '../cache/video-sample.js';
import { type BatchLoader, createBatchLoader } from './batch-loader.js';
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

/** Batches of video samples, in the loader's order or an epoch plan's, prefetched ahead. */
export type DataLoader = BatchLoader<Batch>;

export function createDataLoader(options: DataLoaderOptions): DataLoader {
  const { records, source } = options;
  return createBatchLoader({
    ...options,
    recordCount: records.length,
    assemble: async (indices, weights) => {
      const chosen = Array.from(indices, (i) => records[i]!);
      const samples = await Promise.all(chosen.map((r) => source.load(r.videoId)));
      return collate(indices, weights, chosen, samples, options);
    },
  });
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
