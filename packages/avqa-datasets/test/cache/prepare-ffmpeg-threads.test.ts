import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FFMPEG_THREADS, prepareDataset } from '../../src/cache/prepare-dataset.js';
import { resolveSettings } from '../../src/cache/settings.js';
import { resolveFfmpeg } from '../../src/media/ffmpeg.js';
import { generateSyntheticBenchmark } from '../../src/synth/generate.js';
import { syntheticMediaFiles } from '../../src/synth/layout.js';

const ffmpeg = await resolveFfmpeg().catch(() => null);

describe('DEFAULT_FFMPEG_THREADS', () => {
  it('is one thread per ffmpeg: a worker is one core', () => {
    expect(DEFAULT_FFMPEG_THREADS).toBe(1);
  });
});

// The workers resolve ffmpeg again in their own threads, through FFMPEG_PATH: a wrapper there
// logs the arguments each ffmpeg is started with ("start ..."), runs the real one, and logs
// "end" when it exits.
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
    await writeFile(
      wrapper,
      `#!/bin/sh\necho "start $*" >> '${log}'\n'${ffmpeg}' "$@"\ncode=$?\necho end >> '${log}'\nexit $code\n`,
    );
    await chmod(wrapper, 0o755);
    process.env.FFMPEG_PATH = wrapper;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.FFMPEG_PATH;
    else process.env.FFMPEG_PATH = previous;
    await rm(root, { recursive: true, force: true });
  });

  let runs = 0;
  async function prepare(workers: number, ffmpegThreads?: number): Promise<string[]> {
    await rm(log, { force: true });
    const summary = await prepareDataset({
      jobs: videoIds.map((videoId) => ({
        videoId,
        media: syntheticMediaFiles(join(root, 'data'), videoId, 'mp4'),
      })),
      cacheDir: join(root, `cache-${++runs}`),
      settings,
      workers,
      ...(ffmpegThreads === undefined ? {} : { ffmpegThreads }),
    });
    expect(summary.failed).toEqual([]);
    expect(summary.built).toBe(videoIds.length);
    return (await readFile(log, 'utf8')).trim().split('\n');
  }
  const starts = (lines: string[]) => lines.filter((line) => line.startsWith('start '));

  it('single-threaded ffmpegs at any worker count by default, and ffmpegThreads overrides it', async () => {
    for (const workers of [1, 2]) {
      const lines = starts(await prepare(workers));
      // Two ffmpegs a video: its frames and its audio.
      expect(lines).toHaveLength(2 * videoIds.length);
      for (const args of lines) expect(args).toContain('-threads 1 -filter_threads 1');
    }
    for (const args of starts(await prepare(2, 0))) expect(args).not.toContain(' -threads ');
    for (const args of starts(await prepare(1, 3)))
      expect(args).toContain('-threads 3 -filter_threads 3');
  });

  it('one worker with single-threaded ffmpegs runs them one at a time (one core)', async () => {
    const lines = await prepare(1);
    expect(lines).toHaveLength(4 * videoIds.length);
    // Every start is followed by its end before the next start.
    expect(lines.map((line) => line.split(' ')[0])).toEqual(
      lines.map((_, i) => (i % 2 === 0 ? 'start' : 'end')),
    );
  });
});
