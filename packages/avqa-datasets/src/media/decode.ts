import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { runFfmpeg } from './ffmpeg.js';
import { parseWav, toMono } from './wav.js';

export interface VideoDecodeOptions {
  /** Clip length in seconds; the official rule is 60 (short clips repeat their last second). */
  seconds: number;
  /** Frames per second to sample (the official preprocessing uses 1). */
  fps: number;
  height: number;
  width: number;
}

export interface AudioDecodeOptions {
  seconds: number;
  /** Output sample rate; the official audio front ends use 16 kHz mono. */
  sampleRate: number;
}

/** Frames as uint8 RGB, shape [T, H, W, 3] with T = seconds * fps. */
export interface DecodedFrames {
  data: Uint8Array;
  shape: [number, number, number, number];
}

/** Where one video's media lives: an mp4 (or any container ffmpeg reads), or the frames folder + wav layout. */
export type MediaFiles =
  | { kind: 'mp4'; path: string }
  | { kind: 'frames+wav'; framesDir: string; wavPath: string };

/** Decodes a video file to fixed-rate resized RGB frames through ffmpeg's rawvideo pipe. */
export async function decodeVideoFrames(
  path: string,
  options: VideoDecodeOptions,
): Promise<DecodedFrames> {
  const { seconds, fps, height, width } = checkVideoOptions(options);
  const raw = await runFfmpeg([
    '-i',
    path,
    '-an',
    '-t',
    String(seconds),
    '-vf',
    `fps=${fps},scale=${width}:${height}:flags=area`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ]).catch(noStream('video', path));
  return padFrames(raw, Math.round(seconds * fps), height, width, path);
}

/**
 * Decodes a LAVisH / DG-SCT frames folder (numbered .jpg / .png, one per second unless
 * folderFps says otherwise) by piping the images through ffmpeg, so no image library is needed.
 */
