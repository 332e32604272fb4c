import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFfmpegThreads, prepareDataset } from '../../src/cache/prepare-dataset.js';
import { resolveSettings } from '../../src/cache/settings.js';
import { resolveFfmpeg } from '../../src/media/ffmpeg.js';
import { generateSyntheticBenchmark } from '../../src/synth/generate.js';
import { syntheticMediaFiles } from '../../src/synth/layout.js';

const ffmpeg = await resolveFfmpeg().catch(() => null);

describe('defaultFfmpegThreads', () => {
  it("leaves one worker's ffmpeg its own threads and gives each of two or more workers one", () => {
    expect(defaultFfmpegThreads(1)).toBe(0);
    expect(defaultFfmpegThreads(2)).toBe(1);
    expect(defaultFfmpegThreads(8)).toBe(1);
  });
});

// The workers resolve ffmpeg again in their own threads, through FFMPEG_PATH: a wrapper there
// logs the arguments each ffmpeg is started with, then runs the real one.
describe.skipIf(!ffmpeg)('prepareDataset passes the threads to ffmpeg (needs ffmpeg)', () => {
  let root: string;
  let log: string;
  let videoIds: string[];
  const previous = process.env.FFMPEG_PATH;
  const settings = resolveSettings({
    seconds: 3,
    frameHeight: 16,
    frameWidth: 16,
    fbank: { melBins: 24 },
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'avqa-prepare-ffmpeg-'));
    const bench = await generateSyntheticBenchmark({
      videos: 4,
      seconds: 3,
      frameSize: 16,
      out: join(root, 'data'),
      media: 'mp4',
      seed: 5,
    });
    videoIds = bench.scenes.map((s) => s.videoId);
    log = join(root, 'args.log');
    const wrapper = join(root, 'ffmpeg-wrapper.sh');
    await writeFile(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${ffmpeg}' "$@"\n`);
    await chmod(wrapper, 0o755);
    process.env.FFMPEG_PATH = wrapper;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.FFMPEG_PATH;
    else process.env.FFMPEG_PATH = previous;
    await rm(root, { recursive: true, force: true });
  });

  async function prepare(workers: number, ffmpegThreads?: number): Promise<string[]> {
    await rm(log, { force: true });
    const summary = await prepareDataset({
      jobs: videoIds.map((videoId) => ({
        videoId,
        media: syntheticMediaFiles(join(root, 'data'), videoId, 'mp4'),
      })),
      cacheDir: join(root, `cache-${workers}-${ffmpegThreads ?? 'default'}`),
      settings,
      workers,
      ...(ffmpegThreads === undefined ? {} : { ffmpegThreads }),
    });
    expect(summary.failed).toEqual([]);
    expect(summary.built).toBe(videoIds.length);
    return (await readFile(log, 'utf8')).trim().split('\n');
  }

  it('single-threaded ffmpegs at 2 workers, ffmpeg chooses at 1, and --ffmpeg-threads overrides both', async () => {
    const two = await prepare(2);
    expect(two.length).toBeGreaterThanOrEqual(videoIds.length);
    for (const args of two) expect(args).toContain('-threads 1 -filter_threads 1');

    const one = await prepare(1);
    expect(one.length).toBeGreaterThanOrEqual(videoIds.length);
    for (const args of one) expect(args).not.toContain(' -threads ');

    for (const args of await prepare(2, 0)) expect(args).not.toContain(' -threads ');
    for (const args of await prepare(1, 3)) expect(args).toContain('-threads 3 -filter_threads 3');
  });
});
