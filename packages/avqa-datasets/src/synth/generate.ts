import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RawAvqaRecord } from '../annotations/avqa-record.js';
import { clipFrameLayout, RES18_14X14_LAYOUT, VGGISH_LAYOUT } from '../features/feature-layouts.js';
import { writeNpy } from '../features/npy-file.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { runFfmpeg } from '../media/ffmpeg.js';
import { encodePng } from '../media/png.js';
import { encodeWav } from '../media/wav.js';
import { SPLITS, type SplitName, SYNTH_LAYOUT, type SyntheticMedia } from './layout.js';
import { questionsForScene } from './questions.js';
import { createRandom, deriveSeed } from './random.js';
import { renderAudio } from './render-audio.js';
import { type RenderedFrames, renderFrames } from './render-frames.js';
import { randomScene, type Scene } from './scene.js';
import { selectBalanced, type VideoQuestion } from './select.js';
import { syntheticClip, syntheticResnet18, syntheticVggish } from './synthetic-features.js';
import { encodeQuestionType, pythonJsonList, templateById } from './templates.js';

export interface SyntheticBenchmarkOptions {
  /** Output directory (required unless media is 'none'). */
  out?: string;
  videos: number;
  seconds: number;
  /** Frame size in pixels: one number for square frames, or [height, width]. */
  frameSize: number | readonly [number, number];
  /** Visible instruments per scene, inclusive, within 1..4. */
  instrumentsPerScene: readonly [number, number];
  /** 0..1: how continuous playing is. */
  redundancy: number;
  /** 0..1: pixel noise and background audio noise. */
  noise: number;
  seed: number;
  /**
   * 'none' writes only the annotations and scenes.json (when `out` is given); render the
   * media in memory with renderSceneMedia / syntheticSource.
   */
  media: SyntheticMedia;
  /** Mean questions per video. */
  questionsPerVideo: number;
  /** Fractions of videos in train / val / test. */
  splitFractions: readonly [number, number, number];
  sampleRate: number;
  /** ffmpeg encoders running at once (media 'mp4'). */
  concurrency: number;
  onProgress?: (event: { done: number; total: number; videoId: string }) => void;
}

export const DEFAULT_SYNTHETIC_OPTIONS: Readonly<
  Omit<SyntheticBenchmarkOptions, 'out' | 'onProgress'>
> = {
  videos: 300,
  seconds: 8,
  frameSize: 64,
  instrumentsPerScene: [1, 4],
  redundancy: 0.7,
  noise: 0.1,
  seed: 42,
  media: 'none',
  questionsPerVideo: 8,
  splitFractions: [0.7, 0.1, 0.2],
  sampleRate: 16000,
  concurrency: 2,
};

export interface SyntheticBenchmark {
  options: Omit<SyntheticBenchmarkOptions, 'onProgress'>;
  scenes: Scene[];
  /** The video ids of each split. */
  splitVideos: Record<SplitName, string[]>;
  records: Record<SplitName, RawAvqaRecord[]>;
}

/**
 * Generates the synthetic music-performance benchmark: random scenes, every answerable
 * question of the 33 templates, a per-split answer-balanced selection, and (unless media is
 * 'none') the files in the MUSIC-AVQA layout under `out`.
 */
export async function generateSyntheticBenchmark(
  options: Partial<SyntheticBenchmarkOptions> = {},
): Promise<SyntheticBenchmark> {
  const o = { ...DEFAULT_SYNTHETIC_OPTIONS, ...options };
  const benchmark = synthesizeAnnotations(o);
  if (o.media !== 'none' && !o.out) {
    throw new Error("generateSyntheticBenchmark: 'out' is required when media is not 'none'");
  }
  if (o.out) await writeBenchmark(benchmark, o.out, o.media, o);
  return benchmark;
}

/** Scenes and annotations only, synchronously (no files). */
export function synthesizeAnnotations(
  options: Partial<SyntheticBenchmarkOptions> = {},
): SyntheticBenchmark {
  const { onProgress: _, ...o } = { ...DEFAULT_SYNTHETIC_OPTIONS, ...options };
  if (!(Number.isInteger(o.videos) && o.videos >= 1))
    throw new Error(`videos must be a positive integer, got ${o.videos}`);
  const rng = createRandom(deriveSeed(o.seed, 1));
  const idWidth = Math.max(8, String(o.videos).length);
  const scenes = Array.from({ length: o.videos }, (_, i) =>
    randomScene(String(i + 1).padStart(idWidth, '0'), o, createRandom(deriveSeed(o.seed, 2, i))),
  );
  const order = rng.shuffled(scenes.map((_, i) => i));
  const [trainFraction, valFraction] = o.splitFractions;
  const trainEnd = Math.round(o.videos * trainFraction);
  const valEnd = Math.min(o.videos, trainEnd + Math.round(o.videos * valFraction));
  const splitIndices: Record<SplitName, number[]> = {
    train: order.slice(0, trainEnd).sort((a, b) => a - b),
    val: order.slice(trainEnd, valEnd).sort((a, b) => a - b),
    test: order.slice(valEnd).sort((a, b) => a - b),
  };
  let nextQuestionId = 1;
  const records = {} as Record<SplitName, RawAvqaRecord[]>;
  const splitVideos = {} as Record<SplitName, string[]>;
  SPLITS.forEach((split, s) => {
    const splitScenes = splitIndices[split].map((i) => ({ scene: scenes[i]!, index: i }));
    records[split] = splitQuestions(splitScenes, o, s, nextQuestionId);
    nextQuestionId += records[split].length;
    splitVideos[split] = splitScenes.map(({ scene }) => scene.videoId);
  });
  return { options: o, scenes, splitVideos, records };
}

