import { join } from 'node:path';
import type { InputSpec } from '@sparsify/amuse-encoder';
import {
  normaliseValues,
  preprocessRendered,
  readAnnotationFile,
  readPackedHeader,
  readPackedInputs,
  renderSceneMedia,
  type Scene,
  SYNTH_LAYOUT,
  synthesizeAnnotations,
  synthesizeHeldoutTest,
  valueStatistics,
  writePackedInputs,
} from '@sparsify/avqa-datasets';
import type { Logger, Progress } from '../log/logger.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { valuesPerSample } from './feature-inputs.js';
import { MediaBatchSource, type PerceptionLookup, type VideoMedia } from './media-batch-source.js';
import { type FbankStats, preprocessSettingsFor, sampleToInputs } from './model-inputs.js';
import { type VideoPerception, videoPerception } from './perception-targets.js';
import type { BatchSource } from './types.js';

/** The generator's settings that change the data: part of the cache key. */
export interface SyntheticSpec {
  dir: string;
  videos: number;
  seed: number;
}

/** What the cache folder's media.json records, to detect a stale or foreign cache. */
interface MediaHeader {
  version: 2;
  spec: { videos: number; seed: number; inputs: InputSpec };
  /** Clip length of every video. */
  seconds: number;
  videoIds: string[];
  /** fbank normalisation from the training videos (applied to the stored fbank). */
  fbank: FbankStats;
}

function sameSpec(header: MediaHeader, spec: SyntheticSpec, inputs: InputSpec): boolean {
  return (
    header.version === 2 &&
    header.spec.videos === spec.videos &&
    header.spec.seed === spec.seed &&
    JSON.stringify(header.spec.inputs) === JSON.stringify(inputs)
  );
}

/**
 * The synthetic benchmark, generated on first use and cached in `spec.dir`: annotations
 * in the MUSIC-AVQA layout (json/avqa-{train,val,test}.json) and the model inputs of every
 * video (frames.u8, fbank.f32, media.json). A cache made with other settings is rebuilt.
 */
export async function loadSyntheticDataset(
  spec: SyntheticSpec,
  inputs: InputSpec,
  logger: Logger,
  patchSize = 16,
): Promise<{
  train: BatchSource;
  val: BatchSource;
  test: BatchSource;
  trainAnnotationFile: string;
  seconds: number;
  fbankStats: FbankStats;
}> {
  let header = readPackedHeader<MediaHeader>(spec.dir);
  if (header) {
    if (!sameSpec(header, spec, inputs)) {
      logger.warn(`${spec.dir} holds a synthetic benchmark with other settings: rebuilding it`);
      header = null;
    }
  }
  if (!header) header = await buildCache(spec, inputs, logger);
  else logger.event('data-cache', { dir: spec.dir }, `synthetic benchmark: cached in ${spec.dir}`);

  const media = readMediaCache(spec.dir, header.videoIds, inputs);
  const perception = perceptionLookup(
    () => synthesizeAnnotations({ videos: spec.videos, seed: spec.seed, media: 'none' }).scenes,
    inputs,
    patchSize,
  );
  const split = async (name: 'train' | 'val' | 'test') => {
    const set = await readAnnotationFile(join(spec.dir, SYNTH_LAYOUT.annotations(name)));
    return new MediaBatchSource(name, set.records, media, inputs, perception);
  };
  return {
    train: await split('train'),
    val: await split('val'),
    test: await split('test'),
    trainAnnotationFile: join(spec.dir, SYNTH_LAYOUT.annotations('train')),
    seconds: header.seconds,
    fbankStats: header.fbank,
  };
}

async function buildCache(
  spec: SyntheticSpec,
  inputs: InputSpec,
  logger: Logger,
): Promise<MediaHeader> {
  const benchmark = synthesizeAnnotations({ videos: spec.videos, seed: spec.seed, media: 'none' });
  for (const name of ['train', 'val', 'test'] as const) {
    writeFileAtomic(
      join(spec.dir, SYNTH_LAYOUT.annotations(name)),
      `${JSON.stringify(benchmark.records[name], null, 2)}\n`,
    );
  }
  const { frames, fbank } = renderModelInputs(
    benchmark.scenes,
    benchmark.options,
    inputs,
    logger.progress('rendering synthetic benchmark', benchmark.scenes.length),
  );
  // Normalise log-mel energies with statistics of the training videos only (as AST does).
  const videoIds = benchmark.scenes.map((scene) => scene.videoId);
  const trainVideos = new Set(benchmark.splitVideos.train);
  const fbankValues = fbank.length / Math.max(1, videoIds.length);
  const stats = valueStatistics(
    videoIds.flatMap((id, i) =>
      trainVideos.has(id) ? [fbank.subarray(i * fbankValues, (i + 1) * fbankValues)] : [],
    ),
  );
  normaliseValues(fbank, stats, fbank);
  const header: MediaHeader = {
    version: 2,
    spec: { videos: spec.videos, seed: spec.seed, inputs },
    seconds: benchmark.options.seconds,
    videoIds,
    fbank: stats,
  };
  await writePackedInputs(spec.dir, header, frames, fbank);
  logger.event(
    'data-built',
    { dir: spec.dir, videos: spec.videos },
    `synthetic benchmark: ${spec.videos} videos cached in ${spec.dir}`,
  );
  return header;
}

