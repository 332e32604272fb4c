import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateSyntheticBenchmark,
  RES18_14X14_LAYOUT,
  readNpy,
  resolveFfmpeg,
  type SyntheticBenchmark,
  VGGISH_LAYOUT,
} from '@sparsify/avqa-datasets';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SavedEvaluation, savedEvaluationPath } from '../src/commands/eval.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import type { RunResults } from '../src/report/run-results.js';
import { RunFolder } from '../src/run/run-folder.js';
import { runCli, silentLogger, tempDir } from './fixtures.js';

const sparsify = runCli;

const SECONDS = 6;
const VIDEOS = 8;
const TRAIN = ['--backend', 'wasm', 'train', '--data', 'music-avqa', '--model', 'tiny'];
const SHORT = ['--preset', 'dense', '--batch-size', '4'];

let root: string;
let benchmark: SyntheticBenchmark;
beforeAll(async () => {
  root = tempDir('avqa-features');
  benchmark = await generateSyntheticBenchmark({
    out: root,
    videos: VIDEOS,
    seconds: SECONDS,
    seed: 11,
    media: 'features',
  });
});
afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hasFfmpeg = await resolveFfmpeg().then(
  () => true,
  () => false,
);

describe('data synth --media features', () => {
  it('writes the official layout, shapes and dtype, one step per second', async () => {
    const id = benchmark.scenes[0]?.videoId as string;
    const vggish = await readNpy(join(root, VGGISH_LAYOUT.directory, `${id}.npy`));
    expect(vggish).toMatchObject({ shape: [SECONDS, 128], dtype: 'float32', littleEndian: true });
    const res18 = await readNpy(join(root, RES18_14X14_LAYOUT.directory, `${id}.npy`));
    expect(res18).toMatchObject({ shape: [SECONDS, 512, 14, 14], dtype: 'float32' });
    const clip = await readNpy(join(root, 'feats', 'clip_vit_l14', `${id}.npy`));
    expect(clip).toMatchObject({ shape: [SECONDS, 768], dtype: 'float32' });
    for (const array of [vggish, res18, clip]) {
      expect(array.data.every(Number.isFinite)).toBe(true);
      // Not constant over time: the scene changes from second to second.
      const step = array.data.length / SECONDS;
      const first = array.data.subarray(0, step);
      const differs = Array.from({ length: SECONDS - 1 }, (_, t) =>
        array.data.subarray((t + 1) * step, (t + 2) * step).some((v, i) => v !== first[i]),
      );
      expect(differs.some(Boolean)).toBe(true);
    }
  });

  it('is deterministic: the same seed writes the same bytes', async () => {
    const again = tempDir('avqa-features-again');
    try {
      await generateSyntheticBenchmark({
        out: again,
        videos: 2,
        seconds: SECONDS,
        seed: 11,
        media: 'features',
      });
      const id = benchmark.scenes[0]?.videoId as string;
      for (const dir of ['feats/vggish', 'feats/res18_14x14', 'feats/clip_vit_l14']) {
        expect(readFileSync(join(again, dir, `${id}.npy`))).toEqual(
          readFileSync(join(root, dir, `${id}.npy`)),
        );
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
});

describe('sparsify on pre-extracted features', () => {
  it('resnet18 + vggish: trains, is interrupted, resumes, evaluates and answers', async () => {
    const runDir = join(root, 'run-res18-vggish');
    const features = ['--video-features', 'resnet18', '--audio-features', 'vggish'];
    const others = process.listeners('SIGINT');
    process.removeAllListeners('SIGINT');
    let interrupted: Awaited<ReturnType<typeof sparsify>>;
    try {
      interrupted = await sparsify(
        [...TRAIN, '--root', root, ...features, ...SHORT, '--epochs', '2', '--out', runDir],
        (event) => {
          if (event.event === 'epoch') process.emit('SIGINT');
        },
      );
    } finally {
      for (const listener of others) process.on('SIGINT', listener);
    }
    expect(interrupted.exitCode).toBe(130);
    const folder = new RunFolder(runDir);
    expect(folder.readMetrics()).toHaveLength(1);
    expect(existsSync(folder.resultsJsonPath)).toBe(false);

    const resumed = await sparsify(['--backend', 'wasm', 'train', '--resume', runDir]);
    expect(resumed.exitCode).toBeUndefined();
    expect(resumed.events.find((e) => e.event === 'resume')).toMatchObject({ epoch: 1 });
    const metrics = folder.readMetrics();
    expect(metrics).toHaveLength(2);
    expect(metrics.every((m) => Number.isFinite(m.trainLoss))).toBe(true);
    const results = JSON.parse(readFileSync(folder.resultsJsonPath, 'utf8')) as RunResults;
    expect(results.evaluation.overall.total).toBe(benchmark.records.test.length);

    const evaluated = await sparsify(['--backend', 'wasm', 'eval', runDir, '--split', 'val']);
    expect(evaluated.events.find((e) => e.event === 'result')?.table).toBeDefined();
    const saved = JSON.parse(
      readFileSync(savedEvaluationPath(runDir, 'val', 'best'), 'utf8'),
    ) as SavedEvaluation;
    expect(saved.evaluation.overall.total).toBe(benchmark.records.val.length);
    // Another duplicates policy re-reads the annotations and is saved under its own name.
    await sparsify(['--backend', 'wasm', 'eval', runDir, '--duplicates', 'keep-all']);
    const keepAll = JSON.parse(
      readFileSync(savedEvaluationPath(runDir, 'test', 'best', undefined, 'keep-all'), 'utf8'),
    ) as SavedEvaluation;
    expect(keepAll.evaluation.overall.total).toBe(benchmark.records.test.length);

    const id = benchmark.scenes[0]?.videoId as string;
    const asked = await sparsify([
      '--backend',
      'wasm',
      'ask',
      runDir,
      '--video-features',
      join(root, 'feats/res18_14x14', `${id}.npy`),
      '--audio-features',
      join(root, 'feats/vggish', `${id}.npy`),
      '--question',
      'How many instruments are sounding in the video?',
    ]);
    const answers = asked.events.find((e) => e.event === 'result')?.answers as unknown[];
    expect(answers).toHaveLength(3);
    await expect(
      sparsify(['--backend', 'wasm', 'ask', runDir, '--question', 'Is the cello playing?']),
    ).rejects.toThrow('--video-features: the run reads resnet18 video features: give FILE.npy');
  }, 240_000);

  it('clip + vggish trains end to end with the 768-wide CLIP input', async () => {
    const runDir = join(root, 'run-clip-vggish');
    const run = await sparsify([
      ...TRAIN,
      '--root',
      root,
      '--video-features',
      'clip',
      '--audio-features',
      'vggish',
      ...SHORT,
      '--epochs',
      '1',
      '--out',
      runDir,
    ]);
    expect(run.exitCode).toBeUndefined();
    const results = JSON.parse(
      readFileSync(new RunFolder(runDir).resultsJsonPath, 'utf8'),
    ) as RunResults;
    expect(results.evaluation.overall.total).toBe(benchmark.records.test.length);
  }, 120_000);

  it('names the flag, the layout and the first missing file', async () => {
    const empty = tempDir('avqa-no-features');
    try {
      await generateSyntheticBenchmark({ out: empty, videos: 4, seed: 3, media: 'none' });
      await expect(
        sparsify([
          ...TRAIN,
          '--root',
          empty,
          '--video-features',
          'clip',
          '--audio-features',
          'vggish',
        ]),
      ).rejects.toThrow(
        `--video-features: 4 of 4 videos have no clip features in ${join(empty, 'feats/clip_vit_l14')}/<video_id>.npy`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('rejects feature flags on the synthetic benchmark', async () => {
    await expect(sparsify(['train', '--video-features', 'resnet18'])).rejects.toThrow(
      '--video-features: only applies to --data music-avqa, got --data synthetic',
    );
  });
});

describe.skipIf(!hasFfmpeg)('raw media and features mixed', () => {
  it.each([
    ['resnet18', undefined],
    ['clip', undefined],
    [undefined, 'vggish'],
  ] as const)(
    'video %s + audio %s: one stream decoded, the other read from .npy',
    async (video, audio) => {
      const mixed = tempDir('avqa-mixed');
      try {
        for (const media of ['frames+wav', 'features'] as const)
          await generateSyntheticBenchmark({
            out: mixed,
            videos: VIDEOS,
            seconds: 4,
            seed: 12,
            media,
          });
        const spec = {
          kind: 'music-avqa' as const,
          root: mixed,
          ...(video ? { videoFeatures: video } : {}),
          ...(audio ? { audioFeatures: audio } : {}),
        };
        const dataset = await loadDataset(spec, silentLogger());
        expect(dataset.inputs.video.kind).toBe(video ?? 'frames');
        expect(dataset.inputs.audio.kind).toBe(audio ?? 'fbank');
        const runDir = join(mixed, 'run');
        const flags = [
          ...(video ? ['--video-features', video] : []),
          ...(audio ? ['--audio-features', audio] : []),
        ];
        const run = await sparsify([
          ...TRAIN,
          '--root',
          mixed,
          ...flags,
          ...SHORT,
          '--epochs',
          '1',
          '--out',
          runDir,
        ]);
        expect(run.exitCode).toBeUndefined();
        expect(new RunFolder(runDir).readMetrics()[0]?.trainLoss).toBeGreaterThan(0);
      } finally {
        rmSync(mixed, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
