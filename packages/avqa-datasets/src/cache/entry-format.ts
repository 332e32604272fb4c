import { float16ToNumber, numberToFloat16 } from '../features/float16.js';
import { crc32 } from '../media/crc32.js';
import type { VideoSample } from './video-sample.js';

/**
 * The cache file of one video:
 *   bytes 0-7   magic "AVQACACH"
 *   bytes 8-11  format version (u32 LE)
 *   bytes 12-15 header length n (u32 LE)
 *   bytes 16..  header, UTF-8 JSON: video id, settings hash, source fingerprint, shapes,
 *               audio dtype, payload length and its CRC-32
 *   then, 8-byte aligned, the payload: frames (uint8) followed, 4-byte aligned, by the
 *   fbank (float32, or float16 bits as uint16).
 */
export const CACHE_MAGIC = 'AVQACACH';
export const CACHE_FORMAT_VERSION = 1;

export interface CacheHeader {
  videoId: string;
  settingsHash: string;
  /** Size and modification time of the media it came from (detects replaced sources). */
  source: string;
  videoShape: [number, number, number, number];
  audioShape: [number, number, number];
  audioDtype: 'float32' | 'float16';
  payloadBytes: number;
  crc32: number;
}

export class CacheEntryError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'corrupt' | 'stale',
    detail: string,
  ) {
    super(`${path}: ${reason} cache entry (${detail})`);
  }
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

export function encodeCacheEntry(
  sample: VideoSample,
  meta: Pick<CacheHeader, 'videoId' | 'settingsHash' | 'source' | 'audioDtype'>,
): Uint8Array {
  const videoBytes = sample.video.data.length;
  const audioOffset = align(videoBytes, 4);
  const elementBytes = meta.audioDtype === 'float16' ? 2 : 4;
  const payloadBytes = audioOffset + sample.audio.data.length * elementBytes;
  const payload = new Uint8Array(payloadBytes);
  payload.set(sample.video.data, 0);
  if (meta.audioDtype === 'float16') {
    const halves = new Uint16Array(payload.buffer, audioOffset, sample.audio.data.length);
    for (let i = 0; i < halves.length; i++) halves[i] = numberToFloat16(sample.audio.data[i]!);
  } else {
    new Float32Array(payload.buffer, audioOffset, sample.audio.data.length).set(sample.audio.data);
  }
  const header: CacheHeader = {
    ...meta,
    videoShape: sample.video.shape,
    audioShape: sample.audio.shape,
    payloadBytes,
    crc32: crc32(payload),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const payloadOffset = align(16 + headerBytes.length, 8);
  const out = new Uint8Array(payloadOffset + payloadBytes);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(CACHE_MAGIC), 0);
  view.setUint32(8, CACHE_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  out.set(payload, payloadOffset);
  return out;
}

/** Reads only the header (to check staleness without verifying the payload). */
export function decodeCacheHeader(
  bytes: Uint8Array,
  path: string,
): { header: CacheHeader; payloadOffset: number } {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== CACHE_MAGIC) {
    throw new CacheEntryError(path, 'corrupt', 'bad magic');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CACHE_FORMAT_VERSION)
    throw new CacheEntryError(path, 'stale', `format version ${version}`);
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.length)
    throw new CacheEntryError(path, 'corrupt', 'truncated header');
  let header: CacheHeader;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)),
    ) as CacheHeader;
  } catch {
    throw new CacheEntryError(path, 'corrupt', 'unreadable header');
  }
  return { header, payloadOffset: align(16 + headerLength, 8) };
}

/** Decodes and verifies a cache entry (length and CRC-32 of the payload). */
export function decodeCacheEntry(
  bytes: Uint8Array,
  path: string,
): { header: CacheHeader; sample: VideoSample } {
  const { header, payloadOffset } = decodeCacheHeader(bytes, path);
  if (bytes.length !== payloadOffset + header.payloadBytes) {
    throw new CacheEntryError(
      path,
      'corrupt',
      `expected ${payloadOffset + header.payloadBytes} bytes, found ${bytes.length}`,
    );
  }
  const payload = bytes.subarray(payloadOffset);
  if (crc32(payload) !== header.crc32)
    throw new CacheEntryError(path, 'corrupt', 'checksum mismatch');
  const videoBytes = header.videoShape.reduce((a, b) => a * b, 1);
  const audioCount = header.audioShape.reduce((a, b) => a * b, 1);
  const audioOffset = align(videoBytes, 4);
  const elementBytes = header.audioDtype === 'float16' ? 2 : 4;
  if (audioOffset + audioCount * elementBytes !== header.payloadBytes) {
    throw new CacheEntryError(path, 'corrupt', 'shapes do not match the payload length');
  }
  // Copies (not views): a Buffer's slice shares the file's memory and its pooled ArrayBuffer.
  const video = new Uint8Array(videoBytes);
  video.set(payload.subarray(0, videoBytes));
  const audioBytes = new Uint8Array(audioCount * elementBytes);
  audioBytes.set(payload.subarray(audioOffset, audioOffset + audioCount * elementBytes));
  let audio: Float32Array;
  if (header.audioDtype === 'float16') {
    const halves = new Uint16Array(audioBytes.buffer);
    audio = new Float32Array(audioCount);
    for (let i = 0; i < audioCount; i++) audio[i] = float16ToNumber(halves[i]!);
  } else {
    audio = new Float32Array(audioBytes.buffer);
  }
  return {
    header,
    sample: {
      video: { data: video, shape: header.videoShape },
      audio: { data: audio, shape: header.audioShape },
    },
  };
}