/** What a held-out cache's media.json records: its benchmark, its size and the stats used. */
interface HeldoutHeader {
  version: 1;
  /** `firstVideo` only when it was given (caches made before it existed stay valid). */
  spec: { videos: number; seed: number; count: number; firstVideo?: number; inputs: InputSpec };
  /** The benchmark's training statistics, applied to the held-out fbank. */
  fbank: FbankStats;
  videoIds: string[];
}

/**
 * The held-out test set of a synthetic benchmark (`synthesizeHeldoutTest`): `count` scenes
 * no split holds, from scene `firstVideo` (default: the first after the benchmark's own),
 * normalised with the benchmark's training fbank statistics, cached in
 * `<spec.dir>/heldout-<count>` (`heldout-<count>-from-<firstVideo>`) on first use.
 */
export async function loadSyntheticHeldout(
  spec: SyntheticSpec,
  inputs: InputSpec,
  count: number,
  fbankStats: FbankStats,
  logger: Logger,
  firstVideo?: number,
): Promise<BatchSource> {
  const fixed = firstVideo !== undefined;
  const dir = join(spec.dir, fixed ? `heldout-${count}-from-${firstVideo}` : `heldout-${count}`);
  const annotationPath = join(dir, 'json', 'avqa-heldout.json');
  const wanted: HeldoutHeader['spec'] = {
    videos: spec.videos,
    seed: spec.seed,
    count,
    ...(fixed ? { firstVideo } : {}),
    inputs,
  };
  const synthesize = () =>
    synthesizeHeldoutTest({ videos: spec.videos, seed: spec.seed }, count, firstVideo);
  let header = readPackedHeader<HeldoutHeader>(dir);
  if (header) {
    if (
      header.version !== 1 ||
      JSON.stringify(header.spec) !== JSON.stringify(wanted) ||
      JSON.stringify(header.fbank) !== JSON.stringify(fbankStats)
    ) {
      logger.warn(`${dir} holds a held-out set with other settings: rebuilding it`);
      header = null;
    }
  }
  if (!header) {
    const heldout = synthesize();
    writeFileAtomic(annotationPath, `${JSON.stringify(heldout.records, null, 2)}\n`);
    const { frames, fbank } = renderModelInputs(
      heldout.scenes,
      heldout.options,
      inputs,
      logger.progress('rendering held-out test videos', count),
    );
    normaliseValues(fbank, fbankStats, fbank);
    header = {
      version: 1,
      spec: wanted,
      fbank: fbankStats,
      videoIds: heldout.scenes.map((scene) => scene.videoId),
    };
    await writePackedInputs(dir, header, frames, fbank);
    logger.event(
      'data-built',
      { dir, videos: count },
      `held-out test set: ${count} videos cached in ${dir}`,
    );
  }
  const set = await readAnnotationFile(annotationPath);
  return new MediaBatchSource(
    'heldout',
    set.records,
    readMediaCache(dir, header.videoIds, inputs),
    inputs,
    perceptionLookup(() => synthesize().scenes, inputs, 16),
  );
}

/**
 * Perception targets by video id, from the generator's scenes (regenerated on first use:
 * the generator is deterministic in its settings, and it takes well under a second).
 */
function perceptionLookup(
  scenes: () => readonly Scene[],
  inputs: InputSpec,
  patchSize: number,
): PerceptionLookup {
  let byId: Map<string, Scene> | null = null;
  const memo = new Map<string, VideoPerception>();
  return (videoId) => {
    const hit = memo.get(videoId);
    if (hit) return hit;
    byId ??= new Map(scenes().map((scene) => [scene.videoId, scene]));
    const scene = byId.get(videoId);
    if (!scene)
      throw new Error(`no scene for video ${videoId}: its perception targets are unknown`);
    const targets = videoPerception(scene, inputs, patchSize);
    memo.set(videoId, targets);
    return targets;
  };
}

/** Renders each scene and reduces it to the model's inputs, concatenated in scene order. */
function renderModelInputs(
  scenes: readonly Scene[],
  options: { seconds: number; noise: number },
  inputs: InputSpec,
  progress: Progress,
): { frames: Uint8Array; fbank: Float32Array } {
  const settings = preprocessSettingsFor(inputs, options.seconds);
  const rendered = scenes.map((scene) => {
    const media = renderSceneMedia(scene, {
      frameSize: [settings.frameHeight, settings.frameWidth],
      noise: options.noise,
      sampleRate: settings.sampleRate,
    });
    const out = sampleToInputs(preprocessRendered(media.frames, media.waveform, settings), inputs);
    progress.tick();
    return out;
  });
  progress.finish();
  const frameValues = rendered[0]?.frames.length ?? 0;
  const fbankValues = rendered[0]?.fbank.length ?? 0;
  const frames = new Uint8Array(rendered.length * frameValues);
  const fbank = new Float32Array(rendered.length * fbankValues);
  rendered.forEach((r, i) => {
    frames.set(r.frames, i * frameValues);
    fbank.set(r.fbank, i * fbankValues);
  });
  return { frames, fbank };
}

/** The per-video media of a packed cache folder (avqa-datasets' packed inputs). */
function readMediaCache(
  dir: string,
  videoIds: readonly string[],
  inputs: InputSpec,
): (videoId: string) => VideoMedia {
  const lookup = readPackedInputs(
    dir,
    videoIds,
    valuesPerSample(inputs.video),
    valuesPerSample(inputs.audio),
  );
  return (videoId) => {
    const { video, audio } = lookup(videoId);
    return { frames: video, fbank: audio };
  };
}
