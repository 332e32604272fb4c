import type { DuplicatePolicy } from '@sparsify/avqa-datasets';
import {
  AUDIO_FEATURE_KINDS,
  type FeatureChoice,
  RESNET_GRIDS,
  VIDEO_FEATURE_KINDS,
} from '../pipeline/feature-inputs.js';
import { ConfigError } from './config-error.js';
import {
  isSparsityPreset,
  SPARSITY_PRESET_NAMES,
  SPARSITY_PRESETS,
  type SparsityPresetName,
} from './sparsity-presets.js';
import { checkTrainFlags, flagOf, TRAIN_DEFAULTS, type TrainOptions } from './train-flags.js';

/** Level 1: drop `ratio` of the video and audio patches during the first `epochs` epochs. */
export interface MaskSettings {
  ratio: number;
  epochs: number;
}

/**
 * Level 2: IQR token merging after encoder block `block`, key tokens above Q3 + fence * IQR,
 * at least `minKeep` of them (a fraction of the tokens in (0, 1), or a count >= 1).
 */
export interface MergeSettings {
  fence: number;
  block: number;
  minKeep: number;
  /**
   * Merge only in the first `epochs` epochs (missing: in every epoch, as every run before
   * the option). A run whose merging stops before its last epoch also answers unmerged
   * (`mergesAtInference`), since its final weights were trained on every token.
   */
  epochs?: number;
}

/**
 * Whether a model trained with `config` merges when it answers (validation, test, eval):
 * only when merging ran through its last epoch.
 */
export function mergesAtInference(config: Pick<TrainConfig, 'merge' | 'epochs'>): boolean {
  const merge = config.merge;
  return merge !== null && (merge.epochs === undefined || merge.epochs >= config.epochs);
}

/** Level 3: InfoBatch prunes `pruneRatio` of the well-learned samples until `delta` of the epochs. */
export interface InfoBatchSettings {
  pruneRatio: number;
  delta: number;
}

export interface SparsitySettings {
  mask: MaskSettings | null;
  merge: MergeSettings | null;
  infobatch: InfoBatchSettings | null;
}

/** Train on a subset: the records of an annotation file, or a seeded random fraction. */
export type SubsetSpec = { kind: 'file'; file: string } | { kind: 'random'; fraction: number };

export type DataSpec =
  | { kind: 'synthetic'; dir: string; videos: number; seed: number }
  | MusicAvqaDataSpec;

/**
 * A MUSIC-AVQA folder: raw media, or pre-extracted features for either stream
 * (pipeline/feature-inputs.ts), and how repeated question_ids are read (absent: keep-first).
 */
export interface MusicAvqaDataSpec extends FeatureChoice {
  kind: 'music-avqa';
  root: string;
  duplicates?: DuplicatePolicy;
}

