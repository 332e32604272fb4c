import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InputSpec } from '@sparsify/amuse-encoder';
import {
  fbankPerSecond,
  readAnnotationFile,
  renderSceneMedia,
  SYNTH_LAYOUT,
  synthesizeAnnotations,
} from '@sparsify/avqa-datasets';
import type { Logger } from '../log/logger.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { MediaBatchSource, type VideoMedia } from './media-batch-source.js';
import type { BatchSource } from './types.js';

/** The generator's settings that change the data: part of the cache key. */
export interface SyntheticSpec {
  dir: string;
  videos: number;
  seed: number;
}

/** What the cache folder's media.json records, to detect a stale or foreign cache. */
interface MediaHeader {
  version: 1;
  spec: { videos: number; seed: number; inputs: InputSpec };
  videoIds: string[];
  /** fbank normalisation from the training videos: (x - mean) / std. */
  fbankMean: number;
  fbankStd: number;
}

const SAMPLE_RATE = 16000;
const FRAME_LENGTH_MS = 25;

/** Time steps picked uniformly from a clip of `seconds` (AMUSE samples 5 frames uniformly). */
export function uniformTimeSteps(seconds: number, steps: number): number[] {
  if (steps > seconds) throw new Error(`cannot pick ${steps} time steps from a ${seconds} s clip`);
  return Array.from({ length: steps }, (_, i) => Math.floor(((i + 0.5) * seconds) / steps));
}

/**
 * Renders a scene's media in memory and reduces it to the encoder's input: T frames and
 * T one-second fbank windows of `frames x melBins` (the frame shift is chosen so one
 * second yields exactly `frames` frames).
 */
export function sceneToInputs(
  scene: Parameters<typeof renderSceneMedia>[0],
  inputs: InputSpec,
  noise: number,
): { frames: Uint8Array; fbank: Float32Array } {
  const { video, audio } = inputs;
  if (video.kind !== 'frames' || audio.kind !== 'fbank') throw new Error('synthetic data renders frames and fbank');
  const rendered = renderSceneMedia(scene, { frameSize: [video.height, video.width], noise, sampleRate: SAMPLE_RATE });
  const seconds = rendered.frames.shape[0];
  const frameShiftMs = (1000 - FRAME_LENGTH_MS) / (audio.frames - 1);
  const fbank = fbankPerSecond(rendered.waveform, seconds, {
    sampleRate: SAMPLE_RATE,
    melBins: audio.melBins,
    frameLengthMs: FRAME_LENGTH_MS,
    frameShiftMs: Math.floor(frameShiftMs * 16) / 16,
  });
  const [, fbankFrames, melBins] = fbank.shape;
  if (fbankFrames < audio.frames) throw new Error(`fbank has ${fbankFrames} frames per second, need ${audio.frames}`);
  const frameSize = video.height * video.width * 3;
  const windowSize = audio.frames * melBins;
  const frames = new Uint8Array(video.timeSteps * frameSize);
  const windows = new Float32Array(audio.timeSteps * windowSize);
  uniformTimeSteps(seconds, video.timeSteps).forEach((second, t) => {
    frames.set(rendered.frames.data.subarray(second * frameSize, (second + 1) * frameSize), t * frameSize);
  });
  uniformTimeSteps(seconds, audio.timeSteps).forEach((second, t) => {
    const start = second * fbankFrames * melBins;
    windows.set(fbank.data.subarray(start, start + windowSize), t * windowSize);
  });
  return { frames, fbank: windows };
}

function sameSpec(header: MediaHeader, spec: SyntheticSpec, inputs: InputSpec): boolean {
  return (
    header.version === 1 &&
    header.spec.videos === spec.videos &&
    header.spec.seed === spec.seed &&
    JSON.stringify(header.spec.inputs) === JSON.stringify(inputs)
  );
}

/**
 * The synthetic benchmark, generated on first use and cached in `spec.dir`: annotations
 * in the MUSIC-AVQA layout (json/avqa-{train,val,test}.json) and the model inputs of every
 * video (frames.u8, fbank.f32, media.json). A cache made with other settings is rebuilt.
 */
