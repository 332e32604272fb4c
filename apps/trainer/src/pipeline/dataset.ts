import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS, type InputSpec } from '@sparsify/amuse-encoder';
import {
  cacheSource,
  datasetClipSeconds,
  datasetMediaFiles,
  featureFilePath,
  MUSIC_AVQA_SECONDS,
  normaliseValues,
  readAnnotationFile,
  readFeatureSteps,
  SYNTH_LAYOUT,
  valueStatistics,
} from '@sparsify/avqa-datasets';
import { ConfigError } from '../config/config-error.js';
import type { DataSpec, MusicAvqaDataSpec } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import {
  checkFeatureFiles,
  featureLayoutOf,
  inputsForFeatures,
  rawInputsFor,
  usesRawMedia,
  valuesPerSample,
} from './feature-inputs.js';
import { MediaBatchSource, type VideoMedia } from './media-batch-source.js';
import { type FbankStats, preprocessSettingsFor, sampleToInputs } from './model-inputs.js';
import { loadSyntheticDataset } from './synthetic-data.js';
import type { BatchSource } from './types.js';

/** Three splits ready to batch, and the input geometry the model must be built for. */
export interface LoadedDataset {
  train: BatchSource;
  val: BatchSource;
  test: BatchSource;
  inputs: InputSpec;
  /** The MUSIC-AVQA-format file the training records came from (key subsets copy from it). */
  trainAnnotationFile: string;
  /** Clip length in seconds, to preprocess a new video the same way (`ask`). */
  seconds: number;
  /** Normalisation of the audio stream: fbank windows, or VGGish features. */
  fbankStats: FbankStats;
  /** Normalisation of the video stream when it is pre-extracted features (raw frames are scaled to [0, 1]). */
  videoFeatureStats?: FbankStats;
}

/** Training videos whose fbank sets the normalisation of real data. */
const FBANK_STATS_VIDEOS = 64;
/** Bytes of reduced inputs kept in memory (4,096 videos of about 140 KB at the default geometry). */
const MEMORY_CACHE_BYTES = 4096 * 140 * 1024;

/** `base` (DEFAULT_INPUTS unless given) at `timeSteps` seconds of video and audio (DEFAULT_INPUTS has 5). */
export function inputsWithTimeSteps(
  timeSteps: number,
  base: InputSpec = DEFAULT_INPUTS,
): InputSpec {
  if (timeSteps === base.video.timeSteps && timeSteps === base.audio.timeSteps) return base;
  return {
    video: { ...base.video, timeSteps },
    audio: { ...base.audio, timeSteps },
  } as InputSpec;
}

/** Loads (generating on first use) the data a config names, at `timeSteps` seconds per clip. */
export async function loadDataset(
  spec: DataSpec,
  logger: Logger,
  timeSteps: number = DEFAULT_INPUTS.video.timeSteps,
): Promise<LoadedDataset> {
  if (spec.kind === 'synthetic') {
    const inputs = inputsWithTimeSteps(timeSteps);
    return { ...(await loadSyntheticDataset(spec, inputs, logger)), inputs };
  }
  return loadMusicAvqa(spec, inputsWithTimeSteps(timeSteps, inputsForFeatures(spec)), logger);
}

/**
 * A MUSIC-AVQA folder (json/avqa-{train,val,test}.json with raw media and/or pre-extracted
 * features): each raw video is decoded once into the preprocessing cache of
 * @sparsify/avqa-datasets (`sparsify data prepare` fills it in parallel beforehand) and
 * reduced to the model's inputs; feature streams read only their kept steps from the .npy files.
 */
