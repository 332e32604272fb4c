/**
 * Throughput of the media path and the synthetic benchmark, plus the blind baselines of the
 * synthetic benchmark. Run: pnpm --filter @sparsify/avqa-datasets bench
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AVQA_TYPES,
  cacheSource,
  createDataLoader,
  generateSyntheticBenchmark,
  kaldiFbank,
  majorityAnswerBaseline,
  parseAnnotations,
  prepareDataset,
  questionOnlyBaseline,
  synthesizeAnnotations,
  syntheticMediaFiles,
  syntheticSource,
} from '../src/index.js';

const seconds = (start: number) => (performance.now() - start) / 1000;
const root = await mkdtemp(join(tmpdir(), 'avqa-bench-'));
const VIDEOS = 300;
const LENGTH = 8;
const size = { seconds: LENGTH, frameHeight: 64, frameWidth: 64, fbank: { melBins: 128 } };

try {
  let start = performance.now();
  const bench = synthesizeAnnotations({ videos: VIDEOS, seconds: LENGTH });
  const qa = bench.records.train.length + bench.records.val.length + bench.records.test.length;
  console.log(`annotations: ${VIDEOS} scenes, ${qa} QA in ${seconds(start).toFixed(2)} s`);

  start = performance.now();
  const source = syntheticSource(bench.scenes, { noise: 0.1, settings: size });
  for (const scene of bench.scenes) await source.load(scene.videoId);
  console.log(
    `in-memory render + fbank (64x64, 128 mel): ${VIDEOS} videos x ${LENGTH} s in ${seconds(start).toFixed(2)} s`,
  );

  const audio = Float32Array.from({ length: 60 * 16000 }, (_, n) => Math.sin(n * 0.1));
  start = performance.now();
  kaldiFbank(audio, { melBins: 128 });
  console.log(
    `kaldiFbank: 60 s of 16 kHz audio (5998 frames, 128 mel) in ${(seconds(start) * 1000).toFixed(0)} ms`,
  );

  for (const media of ['frames+wav', 'mp4'] as const) {
    const out = join(root, media.replace('+', '-'));
    start = performance.now();
    await generateSyntheticBenchmark({ videos: VIDEOS, seconds: LENGTH, out, media });
    console.log(
      `generateSyntheticBenchmark media=${media}: ${VIDEOS} videos in ${seconds(start).toFixed(2)} s`,
    );
  }

  const out = join(root, 'mp4');
  const jobs = bench.scenes
    .slice(0, 60)
    .map((s) => ({ videoId: s.videoId, media: syntheticMediaFiles(out, s.videoId, 'mp4') }));
  for (const workers of [0, 1, 2]) {
    const summary = await prepareDataset({
      jobs,
      cacheDir: join(root, `cache-${workers}`),
      settings: size,
      workers,
    });
    console.log(
      `prepareDataset mp4 -> cache, workers=${workers}: ${jobs.length} videos in ${summary.seconds.toFixed(2)} s (${(jobs.length / summary.seconds).toFixed(1)} videos/s)`,
    );
  }
  const again = await prepareDataset({
    jobs,
    cacheDir: join(root, 'cache-2'),
    settings: size,
    workers: 2,
  });
  console.log(
    `prepareDataset second run (all cached): ${again.cached} cached in ${again.seconds.toFixed(2)} s`,
  );

  const train = parseAnnotations(bench.records.train).records.filter((r) =>
    jobs.some((j) => j.videoId === r.videoId),
  );
  const loader = createDataLoader({
    records: train,
    source: cacheSource({
      cacheDir: join(root, 'cache-2'),
      settings: size,
      media: (id) => syntheticMediaFiles(out, id, 'mp4'),
    }),
    batchSize: 8,
    seed: 42,
    timeSteps: 5,
  });
  start = performance.now();
  let batches = 0;
  for await (const _ of loader.epoch(0)) batches++;
  console.log(
    `loader epoch from cache (B=8, 5 steps): ${batches} batches in ${seconds(start).toFixed(2)} s`,
  );

  console.log('\nblind baselines (fitted on train, scored on test), seed 42, 8 QA per video');
  for (const videos of [300, 1000]) {
    const big = synthesizeAnnotations({ videos, seconds: LENGTH });
    const trainSet = parseAnnotations(big.records.train).records;
    const testSet = parseAnnotations(big.records.test).records;
    const majority = majorityAnswerBaseline(trainSet, testSet);
    const questionOnly = questionOnlyBaseline(trainSet, testSet);
    console.log(`\n${videos} videos: train ${trainSet.length} QA, test ${testSet.length} QA`);
    console.log('| type | test QA | majority | question-only |');
    console.log('|---|---|---|---|');
    for (const { type } of AVQA_TYPES) {
      const pct = (a: number | null) => (a === null ? '-' : (100 * a).toFixed(1));
      console.log(
        `| ${type} | ${majority.byType[type].total} | ${pct(majority.byType[type].accuracy)} | ${pct(questionOnly.byType[type].accuracy)} |`,
      );
    }
    console.log(
      `| overall | ${majority.overall.total} | ${(100 * majority.overall.accuracy!).toFixed(1)} | ${(100 * questionOnly.overall.accuracy!).toFixed(1)} |`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
