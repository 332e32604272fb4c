/**
 * One shard of a dataset's videos, for preparing the cache on several machines: shard i of n
 * (0 <= i < n) holds the videos whose id hashes to i. The hash (FNV-1a, 32 bit, over the
 * id's UTF-16 code units) depends on the id alone, so every machine agrees on the shards
 * without sharing a list, and the n shards cover every video exactly once.
 */
export interface Shard {
  index: number;
  count: number;
}

/** Parses "i/n" (e.g. "0/4"); errors name the flag. */
export function parseShard(text: string, flag = '--shard'): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !(count >= 1) || !(index < count)) {
    throw new Error(`${flag}: expected i/n with 0 <= i < n (e.g. 0/4), got "${text}"`);
  }
  return { index, count };
}

/** FNV-1a over the id: stable across machines, runs and Node versions. */
export function videoIdHash(videoId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < videoId.length; i++) {
    hash ^= videoId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function inShard(videoId: string, shard: Shard): boolean {
  return videoIdHash(videoId) % shard.count === shard.index;
}
