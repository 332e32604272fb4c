import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { float16ToNumber, numberToFloat16 } from '../features/float16.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import type { MediaFiles } from '../media/decode.js';
import { CacheEntryError, decodeCacheEntry, encodeCacheEntry } from './entry-format.js';
import { preprocessVideo } from './preprocess-video.js';
import { type PreprocessSettings, settingsHash } from './settings.js';
import type { VideoSample } from './video-sample.js';

/** What happened when a video was asked of the cache. */
export type CacheOutcome = 'cached' | 'built' | 'rebuilt';

/** `<cacheDir>/<settings hash>/<videoId>.avqc`: different settings never share a file. */
export function cacheEntryPath(
  cacheDir: string,
  videoId: string,
  settings: PreprocessSettings,
): string {
  return join(cacheDir, settingsHash(settings), `${videoId}.avqc`);
}

/**
 * Size and mtime of the media files: a replaced source makes its entry stale. A frames
 * folder counts by its files (name, size and mtime of each, hashed): the folder's own
 * mtime changes when a file is added or removed, not when one is rewritten in place.
 */
export async function sourceFingerprint(media: MediaFiles): Promise<string> {
  const stamp = (s: { size: number; mtimeMs: number }) => `${s.size}:${Math.floor(s.mtimeMs)}`;
  if (media.kind === 'mp4') return stamp(await stat(media.path));
  const files = (await readdir(media.framesDir)).sort();
  const stats = await Promise.all(files.map((f) => stat(join(media.framesDir, f))));
  const listing = files.map(
    (f, i) => `${f}:${stamp(stats[i] as { size: number; mtimeMs: number })}`,
  );
  const framesHash = createHash('sha256').update(listing.join('\n')).digest('hex').slice(0, 16);
  return `frames:${files.length}:${framesHash}|${stamp(await stat(media.wavPath))}`;
}

/**
 * The cached sample of a video, or undefined when there is none; throws CacheEntryError
 * when the entry is corrupt (truncated, bad checksum) or stale (other settings, other source).
 */
export async function readCacheEntry(
  path: string,
  expected: { videoId: string; settingsHash: string; source?: string },
): Promise<VideoSample | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const { header, sample } = decodeCacheEntry(bytes, path);
  if (header.videoId !== expected.videoId)
    throw new CacheEntryError(path, 'stale', `holds video ${header.videoId}`);
  if (header.settingsHash !== expected.settingsHash)
    throw new CacheEntryError(path, 'stale', 'settings changed');
  if (expected.source !== undefined && header.source !== expected.source) {
    throw new CacheEntryError(path, 'stale', 'source media changed');
  }
  return sample;
}

/** Writes to a temporary file in the same directory, then renames: readers never see half a file. */
export async function writeCacheEntry(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}

/** The video's sample from the cache, decoding (and caching) it when missing, corrupt or stale. */
export async function loadOrBuildCacheEntry(
  videoId: string,
  media: MediaFiles,
  cacheDir: string,
  settings: PreprocessSettings,
): Promise<{ sample: VideoSample; outcome: CacheOutcome }> {
  const path = cacheEntryPath(cacheDir, videoId, settings);
  const hash = settingsHash(settings);
  const source = await sourceFingerprint(media);
  let outcome: CacheOutcome = 'built';
  try {
    const cached = await readCacheEntry(path, { videoId, settingsHash: hash, source });
    if (cached) return { sample: cached, outcome: 'cached' };
  } catch (error) {
    if (!(error instanceof CacheEntryError)) throw error;
    outcome = 'rebuilt';
  }
  const sample = await preprocessVideo(media, settings);
  await writeCacheEntry(
    path,
    encodeCacheEntry(sample, {
      videoId,
      settingsHash: hash,
      source,
      audioDtype: settings.audioDtype,
    }),
  );
  // A fresh build returns exactly what later reads of the entry will return.
  if (settings.audioDtype === 'float16') roundToFloat16(sample.audio.data);
  return { sample, outcome };
}

function roundToFloat16(values: Float32Array) {
  for (let i = 0; i < values.length; i++) values[i] = float16ToNumber(numberToFloat16(values[i]!));
}
