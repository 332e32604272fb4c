import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.js';
import type { MediaFiles } from '../media/decode.js';
import { sourceFingerprint } from './cache-store.js';
import { CacheEntryError, decodeCacheEntry } from './entry-format.js';

export interface MergeCacheOptions {
  /** Cache folders to merge from (each holds <settings hash>/<videoId>.avqc). */
  from: readonly string[];
  /** The cache folder to merge into (usually <root>/.cache). */
  into: string;
  /**
   * When given, every merged entry's recorded source (size and mtime of its media) is compared
   * with the media here: an entry whose media differ would be rebuilt by train.
   */
  media?: (videoId: string) => MediaFiles;
}

export interface MergeCacheSummary {
  copied: number;
  /** Already in `into` and valid. */
  present: number;
  /** Corrupt or mislabelled entries in a source folder (not copied). */
  invalid: { path: string; error: string }[];
  /** Merged entries whose source differs from the local media (`media` given). */
  stale: { videoId: string; reason: string }[];
}

async function validEntry(path: string, settingsHash: string, videoId: string) {
  const bytes = await readFile(path);
  const { header } = decodeCacheEntry(bytes, path);
  if (header.settingsHash !== settingsHash || header.videoId !== videoId) {
    throw new CacheEntryError(
      path,
      'stale',
      `holds video ${header.videoId} with settings ${header.settingsHash}`,
    );
  }
  return header;
}

/**
 * Merges preprocessing caches prepared on several machines (`--shard i/n`) into one: each
 * entry is checked (magic, checksum, video id and settings hash against its path) before it
 * is copied, copies go to a temporary file and are renamed, and entries already valid in
 * `into` are kept. Safe to run again after an interruption.
 */
export async function mergeCache(options: MergeCacheOptions): Promise<MergeCacheSummary> {
  const summary: MergeCacheSummary = { copied: 0, present: 0, invalid: [], stale: [] };
  for (const source of options.from) {
    for (const hashDir of await readdir(source, { withFileTypes: true })) {
      if (!hashDir.isDirectory()) continue;
      const settingsHash = hashDir.name;
      for (const name of await readdir(join(source, settingsHash))) {
        if (!name.endsWith('.avqc')) continue;
        const videoId = name.slice(0, -'.avqc'.length);
        const from = join(source, settingsHash, name);
        const to = join(options.into, settingsHash, name);
        let header: Awaited<ReturnType<typeof validEntry>>;
        try {
          header = await validEntry(from, settingsHash, videoId);
        } catch (error) {
          if (!(error instanceof CacheEntryError)) throw error;
          summary.invalid.push({ path: from, error: error.message });
          continue;
        }
        const present = await validEntry(to, settingsHash, videoId).then(
          () => true,
          () => false,
        );
        if (present) summary.present++;
        else {
          await writeFileAtomic(to, (temporary) => copyFile(from, temporary));
          summary.copied++;
        }
        if (options.media) {
          const local = await sourceFingerprint(options.media(videoId)).catch(
            (error: Error) => `unreadable (${error.message})`,
          );
          if (local !== header.source) {
            summary.stale.push({
              videoId,
              reason: `entry made from media ${header.source}, local media ${local} (size:mtime)`,
            });
          }
        }
      }
    }
  }
  return summary;
}
