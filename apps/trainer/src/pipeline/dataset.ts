import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS, type InputSpec } from '@sparsify/amuse-encoder';
import {
  cacheSource,
  type MediaFiles,
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

/** The official clip length of MUSIC-AVQA videos. */
const MUSIC_AVQA_SECONDS = 60;
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

/** Loads (generating on first use) the data a config names. */
export async function loadDataset(spec: DataSpec, logger: Logger): Promise<LoadedDataset> {
  const inputs = DEFAULT_INPUTS;
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
  const settings = preprocessSettingsFor(inputs, MUSIC_AVQA_SECONDS);
  const samples = cacheSource({
    cacheDir: join(root, '.cache'),
    settings,
    media: (id) => datasetMediaFiles(root, id),
  });
  const [train, val, test] = await Promise.all(
    [file('train'), file('val'), file('test')].map((f) => readAnnotationFile(f)),
  );
  if (!train || !val || !test) throw new Error('unreachable');
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
    seconds: MUSIC_AVQA_SECONDS,
    fbankStats,
  };
}