/**
 * A test set of `count` scenes that no split of the `options.videos`-video benchmark holds:
 * scenes `firstVideo` .. `firstVideo + count - 1` of the same generator (by default
 * `firstVideo` = `options.videos`, the scenes right after the benchmark's), with the
 * questions chosen as for a split. A fixed `firstVideo` gives benchmarks of different sizes
 * the same scenes and questions, so their models are scored on one set. A benchmark's own test split is small (384 questions at
 * 240 videos: ~2.5 points of standard error); this one measures the same models more
 * precisely without retraining them. Its media must be normalised with the benchmark's
 * training statistics, not its own.
 */
export function synthesizeHeldoutTest(
  options: Partial<SyntheticBenchmarkOptions>,
  count: number,
  firstVideo?: number,
): Pick<SyntheticBenchmark, 'options' | 'scenes'> & { records: RawAvqaRecord[] } {
  const { onProgress: _, ...o } = { ...DEFAULT_SYNTHETIC_OPTIONS, ...options };
  if (!(Number.isInteger(count) && count >= 1))
    throw new Error(`held-out videos must be a positive integer, got ${count}`);
  const first = firstVideo ?? o.videos;
  if (!(Number.isInteger(first) && first >= 0))
    throw new Error(`held-out first video must be a non-negative integer, got ${first}`);
  if (first < o.videos)
    throw new Error(
      `held-out first video ${first} overlaps the benchmark's own videos 0..${o.videos - 1}: start at ${o.videos} or later`,
    );
  const idWidth = Math.max(8, String(first + count).length);
  const indexed = Array.from({ length: count }, (_, k) => {
    const index = first + k;
    const id = String(index + 1).padStart(idWidth, '0');
    return { scene: randomScene(id, o, createRandom(deriveSeed(o.seed, 2, index))), index };
  });
  // Selection stream SPLITS.length: the splits use 0..2.
  const records = splitQuestions(indexed, o, SPLITS.length, 1);
  return { options: o, scenes: indexed.map(({ scene }) => scene), records };
}

/** Every answerable question of the scenes, then the answer-balanced selection. */
function splitQuestions(
  splitScenes: readonly { scene: Scene; index: number }[],
  o: Omit<SyntheticBenchmarkOptions, 'onProgress'>,
  selectionStream: number,
  firstQuestionId: number,
): RawAvqaRecord[] {
  const candidates: VideoQuestion[] = [];
  for (const { scene, index } of splitScenes) {
    const askRng = createRandom(deriveSeed(o.seed, 3, index));
    for (const c of questionsForScene(scene, askRng))
      candidates.push({ ...c, videoId: scene.videoId });
  }
  const target = Math.round(splitScenes.length * o.questionsPerVideo);
  const chosen = selectBalanced(
    candidates,
    target,
    createRandom(deriveSeed(o.seed, 4, selectionStream)),
  );
  chosen.sort((a, b) => (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0));
  return chosen.map((q, k) => toJsonRecord(q, firstQuestionId + k));
}

function toJsonRecord(question: VideoQuestion, questionId: number): RawAvqaRecord {
  const template = templateById(question.templateId);
  return {
    video_id: question.videoId,
    question_id: questionId,
    type: encodeQuestionType(template.type),
    question_content: template.content,
    templ_values: pythonJsonList(question.values),
    question_deleted: 0,
    anser: question.answer,
  };
}

/** Frames [T, H, W, 3] and the mono waveform of a scene, rendered in memory (no ffmpeg). */
export function renderSceneMedia(
  scene: Scene,
  options: { frameSize: number | readonly [number, number]; noise: number; sampleRate: number },
): { frames: RenderedFrames; waveform: Float32Array } {
  const [height, width] = frameDims(options.frameSize);
  return {
    frames: renderFrames(scene, { height, width, noise: options.noise, seed: scene.seed }),
    waveform: renderAudio(scene, {
      sampleRate: options.sampleRate,
      noise: options.noise,
      seed: scene.seed,
    }),
  };
}

