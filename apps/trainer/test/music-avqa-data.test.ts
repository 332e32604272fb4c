import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import {
  cacheEntryPath,
  generateSyntheticBenchmark,
  resolveFfmpeg,
  runFfmpeg,
  type SyntheticBenchmark,
} from '@sparsify/avqa-datasets';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/pipeline/dataset.js';
import { preprocessSettingsFor } from '../src/pipeline/model-inputs.js';
import type { RunResults } from '../src/report/run-results.js';
import type { EpochMetrics } from '../src/run/run-folder.js';
import { RunFolder } from '../src/run/run-folder.js';
import { tempDir as makeTempDir, runCli, silentLogger } from './fixtures.js';

// Shorter than the 5 time steps the model samples and far from the official 60 s, so both
// the clip length read from the media and the repeated seconds of a short clip are exercised.
const SECONDS = 4;
const VIDEOS = 8;

// Both layouts decode through ffmpeg (the frames folder is piped through it as images).
const hasFfmpeg = await resolveFfmpeg().then(
  () => true,
  () => false,
);

/** Runs `sparsify ...args` with JSON logs and returns the JSON events it printed. */
/** `sparsify data prepare --root ROOT --workers N` with JSON logs. */
function prepareData(root: string, workers: number): Promise<Record<string, unknown>[]> {
  return sparsify(
    'data',
    'prepare',
    '--root',
    root,
    '--workers',
    String(workers),
    '--log-format',
    'json',
  );
}

const sparsify = async (...args: string[]) => (await runCli(args)).events;

const eventNamed = (events: Record<string, unknown>[], name: string) =>
  events.find((e) => e.event === name);

function videoIds(benchmark: SyntheticBenchmark): string[] {
  return benchmark.scenes.map((scene) => scene.videoId).sort();
}

/** The cache entries `data prepare` wrote, as video ids, for clips of `seconds`. */
function cachedVideos(root: string, seconds: number): string[] {
  const entry = cacheEntryPath(
    join(root, '.cache'),
    'x',
    preprocessSettingsFor(DEFAULT_INPUTS, seconds),
  );
  const dir = join(entry, '..');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avqc'))
    .map((f) => f.replace(/\.avqc$/, ''))
    .sort();
}

const made: string[] = [];
const tempDir = (prefix: string) => {
  const dir = makeTempDir(prefix);
  made.push(dir);
  return dir;
};

afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasFfmpeg)('sparsify on a folder in the MUSIC-AVQA layout', () => {
  it('data prepare fills the cache, train reads it and writes metrics and results', async () => {
    const root = tempDir('avqa-frames');
    const benchmark = await generateSyntheticBenchmark({
      out: root,
      videos: VIDEOS,
      seconds: SECONDS,
      seed: 5,
      media: 'frames+wav',
    });

    const prepared = await prepareData(root, 2);
    expect(eventNamed(prepared, 'clip-seconds')?.seconds).toBe(SECONDS);
    expect(eventNamed(prepared, 'result')).toMatchObject({
      total: VIDEOS,
      built: VIDEOS,
      failed: [],
    });
    expect(process.exitCode ?? 0).toBe(0);
    expect(cachedVideos(root, SECONDS)).toEqual(videoIds(benchmark));

    const runDir = join(root, 'run');
    const trained = await sparsify(
      '--backend',
      'wasm',
      'train',
      '--data',
      'music-avqa',
      '--root',
      root,
      '--preset',
      'dense',
      '--model',
      'tiny',
      '--epochs',
      '1',
      '--batch-size',
      '4',
      '--out',
      runDir,
      '--log-format',
      'json',
    );
    expect(eventNamed(trained, 'clip-seconds')?.seconds).toBe(SECONDS);
    // Train read what prepare wrote: no entry for another clip length appeared.
    expect(readdirSync(join(root, '.cache'))).toHaveLength(1);

    const folder = new RunFolder(runDir);
    const metrics = readFileSync(folder.metricsPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as EpochMetrics);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.datasetSize).toBe(benchmark.records.train.length);
    expect(Number.isFinite(metrics[0]?.trainLoss)).toBe(true);
    const results = JSON.parse(readFileSync(folder.resultsJsonPath, 'utf8')) as RunResults;
    expect(results.evaluation.overall.total).toBe(benchmark.records.test.length);
    const accuracy = results.evaluation.overall.accuracy;
    expect(typeof accuracy).toBe('number');
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThanOrEqual(1);
    expect(existsSync(folder.reportPath)).toBe(true);
    await expect(sparsify('eval', runDir, '--split', 'heldout')).rejects.toThrow(
      `--split: heldout is for runs on the synthetic benchmark; ${runDir} trained on music-avqa`,
    );

    // Every one of the model's 5 time steps holds a real second of the 4 s clip, none an
    // empty (constant: zeros, or zeros after fbank normalisation) frame or fbank window.
    const dataset = await loadDataset({ kind: 'music-avqa', root }, silentLogger());
    expect(dataset.seconds).toBe(SECONDS);
    const { frames, fbank } = (await dataset.train.load([0])).inputs;
    const { video, audio } = DEFAULT_INPUTS as {
      video: { timeSteps: number; height: number; width: number };
      audio: { timeSteps: number; frames: number; melBins: number };
    };
    const varies = (values: Float32Array) => values.some((v) => v !== values[0]);
    const frameSize = video.height * video.width * 3;
    const windowSize = audio.frames * audio.melBins;
    for (let t = 0; t < video.timeSteps; t++) {
      expect(varies(frames.subarray(t * frameSize, (t + 1) * frameSize)), `frame ${t}`).toBe(true);
    }
    for (let t = 0; t < audio.timeSteps; t++) {
      expect(varies(fbank.subarray(t * windowSize, (t + 1) * windowSize)), `fbank ${t}`).toBe(true);
    }
  });

  it('train names the video whose decoded audio holds a NaN (before: computeMergePlan: scores[0] is NaN)', async () => {
    const root = tempDir('avqa-nan-audio');
    const benchmark = await generateSyntheticBenchmark({
      out: root,
      videos: VIDEOS,
      seconds: SECONDS,
      seed: 6,
      media: 'mp4',
    });
    const videoId = benchmark.records.train[0]?.video_id as string;
    // A float PCM soundtrack passes NaN through ffmpeg's decoding untouched.
    const samples = Float32Array.from(
      { length: SECONDS * 16000 },
      (_, n) => 0.1 * Math.sin(n / 10),
    );
    samples[5000] = Number.NaN;
    const wav = new Uint8Array(44 + samples.byteLength);
    const view = new DataView(wav.buffer);
    wav.set(new TextEncoder().encode('RIFF'), 0);
    view.setUint32(4, 36 + samples.byteLength, true);
    wav.set(new TextEncoder().encode('WAVEfmt '), 8);
    for (const [at, value, bytes] of [
      [16, 16, 4],
      [20, 3, 2],
      [22, 1, 2],
      [24, 16000, 4],
      [28, 64000, 4],
      [32, 4, 2],
      [34, 32, 2],
    ] as const) {
      if (bytes === 4) view.setUint32(at, value, true);
      else view.setUint16(at, value, true);
    }
    wav.set(new TextEncoder().encode('data'), 36);
    view.setUint32(40, samples.byteLength, true);
    wav.set(new Uint8Array(samples.buffer), 44);
    const video = join(root, 'videos', `${videoId}.mp4`);
    writeFileSync(join(root, 'nan.wav'), wav);
    await runFfmpeg([
      '-y',
      '-i',
      video,
      '-i',
      join(root, 'nan.wav'),
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'copy',
      '-c:a',
      'pcm_f32le',
      '-f',
      'mov',
      `${video}.tmp`,
    ]);
    renameSync(`${video}.tmp`, video);
    await expect(
      sparsify(
        'train',
        '--data',
        'music-avqa',
        '--root',
        root,
        '--epochs',
        '1',
        '--out',
        join(root, 'run'),
        '--log-format',
        'json',
      ),
    ).rejects.toThrow(`video ${videoId} (${video}): its fbank has NaN at value`);
    expect(existsSync(join(root, 'run'))).toBe(false);
  });

  it('reads the clip length of mp4 videos and prepares them', async () => {
    const root = tempDir('avqa-mp4');
    const benchmark = await generateSyntheticBenchmark({
      out: root,
      videos: 4,
      seconds: SECONDS,
      seed: 6,
      media: 'mp4',
    });
    const prepared = await prepareData(root, 0);
    expect(eventNamed(prepared, 'clip-seconds')?.seconds).toBe(SECONDS);
    expect(eventNamed(prepared, 'result')).toMatchObject({ built: 4, failed: [] });
    expect(cachedVideos(root, SECONDS)).toEqual(videoIds(benchmark));
  });
});

describe('a dataset folder without its files', () => {
  it.each([
    ['train', ['train', '--data', 'music-avqa', '--root']],
    ['data prepare', ['data', 'prepare', '--root']],
  ])('%s names the missing json file', async (_, args) => {
    const root = tempDir('avqa-empty');
    mkdirSync(join(root, 'json'));
    await expect(sparsify(...args, root, '--log-format', 'json')).rejects.toThrow(
      `--root: ${join(root, 'json', 'avqa-train.json')} is missing`,
    );
  });

  it('train names the media it cannot read the clip length of', async () => {
    const root = tempDir('avqa-no-media');
    const benchmark = await generateSyntheticBenchmark({
      out: root,
      videos: VIDEOS,
      seed: 5,
      media: 'none',
    });
    const first = benchmark.records.train[0]?.video_id;
    await expect(
      sparsify('train', '--data', 'music-avqa', '--root', root, '--log-format', 'json'),
    ).rejects.toThrow(`video ${first} (${join(root, 'audio', `${first}.wav`)})`);
  });
});
