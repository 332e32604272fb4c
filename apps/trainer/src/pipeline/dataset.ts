import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS, type InputSpec } from '@sparsify/amuse-encoder';
import {
  type AvqaRecord,
  cacheSource,
  type MediaFiles,
  mediaSeconds,
  readAnnotationFile,
  SYNTH_LAYOUT,
} from '@sparsify/avqa-datasets';
import { ConfigError } from '../config/config-error.js';
import type { DataSpec } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { MediaBatchSource, type VideoMedia } from './media-batch-source.js';
import {
  type FbankStats,
  normaliseFbank,
  preprocessSettingsFor,
  sampleToInputs,
} from './model-inputs.js';
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
  fbankStats: FbankStats;
}

/** The official clip length of MUSIC-AVQA videos: longer clips are cut to it. */
const MUSIC_AVQA_SECONDS = 60;
/** Training videos whose length sets the clip length of a dataset folder. */
const CLIP_PROBE_VIDEOS = 8;
/** Training videos whose fbank sets the normalisation of real data. */
const FBANK_STATS_VIDEOS = 64;
/** Reduced inputs kept in memory (about 140 KB each at the default geometry). */
const MEMORY_CACHE_VIDEOS = 4096;

/** Media of one video in a dataset folder: videos/<id>.mp4, else frames/<id>/ + audio/<id>.wav. */
export function datasetMediaFiles(root: string, videoId: string): MediaFiles {
  const mp4 = join(root, SYNTH_LAYOUT.video(videoId));
  if (existsSync(mp4)) return { kind: 'mp4', path: mp4 };
  return {
    kind: 'frames+wav',
    framesDir: join(root, SYNTH_LAYOUT.framesDir(videoId)),
    wavPath: join(root, SYNTH_LAYOUT.wav(videoId)),
  };
}

/**
 * The clip length a dataset folder is preprocessed at (`train` and `data prepare` agree on
 * it, so they share cache entries): the longest of the first training videos in whole
 * seconds, at most the official 60. Assuming 60 s for shorter clips would pad them with
 * copies of their last second, and most of the time steps picked uniformly from the padded
 * clip would be that one second; clips shorter than the chosen length still repeat their
 * last second (the official rule). Videos whose media cannot be read are left out.
 */
export async function datasetClipSeconds(
  root: string,
  trainRecords: readonly Pick<AvqaRecord, 'videoId'>[],
): Promise<number> {
  const videoIds = [...new Set(trainRecords.map((r) => r.videoId))].slice(0, CLIP_PROBE_VIDEOS);
  if (videoIds.length === 0)
    throw new Error(`${join(root, SYNTH_LAYOUT.annotations('train'))}: no training questions`);
  let longest = 0;
  const failures: string[] = [];
  for (const videoId of videoIds) {
    const media = datasetMediaFiles(root, videoId);
    try {
      longest = Math.max(longest, await mediaSeconds(media));
    } catch (error) {
      const path = media.kind === 'mp4' ? media.path : media.wavPath;
      failures.push(`video ${videoId} (${path}): ${(error as Error).message}`);
    }
  }
  // A broken video is `data prepare`'s to report; only when none can be read is there no length.
  if (failures.length === videoIds.length) {
    throw new Error(
      `cannot read the clip length of any of the first training videos:\n  ${failures.join('\n  ')}`,
    );
  }
  return Math.min(MUSIC_AVQA_SECONDS, Math.max(1, Math.round(longest)));
}

/** The model inputs at `timeSteps` seconds of video and audio (DEFAULT_INPUTS has 5). */
export function inputsWithTimeSteps(timeSteps: number): InputSpec {
  if (timeSteps === DEFAULT_INPUTS.video.timeSteps && timeSteps === DEFAULT_INPUTS.audio.timeSteps)
    return DEFAULT_INPUTS;
  return {
    video: { ...DEFAULT_INPUTS.video, timeSteps },
    audio: { ...DEFAULT_INPUTS.audio, timeSteps },
  } as InputSpec;
}

/** Loads (generating on first use) the data a config names, at `timeSteps` seconds per clip. */
export async function loadDataset(
  spec: DataSpec,
  logger: Logger,
  timeSteps: number = DEFAULT_INPUTS.video.timeSteps,
): Promise<LoadedDataset> {
  const inputs = inputsWithTimeSteps(timeSteps);
  if (spec.kind === 'synthetic') {
    return { ...(await loadSyntheticDataset(spec, inputs, logger)), inputs };
  }
  return loadMusicAvqa(spec.root, inputs, logger);
}

/**
 * A MUSIC-AVQA folder (json/avqa-{train,val,test}.json and raw media): each video is
 * decoded once into the preprocessing cache of @sparsify/avqa-datasets (`sparsify data
 * prepare` fills it in parallel beforehand) and reduced to the model's inputs.
 */
async function loadMusicAvqa(
  root: string,
  inputs: InputSpec,
  logger: Logger,
): Promise<LoadedDataset> {
  const file = (split: 'train' | 'val' | 'test') => join(root, SYNTH_LAYOUT.annotations(split));
  for (const split of ['train', 'val', 'test'] as const) {
    if (!existsSync(file(split))) throw new ConfigError('--root', `${file(split)} is missing`);
  }
  const [train, val, test] = await Promise.all(
    [file('train'), file('val'), file('test')].map((f) => readAnnotationFile(f)),
  );
  if (!train || !val || !test) throw new Error('unreachable');
  const seconds = await datasetClipSeconds(root, train.records);
  logger.event('clip-seconds', { root, seconds }, `${root}: clips preprocessed at ${seconds} s`);
  const settings = preprocessSettingsFor(inputs, seconds);
  const samples = cacheSource({
    cacheDir: join(root, '.cache'),
    settings,
    media: (id) => datasetMediaFiles(root, id),
  });
  const reduced = async (videoId: string) => sampleToInputs(await samples.load(videoId), inputs);
  const statsVideos = [...new Set(train.records.map((r) => r.videoId))].slice(
    0,
    FBANK_STATS_VIDEOS,
  );
  const progress = logger.progress('fbank statistics', statsVideos.length);
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (const videoId of statsVideos) {
    for (const value of (await reduced(videoId)).fbank) {
      sum += value;
      sumSquares += value * value;
      count++;
    }
    progress.tick();
  }
  progress.finish();
  const mean = sum / Math.max(1, count);
  const fbankStats = {
    mean,
    std: Math.sqrt(Math.max(1e-12, sumSquares / Math.max(1, count) - mean * mean)),
  };
  const memory = new Map<string, VideoMedia>();
  const media = async (videoId: string): Promise<VideoMedia> => {
    const hit = memory.get(videoId);
    if (hit) return hit;
    const { frames, fbank } = await reduced(videoId);
    const entry = { frames, fbank: normaliseFbank(fbank, fbankStats) };
    if (memory.size < MEMORY_CACHE_VIDEOS) memory.set(videoId, entry);
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
  };
}
