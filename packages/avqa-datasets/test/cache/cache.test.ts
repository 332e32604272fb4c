import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheEntryPath, loadOrBuildCacheEntry } from '../../src/cache/cache-store.js';
import {
  CacheEntryError,
  decodeCacheEntry,
  encodeCacheEntry,
} from '../../src/cache/entry-format.js';
import { type PrepareProgress, prepareDataset } from '../../src/cache/prepare-dataset.js';
import { resolveSettings, settingsHash } from '../../src/cache/settings.js';
import type { VideoSample } from '../../src/cache/video-sample.js';
import { generateSyntheticBenchmark } from '../../src/synth/generate.js';
import { syntheticMediaFiles } from '../../src/synth/layout.js';

let root: string;
let data: string;
let videoIds: string[];
const settings = resolveSettings({
  seconds: 3,
  frameHeight: 16,
  frameWidth: 16,
  fbank: { melBins: 24 },
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'avqa-cache-'));
  data = join(root, 'data');
  const bench = await generateSyntheticBenchmark({
    videos: 5,
    seconds: 3,
    frameSize: 16,
    out: data,
    media: 'frames+wav',
    seed: 3,
  });
  videoIds = bench.scenes.map((s) => s.videoId);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function sample(t: number, seed: number): VideoSample {
  return {
    video: {
      data: Uint8Array.from({ length: t * 2 * 3 * 3 }, (_, i) => (i * seed) % 256),
      shape: [t, 2, 3, 3],
    },
    audio: {
      data: Float32Array.from({ length: t * 4 * 5 }, (_, i) => Math.sin(i * seed) * 10),
      shape: [t, 4, 5],
    },
  };
}

const meta = { videoId: 'v', settingsHash: 'h', source: 's', audioDtype: 'float32' as const };

describe('cache entry format', () => {
  it('round-trips float32 exactly and float16 to half precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 50 }), (t, seed) => {
        const original = sample(t, seed);
        const exact = decodeCacheEntry(encodeCacheEntry(original, meta), 'x');
        expect(exact.sample.video).toEqual(original.video);
        expect(exact.sample.audio.data).toEqual(original.audio.data);
        const half = decodeCacheEntry(
          encodeCacheEntry(original, { ...meta, audioDtype: 'float16' }),
          'x',
        );
        const worst = Math.max(
          ...half.sample.audio.data.map((v, i) => Math.abs(v - original.audio.data[i]!)),
        );
        expect(worst).toBeLessThanOrEqual(0.01);
      }),
      { numRuns: 20 },
    );
  });

  it('detects a flipped byte, truncation and a foreign file', () => {
    const bytes = encodeCacheEntry(sample(2, 3), meta);
    const flipped = bytes.slice();
    flipped[bytes.length - 3] = flipped[bytes.length - 3]! ^ 0x40;
    expect(() => decodeCacheEntry(flipped, 'a.avqc')).toThrow(
      /a\.avqc: corrupt cache entry \(checksum mismatch\)/,
    );
    expect(() => decodeCacheEntry(bytes.subarray(0, bytes.length - 1), 'a.avqc')).toThrow(
      CacheEntryError,
    );
    expect(() => decodeCacheEntry(new TextEncoder().encode('RIFF....WAVE'), 'a.avqc')).toThrow(
      /bad magic/,
    );
  });
});

describe('settings', () => {
  it('hash changes with any setting and not with key order', () => {
    const base = settingsHash(settings);
    expect(
      settingsHash(
        resolveSettings({ fbank: { melBins: 24 }, frameWidth: 16, frameHeight: 16, seconds: 3 }),
      ),
    ).toBe(base);
    expect(settingsHash({ ...settings, frameWidth: 17 })).not.toBe(base);
    expect(
      settingsHash({ ...settings, fbank: { ...settings.fbank, windowType: 'hamming' } }),
    ).not.toBe(base);
    expect(() => resolveSettings({ seconds: 0 })).toThrow(/seconds must be a positive integer/);
  });
});