export interface TrainConfig extends SparsitySettings {
  /** The sparsity preset the run started from ('custom' once a flag changed a level). */
  preset: SparsityPresetName | 'custom';
  /** Encoder size preset of @sparsify/amuse-encoder. */
  model: string;
  data: DataSpec;
  subset: SubsetSpec | null;
  epochs: number;
  lr: number;
  /** Step decay: lr * factor every `every` epochs (the authors: x0.1 every 8). */
  lrDecay: { factor: number; every: number };
  batchSize: number;
  seed: number;
  /** Register @sparsify/tfjs-fast-kernels when training on wasm. */
  fastKernels: boolean;
  /**
   * The fields below came with issue 21; a config.json written before them lacks them, and
   * a missing one means the behaviour of that time (see `optimisationOf`, `timeStepsOf`).
   */
  /** 'step' (lrDecay per epoch) or 'cosine' (warm-up, then cosine decay per step). */
  lrSchedule?: 'step' | 'cosine';
  /** Linear warm-up steps of the cosine schedule. */
  warmupSteps?: number;
  /** Decoupled weight decay (AdamW) of weight matrices; 0 = Adam. */
  weightDecay?: number;
  /** Clip the gradient's global L2 norm to this (0 = off). */
  clipNorm?: number;
  /** Time steps (seconds) of video and audio the model sees (5 = seconds 0,2,4,5,7 of 8). */
  timeSteps?: number;
  /** Weight of the perception losses beside the answer loss (0 = none; synthetic data only). */
  auxWeight?: number;
  /**
   * The encoder's question pooling (@sparsify/amuse-encoder `questionPooling`): 'mean' (also
   * when missing: every run before issue 21i) or 'ordered'.
   */
  questionPooling?: 'mean' | 'ordered';
  /**
   * The encoder's `questionInHead` (@sparsify/amuse-encoder): set only when true (missing =
   * AMUSE's fusion, every run before it existed).
   */
  questionInHead?: boolean;
  /**
   * The encoder's `comparisonHead` (@sparsify/amuse-encoder): set only when true (missing =
   * AMUSE's fusion, every run before it existed).
   */
  comparisonHead?: boolean;
  /**
   * Streams whose tokens merge only within their own time step (@sparsify/iqr-token-merge's
   * `sameTimeStep`): set only when some are (missing = any token may join any key, every
   * run before the option).
   */
  mergeSameTimeStep?: ('video' | 'audio')[];
  /**
   * The perception loss also on the tokens entering the merge, each with its own target, and
   * the two averaged (`--perception-before-merge`): set only when true (missing = the loss on
   * the merged tokens alone, every run before the option).
   */
  perceptionBeforeMerge?: boolean;
  /**
   * The encoder's `audioTokenLevel` (@sparsify/amuse-encoder): set only when true (missing =
   * audio tokens normalised without their level, every run before issue 21m).
   */
  audioTokenLevel?: boolean;
  /**
   * Per-class level and onset-rate perception targets and their head (`--class-perception`):
   * set only when true (missing = the perception heads of every run before it existed).
   */
  classPerception?: boolean;
  /** Start from this safetensors checkpoint (e.g. a pretrained backbone); null = random init. */
  initFrom?: string | null;
  /**
   * SHA-256 (hex) of the initFrom file's bytes, recorded when the run starts: the path is kept
   * as given (relative paths stay relative), so a moved or shared run folder still names the
   * exact weights it started from, and a --resume that must load it again (no checkpoint
   * yet) refuses a file that changed.
   */
  initFromSha256?: string | null;
  /**
   * The synthetic videos the initFrom backbone was pretrained on, from its metadata, recorded
   * when the run starts so `eval` can refuse a held-out set that overlaps them without finding
   * the file again (its path may be relative to another working directory). Missing in runs
   * from before it existed and when the file records none.
   */
  initFromData?: { seed: number; videos: number } | null;
}

/** The optimisation settings of a config, with a missing field read as the old behaviour. */
export function optimisationOf(config: TrainConfig) {
  return {
    lrSchedule: config.lrSchedule ?? 'step',
    warmupSteps: config.warmupSteps ?? 0,
    weightDecay: config.weightDecay ?? 0,
    clipNorm: config.clipNorm ?? 0,
    auxWeight: config.auxWeight ?? 0,
  };
}

/** Time steps of a config (5 before the option existed). */
export function timeStepsOf(config: Pick<TrainConfig, 'timeSteps'>): number {
  return config.timeSteps ?? TRAIN_DEFAULTS.timeSteps;
}

/**
 * Merge the options over the preset and the defaults and check every value, so a
 * mistake fails before any data is generated, with the option's name in the message.
 */
export function resolveTrainConfig(options: TrainOptions): TrainConfig {
  const presetName = options.preset ?? TRAIN_DEFAULTS.preset;
  if (!isSparsityPreset(presetName)) {
    throw new ConfigError(
      '--preset',
      `unknown preset "${presetName}"; choose one of ${SPARSITY_PRESET_NAMES.join(', ')}`,
    );
  }
  const preset = SPARSITY_PRESETS[presetName];
  const mask = options.mask === undefined ? preset.mask : options.mask;
  const merge = options.merge === undefined ? preset.merge : options.merge;
  const infobatch = options.infobatch === undefined ? preset.infobatch : options.infobatch;
  const mergeSameTimeStep = options.mergeSameTimeStep ?? [];
  const perceptionBeforeMerge =
    options.perceptionBeforeMerge ?? TRAIN_DEFAULTS.perceptionBeforeMerge;
  const changed =
    mask !== preset.mask ||
    merge !== preset.merge ||
    infobatch !== preset.infobatch ||
    mergeSameTimeStep.length > 0 ||
    perceptionBeforeMerge;

  const config: TrainConfig = {
    preset: changed ? 'custom' : presetName,
    model: options.model ?? TRAIN_DEFAULTS.model,
    data: resolveData(options),
    subset: options.subset ?? null,
    mask: mask ? { ...mask } : null,
    merge: merge ? { ...merge } : null,
    infobatch: infobatch ? { ...infobatch } : null,
    epochs: options.epochs ?? TRAIN_DEFAULTS.epochs,
    lr: options.lr ?? TRAIN_DEFAULTS.lr,
    lrDecay: {
      factor: options.lrDecayFactor ?? TRAIN_DEFAULTS.lrDecayFactor,
      every: options.lrDecayEvery ?? TRAIN_DEFAULTS.lrDecayEvery,
    },
    batchSize: options.batchSize ?? TRAIN_DEFAULTS.batchSize,
    seed: options.seed ?? TRAIN_DEFAULTS.seed,
    fastKernels: options.fastKernels ?? TRAIN_DEFAULTS.fastKernels,
    lrSchedule: (options.lrSchedule ?? TRAIN_DEFAULTS.lrSchedule) as 'step' | 'cosine',
    warmupSteps: options.warmupSteps ?? TRAIN_DEFAULTS.warmupSteps,
    weightDecay: options.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
    clipNorm: options.clipNorm ?? TRAIN_DEFAULTS.clipNorm,
    timeSteps: options.timeSteps ?? TRAIN_DEFAULTS.timeSteps,
    auxWeight: options.auxWeight ?? TRAIN_DEFAULTS.auxWeight,
    initFrom: options.initFrom ?? null,
    ...((options.questionPooling ?? TRAIN_DEFAULTS.questionPooling) === 'mean'
      ? {}
      : { questionPooling: options.questionPooling as 'ordered' }),
    ...((options.questionInHead ?? TRAIN_DEFAULTS.questionInHead) ? { questionInHead: true } : {}),
    ...((options.comparisonHead ?? TRAIN_DEFAULTS.comparisonHead) ? { comparisonHead: true } : {}),
    ...(mergeSameTimeStep.length > 0 ? { mergeSameTimeStep } : {}),
    ...(perceptionBeforeMerge ? { perceptionBeforeMerge: true } : {}),
    ...((options.audioTokenLevel ?? TRAIN_DEFAULTS.audioTokenLevel)
      ? { audioTokenLevel: true }
      : {}),
    ...((options.classPerception ?? TRAIN_DEFAULTS.classPerception)
      ? { classPerception: true }
      : {}),
  };
  validateTrainConfig(config);
  return config;
}