async function loadMusicAvqa(
  spec: MusicAvqaDataSpec,
  inputs: InputSpec,
  logger: Logger,
): Promise<LoadedDataset> {
  const { root } = spec;
  const file = (split: 'train' | 'val' | 'test') => join(root, SYNTH_LAYOUT.annotations(split));
  for (const split of ['train', 'val', 'test'] as const) {
    if (!existsSync(file(split))) throw new ConfigError('--root', `${file(split)} is missing`);
  }
  const duplicates = spec.duplicates ?? 'keep-first';
  const [train, val, test] = await Promise.all(
    [file('train'), file('val'), file('test')].map((f) => readAnnotationFile(f, { duplicates })),
  );
  if (!train || !val || !test) throw new Error('unreachable');
  const allVideos = new Set([train, val, test].flatMap((set) => set.records.map((r) => r.videoId)));
  checkFeatureFiles(root, inputs.video, allVideos);
  checkFeatureFiles(root, inputs.audio, allVideos);

  let seconds = MUSIC_AVQA_SECONDS;
  let decoded: ((videoId: string) => Promise<{ frames: Uint8Array; fbank: Float32Array }>) | null =
    null;
  if (usesRawMedia(inputs)) {
    seconds = await datasetClipSeconds(root, train.records);
    logger.event('clip-seconds', { root, seconds }, `${root}: clips preprocessed at ${seconds} s`);
    // Decoding always yields both streams; a feature stream's raw half is dropped. The
    // default geometry keeps the cache entries `data prepare` writes.
    const rawInputs = rawInputsFor(inputs);
    const samples = cacheSource({
      cacheDir: join(root, '.cache'),
      settings: preprocessSettingsFor(rawInputs, seconds),
      media: (id) => datasetMediaFiles(root, id),
    });
    decoded = async (videoId) => sampleToInputs(await samples.load(videoId), rawInputs);
  }
  const featureStream = (stream: 'video' | 'audio') => {
    const streamSpec = inputs[stream];
    const layout = featureLayoutOf(streamSpec);
    return layout
      ? (videoId: string) =>
          readFeatureSteps(featureFilePath(root, layout, videoId), layout, streamSpec.timeSteps)
      : null;
  };
  const videoFeatures = featureStream('video');
  const audioFeatures = featureStream('audio');
  const sourceOf = (stream: 'video' | 'audio', videoId: string): string => {
    const layout = featureLayoutOf(inputs[stream]);
    if (layout) return featureFilePath(root, layout, videoId);
    const files = datasetMediaFiles(root, videoId);
    return files.kind === 'mp4' ? files.path : files.wavPath;
  };
  const unnormalised = async (videoId: string): Promise<VideoMedia> => {
    const raw = decoded ? await decoded(videoId) : null;
    const sample = {
      frames: videoFeatures ? await videoFeatures(videoId) : (raw?.frames as Uint8Array),
      fbank: audioFeatures ? await audioFeatures(videoId) : (raw?.fbank as Float32Array),
    };
    // Checked before the normalisation statistics: one NaN there would turn every video's
    // inputs to NaN, and the error would name the wrong video.
    const badAudio = sample.fbank.findIndex((value) => !Number.isFinite(value));
    if (badAudio >= 0) {
      const what = audioFeatures ? 'audio features hold' : 'fbank has';
      throw new Error(
        `video ${videoId} (${sourceOf('audio', videoId)}): its ${what} ${sample.fbank[badAudio]} at value ${badAudio}: ${audioFeatures ? 'the feature file' : 'its decoded audio'} holds NaN or Infinity`,
      );
    }
    if (videoFeatures) {
      const frames = sample.frames as Float32Array;
      const badVideo = frames.findIndex((value) => !Number.isFinite(value));
      if (badVideo >= 0) {
        throw new Error(
          `video ${videoId} (${sourceOf('video', videoId)}): its video features hold ${frames[badVideo]} at value ${badVideo}: the feature file holds NaN or Infinity`,
        );
      }
    }
    return sample;
  };

  const statsVideos = [...new Set(train.records.map((r) => r.videoId))].slice(
    0,
    FBANK_STATS_VIDEOS,
  );
  const progress = logger.progress('input statistics', statsVideos.length);
  const firstVideos: VideoMedia[] = [];
  for (const videoId of statsVideos) {
    firstVideos.push(await unnormalised(videoId));
    progress.tick();
  }
  progress.finish();
  // The audio stream's normalisation (fbank or VGGish); raw frames are only scaled to [0, 1].
  const fbankStats = valueStatistics(firstVideos.map((m) => m.fbank));
  const videoFeatureStats = videoFeatures
    ? valueStatistics(firstVideos.map((m) => m.frames as Float32Array))
    : null;
  firstVideos.length = 0;

  const perVideoBytes =
    valuesPerSample(inputs.video) * (videoFeatures ? 4 : 1) + valuesPerSample(inputs.audio) * 4;
  const memoryVideos = Math.floor(MEMORY_CACHE_BYTES / perVideoBytes);
  const memory = new Map<string, VideoMedia>();
  const media = async (videoId: string): Promise<VideoMedia> => {
    const hit = memory.get(videoId);
    if (hit) return hit;
    const { frames, fbank } = await unnormalised(videoId);
    const entry = {
      frames: videoFeatureStats
        ? normaliseValues(frames as Float32Array, videoFeatureStats)
        : frames,
      fbank: normaliseValues(fbank, fbankStats),
    };
    if (memory.size < memoryVideos) memory.set(videoId, entry);
    return entry;
  };
  return {
    train: new MediaBatchSource('train', train.records, media, inputs),
    val: new MediaBatchSource('val', val.records, media, inputs),
    test: new MediaBatchSource('test', test.records, media, inputs),
    inputs,
    trainAnnotationFile: file('train'),
    seconds,
    fbankStats,
    ...(videoFeatureStats ? { videoFeatureStats } : {}),
  };
}