/** The scenes a benchmark directory was generated from (its scenes.json). */
export async function readSyntheticScenes(out: string): Promise<Scene[]> {
  const path = join(out, SYNTH_LAYOUT.scenes);
  const scenes = JSON.parse(await readFile(path, 'utf8')) as unknown;
  if (!Array.isArray(scenes)) throw new Error(`${path}: expected a JSON list of scenes`);
  return scenes as Scene[];
}

export function frameDims(frameSize: number | readonly [number, number]): [number, number] {
  return typeof frameSize === 'number' ? [frameSize, frameSize] : [frameSize[0], frameSize[1]];
}

async function writeBenchmark(
  benchmark: SyntheticBenchmark,
  out: string,
  media: SyntheticMedia,
  options: SyntheticBenchmarkOptions,
): Promise<void> {
  for (const split of SPLITS) {
    await writeFileAtomic(
      join(out, SYNTH_LAYOUT.annotations(split)),
      `${JSON.stringify(benchmark.records[split], null, 2)}\n`,
    );
  }
  await writeFileAtomic(join(out, SYNTH_LAYOUT.scenes), `${JSON.stringify(benchmark.scenes)}\n`);
  if (media === 'none') return;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < benchmark.scenes.length) {
      const scene = benchmark.scenes[next++]!;
      const rendered = renderSceneMedia(scene, options);
      if (media === 'mp4') await writeMp4(out, scene, rendered, options.sampleRate);
      else if (media === 'features') await writeFeatures(out, scene, rendered, options.sampleRate);
      else await writeFramesAndWav(out, scene, rendered, options.sampleRate);
      done++;
      options.onProgress?.({ done, total: benchmark.scenes.length, videoId: scene.videoId });
    }
  };
  const workers = media === 'mp4' ? Math.max(1, options.concurrency) : 1;
  await Promise.all(Array.from({ length: workers }, worker));
}

async function writeFramesAndWav(
  out: string,
  scene: Scene,
  rendered: ReturnType<typeof renderSceneMedia>,
  sampleRate: number,
) {
  const [seconds, height, width] = rendered.frames.shape;
  await mkdir(join(out, SYNTH_LAYOUT.framesDir(scene.videoId)), { recursive: true });
  const frameBytes = height * width * 3;
  for (let t = 0; t < seconds; t++) {
    const rgb = rendered.frames.data.subarray(t * frameBytes, (t + 1) * frameBytes);
    await writeFile(join(out, SYNTH_LAYOUT.frame(scene.videoId, t)), encodePng(rgb, height, width));
  }
  await writeFileAtomic(
    join(out, SYNTH_LAYOUT.wav(scene.videoId)),
    encodeWav(rendered.waveform, sampleRate),
  );
}

/** The three feature files of a scene, float32 little-endian C order as numpy writes them. */
async function writeFeatures(
  out: string,
  scene: Scene,
  rendered: ReturnType<typeof renderSceneMedia>,
  sampleRate: number,
) {
  const file = (directory: string) => join(out, directory, `${scene.videoId}.npy`);
  await writeNpy(
    file(VGGISH_LAYOUT.directory),
    syntheticVggish(rendered.waveform, scene.seconds, sampleRate),
  );
  await writeNpy(file(RES18_14X14_LAYOUT.directory), syntheticResnet18(rendered.frames));
  await writeNpy(file(clipFrameLayout().directory), syntheticClip(rendered.frames));
}

/**
 * H.264 (4:4:4, near-lossless so the small shapes keep their colours) + AAC at 1 fps, with
 * ffmpeg's bit-exact flags and one thread so the same frames give the same bytes.
 */
async function writeMp4(
  out: string,
  scene: Scene,
  rendered: ReturnType<typeof renderSceneMedia>,
  sampleRate: number,
) {
  const [, height, width] = rendered.frames.shape;
  const target = join(out, SYNTH_LAYOUT.video(scene.videoId));
  await mkdir(dirname(target), { recursive: true });
  const wavPath = `${target}.${process.pid}.wav`;
  await writeFile(wavPath, encodeWav(rendered.waveform, sampleRate));
  try {
    await writeFileAtomic(target, (tmpPath) =>
      runFfmpeg(
        [
          '-y',
          '-f',
          'rawvideo',
          '-pix_fmt',
          'rgb24',
          '-s',
          `${width}x${height}`,
          '-r',
          '1',
          '-i',
          'pipe:0',
          '-i',
          wavPath,
          '-map',
          '0:v',
          '-map',
          '1:a',
          '-c:v',
          'libx264',
          '-preset',
          'veryfast',
          '-crf',
          '10',
          '-pix_fmt',
          'yuv444p',
          '-c:a',
          'aac',
          '-b:a',
          '96k',
          '-fflags',
          '+bitexact',
          '-flags:v',
          '+bitexact',
          '-flags:a',
          '+bitexact',
          '-threads',
          '1',
          '-f',
          'mp4',
          tmpPath,
        ],
        rendered.frames.data,
      ),
    );
  } finally {
    await rm(wavPath, { force: true });
  }
}