export async function decodeFramesFolder(
  dir: string,
  options: VideoDecodeOptions & { folderFps?: number },
): Promise<DecodedFrames> {
  const { seconds, fps, height, width } = checkVideoOptions(options);
  const folderFps = options.folderFps ?? fps;
  const files = (await readdir(dir))
    .filter((f) => ['.jpg', '.jpeg', '.png'].includes(extname(f).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (files.length === 0) throw new Error(`${dir}: no .jpg or .png frames`);
  const wanted = Math.round(seconds * fps);
  const picked: string[] = [];
  for (let i = 0; i < wanted; i++) {
    const file = files[Math.floor((i * folderFps) / fps)];
    if (file === undefined) break;
    picked.push(file);
  }
  const codecs = new Set(
    picked.map((f) => (extname(f).toLowerCase() === '.png' ? 'png' : 'mjpeg')),
  );
  if (codecs.size !== 1) throw new Error(`${dir}: frames mix .png and .jpg files`);
  checkFrameNumbering(dir, files);
  const images = await Promise.all(picked.map((f) => readFile(join(dir, f))));
  for (const [i, image] of images.entries()) {
    if (image.length === 0)
      throw new Error(`${join(dir, picked[i] as string)}: empty frame file (0 bytes)`);
  }
  const raw = await runFfmpeg(
    [
      '-f',
      'image2pipe',
      '-c:v',
      [...codecs][0] as string,
      '-i',
      'pipe:0',
      '-vf',
      `scale=${width}:${height}:flags=area`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    Buffer.concat(images),
  ).catch((error: Error) => {
    throw new Error(`${dir}: cannot decode the frames (${error.message})`);
  });
  // Padding is for clips shorter than `seconds`, never for frames that failed to decode.
  const decoded = Math.floor(raw.length / (height * width * 3));
  if (decoded < picked.length) {
    throw new Error(
      `${dir}: decoded ${decoded} of ${picked.length} frames (${picked[decoded]} or a later one is damaged)`,
    );
  }
  return padFrames(raw, wanted, height, width, dir);
}

/**
 * Numbered frames must run without a gap: a missing file would shift every later frame one
 * second early and pad the end with copies of the last.
 */
function checkFrameNumbering(dir: string, sortedFiles: readonly string[]): void {
  const numbers = sortedFiles.map((file) => /(\d+)\.[a-z]+$/i.exec(file)?.[1]);
  if (numbers.some((n) => n === undefined)) return;
  for (let i = 1; i < numbers.length; i++) {
    const previous = Number(numbers[i - 1]);
    const current = Number(numbers[i]);
    if (current !== previous + 1) {
      const width = (numbers[i - 1] as string).length;
      const missing = String(previous + 1).padStart(width, '0');
      const name = (sortedFiles[i - 1] as string).replace(/\d+(\.[a-z]+)$/i, `${missing}$1`);
      throw new Error(
        `${join(dir, name)}: frame missing (the folder jumps from ${sortedFiles[i - 1]} to ${sortedFiles[i]})`,
      );
    }
  }
}

/** ffmpeg's words for "the input has no stream of the kind asked for". */
const NO_STREAM =
  /does not contain any stream|Stream map .* matches no streams|Output file .* does not contain any stream/i;

function noStream(kind: 'audio' | 'video', path: string) {
  return (error: Error): never => {
    if (NO_STREAM.test(error.message)) {
      throw new Error(`${path}: no ${kind} stream (MUSIC-AVQA needs both video and audio)`);
    }
    throw error;
  };
}

/** Mono float audio at the requested rate through ffmpeg's f32le pipe, padded to `seconds`. */
export async function decodeAudio(
  path: string,
  options: AudioDecodeOptions,
): Promise<Float32Array> {
  const raw = await runFfmpeg([
    '-i',
    path,
    '-vn',
    '-t',
    String(options.seconds),
    '-ac',
    '1',
    '-ar',
    String(options.sampleRate),
    '-f',
    'f32le',
    'pipe:1',
  ]).catch(noStream('audio', path));
  const samples = new Float32Array(
    raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength - (raw.byteLength % 4)),
  );
  return padAudio(samples, options.seconds, options.sampleRate, path);
}

/** Rate the soundtrack is decoded at just to count its seconds: one byte per sample. */
const DURATION_SAMPLE_RATE = 1000;

/**
 * Seconds of a video's soundtrack, uncut: from the wav header and length (frames+wav), or
 * by decoding the mp4's audio at 1 kHz, one unsigned byte per sample, and counting bytes.
 */
export async function mediaSeconds(media: MediaFiles): Promise<number> {
  if (media.kind === 'frames+wav') {
    const wav = parseWav(await readFile(media.wavPath), media.wavPath);
    return wav.samples.length / wav.channels / wav.sampleRate;
  }
  const raw = await runFfmpeg([
    '-i',
    media.path,
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(DURATION_SAMPLE_RATE),
    '-f',
    'u8',
    'pipe:1',
  ]).catch(noStream('audio', media.path));
  return raw.length / DURATION_SAMPLE_RATE;
}

/**
 * Reads a .wav in TypeScript; only when its rate differs from the requested one does it
 * fall back to ffmpeg for resampling.
 */
export async function decodeWavFile(
  path: string,
  options: AudioDecodeOptions,
): Promise<Float32Array> {
  const wav = parseWav(await readFile(path), path);
  if (wav.sampleRate !== options.sampleRate) return decodeAudio(path, options);
  const mono = toMono(wav);
  return padAudio(
    mono.subarray(0, options.seconds * options.sampleRate),
    options.seconds,
    options.sampleRate,
    path,
  );
}

/** Frames and waveform of one video in either layout. */
export async function decodeMedia(
  media: MediaFiles,
  video: VideoDecodeOptions,
  audio: AudioDecodeOptions,
): Promise<{ frames: DecodedFrames; waveform: Float32Array }> {
  if (media.kind === 'mp4') {
    const [frames, waveform] = await Promise.all([
      decodeVideoFrames(media.path, video),
      decodeAudio(media.path, audio),
    ]);
    return { frames, waveform };
  }
  const [frames, waveform] = await Promise.all([
    decodeFramesFolder(media.framesDir, video),
    decodeWavFile(media.wavPath, audio),
  ]);
  return { frames, waveform };
}

function checkVideoOptions(options: VideoDecodeOptions): VideoDecodeOptions {
  const { seconds, fps, height, width } = options;
  for (const [name, value] of Object.entries({ seconds, fps, height, width })) {
    if (!(value > 0 && Number.isFinite(value)))
      throw new Error(`video decode option ${name} must be positive, got ${value}`);
  }
  if (!Number.isInteger(height) || !Number.isInteger(width))
    throw new Error(`frame size must be integers, got ${height}x${width}`);
  return options;
}

/** Keeps the first `count` frames, repeating the last one when the clip is short (the official rule). */
export function padFrames(
  raw: Uint8Array,
  count: number,
  height: number,
  width: number,
  source: string,
): DecodedFrames {
  const frameBytes = height * width * 3;
  const available = Math.floor(raw.length / frameBytes);
  if (available === 0) throw new Error(`${source}: decoded no frames`);
  const data = new Uint8Array(count * frameBytes);
  data.set(raw.subarray(0, Math.min(available, count) * frameBytes));
  const last = raw.subarray(
    (Math.min(available, count) - 1) * frameBytes,
    Math.min(available, count) * frameBytes,
  );
  for (let t = available; t < count; t++) data.set(last, t * frameBytes);
  return { data, shape: [count, height, width, 3] };
}

/** Pads a short waveform by repeating its last second (the frames' rule, applied to audio). */
export function padAudio(
  samples: Float32Array,
  seconds: number,
  sampleRate: number,
  source: string,
): Float32Array {
  const length = seconds * sampleRate;
  if (samples.length === 0) throw new Error(`${source}: decoded no audio`);
  if (samples.length >= length) return samples.slice(0, length);
  const out = new Float32Array(length);
  out.set(samples);
  const period = Math.min(sampleRate, samples.length);
  const tail = samples.subarray(samples.length - period);
  for (let i = samples.length; i < length; i += period)
    out.set(tail.subarray(0, Math.min(period, length - i)), i);
  return out;
}