export async function loadSyntheticDataset(
  spec: SyntheticSpec,
  inputs: InputSpec,
  logger: Logger,
): Promise<{ train: BatchSource; val: BatchSource; test: BatchSource; trainAnnotationFile: string }> {
  const headerPath = join(spec.dir, 'media.json');
  let header: MediaHeader | null = null;
  if (existsSync(headerPath)) {
    header = JSON.parse(readFileSync(headerPath, 'utf8')) as MediaHeader;
    if (!sameSpec(header, spec, inputs)) {
      logger.warn(`${spec.dir} holds a synthetic benchmark with other settings: rebuilding it`);
      header = null;
    }
  }
  if (!header) header = await buildCache(spec, inputs, logger);
  else logger.event('data-cache', { dir: spec.dir }, `synthetic benchmark: cached in ${spec.dir}`);

  const frames = new Uint8Array(readFileSync(join(spec.dir, 'frames.u8')));
  const fbankBytes = readFileSync(join(spec.dir, 'fbank.f32'));
  const fbank = new Float32Array(fbankBytes.buffer.slice(fbankBytes.byteOffset, fbankBytes.byteOffset + fbankBytes.byteLength));
  const { video, audio } = inputs as { video: { timeSteps: number; height: number; width: number }; audio: { timeSteps: number; frames: number; melBins: number } };
  const frameValues = video.timeSteps * video.height * video.width * 3;
  const fbankValues = audio.timeSteps * audio.frames * audio.melBins;
  if (frames.length !== header.videoIds.length * frameValues || fbank.length !== header.videoIds.length * fbankValues) {
    throw new Error(`${spec.dir}: media files do not match media.json (delete the folder to rebuild it)`);
  }
  const position = new Map(header.videoIds.map((id, i) => [id, i]));
  const media = (videoId: string): VideoMedia => {
    const i = position.get(videoId);
    if (i === undefined) throw new Error(`${spec.dir}: no media for video ${videoId}`);
    return {
      frames: frames.subarray(i * frameValues, (i + 1) * frameValues),
      fbank: fbank.subarray(i * fbankValues, (i + 1) * fbankValues),
    };
  };
  const split = async (name: 'train' | 'val' | 'test') => {
    const set = await readAnnotationFile(join(spec.dir, SYNTH_LAYOUT.annotations(name)));
    return new MediaBatchSource(name, set.records, media, inputs);
  };
  return {
    train: await split('train'),
    val: await split('val'),
    test: await split('test'),
    trainAnnotationFile: join(spec.dir, SYNTH_LAYOUT.annotations('train')),
  };
}

async function buildCache(spec: SyntheticSpec, inputs: InputSpec, logger: Logger): Promise<MediaHeader> {
  const benchmark = synthesizeAnnotations({ videos: spec.videos, seed: spec.seed, media: 'none' });
  for (const name of ['train', 'val', 'test'] as const) {
    writeFileAtomic(join(spec.dir, SYNTH_LAYOUT.annotations(name)), `${JSON.stringify(benchmark.records[name], null, 2)}\n`);
  }
  const progress = logger.progress('rendering synthetic benchmark', benchmark.scenes.length);
  const rendered = benchmark.scenes.map((scene) => {
    const out = sceneToInputs(scene, inputs, benchmark.options.noise);
    progress.tick();
    return out;
  });
  progress.finish();
  const frameValues = rendered[0]?.frames.length ?? 0;
  const fbankValues = rendered[0]?.fbank.length ?? 0;
  const frames = new Uint8Array(rendered.length * frameValues);
  const fbank = new Float32Array(rendered.length * fbankValues);
  rendered.forEach((r, i) => {
    frames.set(r.frames, i * frameValues);
    fbank.set(r.fbank, i * fbankValues);
  });
  // Normalise log-mel energies with statistics of the training videos only (as AST does).
  const videoIds = benchmark.scenes.map((scene) => scene.videoId);
  const trainVideos = new Set(benchmark.splitVideos.train);
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  videoIds.forEach((id, i) => {
    if (!trainVideos.has(id)) return;
    for (const value of fbank.subarray(i * fbankValues, (i + 1) * fbankValues)) {
      sum += value;
      sumSquares += value * value;
      count++;
    }
  });
  const mean = sum / Math.max(1, count);
  const std = Math.sqrt(Math.max(1e-12, sumSquares / Math.max(1, count) - mean * mean));
  for (let i = 0; i < fbank.length; i++) fbank[i] = ((fbank[i] as number) - mean) / std;
  writeFileAtomic(join(spec.dir, 'frames.u8'), frames);
  writeFileAtomic(join(spec.dir, 'fbank.f32'), new Uint8Array(fbank.buffer));
  const header: MediaHeader = {
    version: 1,
    spec: { videos: spec.videos, seed: spec.seed, inputs },
    videoIds,
    fbankMean: mean,
    fbankStd: std,
  };
  // media.json last: its presence marks a complete cache.
  writeFileAtomic(join(spec.dir, 'media.json'), `${JSON.stringify(header)}\n`);
  logger.event('data-built', { dir: spec.dir, videos: spec.videos }, `synthetic benchmark: ${spec.videos} videos cached in ${spec.dir}`);
  return header;
}