describe('loadOrBuildCacheEntry', () => {
  it('builds once, then reads; rebuilds corrupt, stale and replaced-source entries', async () => {
    const cacheDir = join(root, 'cache-single');
    const id = videoIds[0]!;
    const media = syntheticMediaFiles(data, id, 'frames+wav');
    const first = await loadOrBuildCacheEntry(id, media, cacheDir, settings);
    expect(first.outcome).toBe('built');
    expect(first.sample.video.shape).toEqual([3, 16, 16, 3]);
    expect(first.sample.audio.shape).toEqual([3, 98, 24]);
    const second = await loadOrBuildCacheEntry(id, media, cacheDir, settings);
    expect(second.outcome).toBe('cached');
    expect(second.sample.audio.data).toEqual(first.sample.audio.data);

    const path = cacheEntryPath(cacheDir, id, settings);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    expect((await loadOrBuildCacheEntry(id, media, cacheDir, settings)).outcome).toBe('rebuilt');
    expect((await loadOrBuildCacheEntry(id, media, cacheDir, settings)).outcome).toBe('cached');

    // Another video's entry under this name (e.g. copied by hand) is stale.
    await copyFile(
      cacheEntryPath(cacheDir, id, settings),
      cacheEntryPath(cacheDir, videoIds[1]!, settings),
    );
    const other = syntheticMediaFiles(data, videoIds[1]!, 'frames+wav');
    expect((await loadOrBuildCacheEntry(videoIds[1]!, other, cacheDir, settings)).outcome).toBe(
      'rebuilt',
    );

    // Touching the source media makes the entry stale.
    const later = new Date(Date.now() + 5000);
    await utimes(media.kind === 'frames+wav' ? media.wavPath : media.path, later, later);
    expect((await loadOrBuildCacheEntry(id, media, cacheDir, settings)).outcome).toBe('rebuilt');

    // A frame rewritten in place (the folder's own size and mtime unchanged) is detected.
    if (media.kind !== 'frames+wav') throw new Error('frames+wav expected');
    const { readdir, stat } = await import('node:fs/promises');
    const frame = join(media.framesDir, (await readdir(media.framesDir)).sort()[1]!);
    const folderBefore = await stat(media.framesDir);
    const pixels = await readFile(frame);
    await writeFile(frame, pixels);
    const rewritten = new Date(Date.now() + 10_000);
    await utimes(frame, rewritten, rewritten);
    const folderAfter = await stat(media.framesDir);
    expect([folderAfter.size, folderAfter.mtimeMs]).toEqual([
      folderBefore.size,
      folderBefore.mtimeMs,
    ]);
    expect((await loadOrBuildCacheEntry(id, media, cacheDir, settings)).outcome).toBe('rebuilt');
    expect((await loadOrBuildCacheEntry(id, media, cacheDir, settings)).outcome).toBe('cached');

    // Other settings live under another key.
    const wider = resolveSettings({ ...settings, frameWidth: 8 });
    expect(cacheEntryPath(cacheDir, id, wider)).not.toBe(path);
    expect((await loadOrBuildCacheEntry(id, media, cacheDir, wider)).outcome).toBe('built');
  });

  it('returns float16-rounded audio on the first build too', async () => {
    const cacheDir = join(root, 'cache-half');
    const half = resolveSettings({ ...settings, audioDtype: 'float16' });
    const media = syntheticMediaFiles(data, videoIds[2]!, 'frames+wav');
    const built = await loadOrBuildCacheEntry(videoIds[2]!, media, cacheDir, half);
    const read = await loadOrBuildCacheEntry(videoIds[2]!, media, cacheDir, half);
    expect(read.outcome).toBe('cached');
    expect(read.sample.audio.data).toEqual(built.sample.audio.data);
  });
});

describe('prepareDataset', () => {
  it('fills the cache with worker threads, reports progress, and skips valid entries next time', async () => {
    const cacheDir = join(root, 'cache-prepare');
    const jobs = videoIds.map((videoId) => ({
      videoId,
      media: syntheticMediaFiles(data, videoId, 'frames+wav'),
    }));
    jobs.push({ videoId: 'missing', media: { kind: 'mp4', path: join(data, 'nope.mp4') } });
    const progress: PrepareProgress[] = [];
    const summary = await prepareDataset({
      jobs,
      cacheDir,
      settings,
      workers: 2,
      onProgress: (p) => progress.push(p),
    });
    expect(summary).toMatchObject({ total: 6, built: 5, cached: 0, rebuilt: 0 });
    expect(summary.failed.map((f) => f.videoId)).toEqual(['missing']);
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(progress.map((p) => p.videoId))).toEqual(new Set(jobs.map((j) => j.videoId)));

    const entry = cacheEntryPath(cacheDir, videoIds[3]!, settings);
    const bytes = await readFile(entry);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    await mkdir(dirname(entry), { recursive: true });
    await writeFile(entry, bytes);
    const again = await prepareDataset({ jobs: jobs.slice(0, 5), cacheDir, settings, workers: 0 });
    expect(again).toMatchObject({ total: 5, built: 0, cached: 4, rebuilt: 1, failed: [] });
  });
});