function resolveData(options: TrainOptions): DataSpec {
  const kind = options.data ?? TRAIN_DEFAULTS.data;
  if (kind === 'music-avqa') {
    if (!options.root) {
      throw new ConfigError('--root', '--data music-avqa needs --root DIR (the dataset folder)');
    }
    return { kind, root: options.root, ...musicAvqaChoices(options) };
  }
  for (const key of ['videoFeatures', 'audioFeatures', 'resnetGrid', 'duplicates'] as const) {
    if (options[key] !== undefined)
      throw new ConfigError(flagOf(key), `only applies to --data music-avqa, got --data ${kind}`);
  }
  if (kind !== 'synthetic') {
    throw new ConfigError('--data', `unknown data "${kind}"; choose synthetic or music-avqa`);
  }
  const videos = options.videos ?? TRAIN_DEFAULTS.videos;
  const seed = options.dataSeed ?? TRAIN_DEFAULTS.dataSeed;
  const cacheDir = options.cacheDir ?? TRAIN_DEFAULTS.cacheDir;
  return {
    kind,
    // Another clip sampling is another cache (media.json would otherwise flip between them).
    dir:
      options.root ??
      `${cacheDir}/synthetic-v${videos}-s${seed}${
        (options.timeSteps ?? TRAIN_DEFAULTS.timeSteps) === TRAIN_DEFAULTS.timeSteps
          ? ''
          : `-t${options.timeSteps}`
      }`,
    videos,
    seed,
  };
}

export const DUPLICATE_POLICIES: readonly DuplicatePolicy[] = ['keep-first', 'keep-all', 'drop'];

function oneOf<T extends string | number>(
  flag: string,
  value: string | number | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T))
    throw new ConfigError(flag, `choose one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

function musicAvqaChoices(options: TrainOptions) {
  const videoFeatures = oneOf(flagOf('videoFeatures'), options.videoFeatures, VIDEO_FEATURE_KINDS);
  const audioFeatures = oneOf(flagOf('audioFeatures'), options.audioFeatures, AUDIO_FEATURE_KINDS);
  const resnetGrid = oneOf(flagOf('resnetGrid'), options.resnetGrid, RESNET_GRIDS);
  if (resnetGrid !== undefined && videoFeatures !== 'resnet18')
    throw new ConfigError(flagOf('resnetGrid'), 'only applies to --video-features resnet18');
  const duplicates = oneOf(flagOf('duplicates'), options.duplicates, DUPLICATE_POLICIES);
  return {
    ...(videoFeatures ? { videoFeatures } : {}),
    ...(audioFeatures ? { audioFeatures } : {}),
    ...(resnetGrid ? { resnetGrid } : {}),
    ...(duplicates ? { duplicates } : {}),
  };
}

/** Throws a ConfigError for the first invalid value (also used on loaded config.json). */
export function validateTrainConfig(config: TrainConfig): void {
  checkTrainFlags({ ...config, ...optimisationOf(config), timeSteps: timeStepsOf(config) });
}
