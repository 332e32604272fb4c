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
  /** Start from this safetensors checkpoint (e.g. a pretrained backbone); null = random init. */
  initFrom?: string | null;
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

/** What a user may leave out: everything but the preset has a default. */
export interface TrainOptions {
  preset?: string;
  model?: string;
  data?: string;
  root?: string;
  cacheDir?: string;
  videos?: number;
  dataSeed?: number;
  mask?: MaskSettings | null;
  merge?: MergeSettings | null;
  infobatch?: InfoBatchSettings | null;
  subset?: SubsetSpec | null;
  epochs?: number;
  lr?: number;
  lrDecayFactor?: number;
  lrDecayEvery?: number;
  batchSize?: number;
  seed?: number;
  fastKernels?: boolean;
  videoFeatures?: string;
  audioFeatures?: string;
  resnetGrid?: number;
  duplicates?: string;
  lrSchedule?: string;
  warmupSteps?: number;
  weightDecay?: number;
  clipNorm?: number;
  timeSteps?: number;
  auxWeight?: number;
  initFrom?: string | null;
}

/** The authors' training recipe, scaled to what trains on a CPU. */
export const TRAIN_DEFAULTS = {
  preset: 'sparsify',
  model: 'tiny',
  epochs: 10,
  lr: 1e-3,
  lrDecayFactor: 0.1,
  lrDecayEvery: 8,
  batchSize: 8,
  seed: 42,
  videos: 240,
  cacheDir: 'runs/.cache',
  lrSchedule: 'step',
  warmupSteps: 0,
  weightDecay: 0,
  clipNorm: 0,
  timeSteps: 5,
  auxWeight: 0,
} as const;

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
  const changed = mask !== preset.mask || merge !== preset.merge || infobatch !== preset.infobatch;

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
    fastKernels: options.fastKernels ?? true,
    lrSchedule: (options.lrSchedule ?? TRAIN_DEFAULTS.lrSchedule) as 'step' | 'cosine',
    warmupSteps: options.warmupSteps ?? TRAIN_DEFAULTS.warmupSteps,
    weightDecay: options.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
    clipNorm: options.clipNorm ?? TRAIN_DEFAULTS.clipNorm,
    timeSteps: options.timeSteps ?? TRAIN_DEFAULTS.timeSteps,
    auxWeight: options.auxWeight ?? TRAIN_DEFAULTS.auxWeight,
    initFrom: options.initFrom ?? null,
  };
  validateTrainConfig(config);
  return config;
}

function resolveData(options: TrainOptions): DataSpec {
  const kind = options.data ?? 'synthetic';
  if (kind === 'music-avqa') {
    if (!options.root) {
      throw new ConfigError('--root', '--data music-avqa needs --root DIR (the dataset folder)');
    }
    return { kind, root: options.root, ...musicAvqaChoices(options) };
  }
  for (const [flag, value] of [
    ['--video-features', options.videoFeatures],
    ['--audio-features', options.audioFeatures],
    ['--resnet-grid', options.resnetGrid],
    ['--duplicates', options.duplicates],
  ] as const) {
    if (value !== undefined)
      throw new ConfigError(flag, `only applies to --data music-avqa, got --data ${kind}`);
  }
  if (kind !== 'synthetic') {
    throw new ConfigError('--data', `unknown data "${kind}"; choose synthetic or music-avqa`);
  }
  const videos = options.videos ?? TRAIN_DEFAULTS.videos;
  const seed = options.dataSeed ?? 7;
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
  const videoFeatures = oneOf('--video-features', options.videoFeatures, VIDEO_FEATURE_KINDS);
  const audioFeatures = oneOf('--audio-features', options.audioFeatures, AUDIO_FEATURE_KINDS);
  const resnetGrid = oneOf('--resnet-grid', options.resnetGrid, RESNET_GRIDS);
  if (resnetGrid !== undefined && videoFeatures !== 'resnet18')
    throw new ConfigError('--resnet-grid', 'only applies to --video-features resnet18');
  const duplicates = oneOf('--duplicates', options.duplicates, DUPLICATE_POLICIES);
  return {
    ...(videoFeatures ? { videoFeatures } : {}),
    ...(audioFeatures ? { audioFeatures } : {}),
    ...(resnetGrid ? { resnetGrid } : {}),
    ...(duplicates ? { duplicates } : {}),
  };
}

/** Throws a ConfigError for the first invalid value (also used on loaded config.json). */
export function validateTrainConfig(config: TrainConfig): void {
  requireInteger('--epochs', config.epochs, 1);
  requireInteger('--batch-size', config.batchSize, 1);
  requireInteger('--seed', config.seed, 0, 2 ** 32 - 1);
  requireRange('--lr', config.lr, { above: 0, max: 10 });
  requireRange('--lr-decay', config.lrDecay.factor, { above: 0, max: 1 });
  requireInteger('--lr-step', config.lrDecay.every, 1);
  if (config.data.kind === 'synthetic') requireInteger('--videos', config.data.videos, 4);
  const o = optimisationOf(config);
  if (o.lrSchedule !== 'step' && o.lrSchedule !== 'cosine') {
    throw new ConfigError(
      '--lr-schedule',
      `expected step or cosine, got "${String(o.lrSchedule)}"`,
    );
  }
  requireInteger('--warmup-steps', o.warmupSteps, 0);
  requireRange('--weight-decay', o.weightDecay, { min: 0, max: 1 });
  requireRange('--clip-norm', o.clipNorm, { min: 0, max: 1e6 });
  requireRange('--aux-weight', o.auxWeight, { min: 0, max: 100 });
  requireInteger('--time-steps', timeStepsOf(config), 1, 60);
  if (o.auxWeight > 0 && config.data.kind !== 'synthetic') {
    throw new ConfigError(
      '--aux-weight',
      "perception targets come from the synthetic generator's scenes; --data music-avqa has none",
    );
  }
  if (config.mask) {
    requireRange('--mask ratio', config.mask.ratio, { min: 0, below: 1 });
    requireInteger('--mask epochs', config.mask.epochs, 0);
  }
  if (config.merge) {
    requireRange('--merge fence', config.merge.fence, { min: 0, max: 100 });
    requireInteger('--merge block', config.merge.block, 0);
    const minKeep = config.merge.minKeep;
    if (!(minKeep > 0 && minKeep < 1) && !(Number.isInteger(minKeep) && minKeep >= 1)) {
      throw new ConfigError(
        '--merge minKeep',
        `expected a fraction in (0, 1) or a count >= 1, got ${String(minKeep)}`,
      );
    }
  }
  if (config.infobatch) {
    requireRange('--infobatch prune ratio', config.infobatch.pruneRatio, { min: 0, below: 1 });
    requireRange('--infobatch delta', config.infobatch.delta, { above: 0, max: 1 });
  }
  if (config.subset?.kind === 'random') {
    requireRange('--subset', config.subset.fraction, { above: 0, max: 1 });
  }
}

function requireInteger(option: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ConfigError(option, `expected an integer ${range}, got ${String(value)}`);
  }
}

function requireRange(
  option: string,
  value: number,
  bounds: { min?: number; above?: number; max?: number; below?: number },
) {
  const ok =
    Number.isFinite(value) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.below === undefined || value < bounds.below);
  if (!ok) {
    const low =
      bounds.min !== undefined
        ? `[${bounds.min}`
        : bounds.above !== undefined
          ? `(${bounds.above}`
          : '(-inf';
    const high =
      bounds.max !== undefined
        ? `${bounds.max}]`
        : bounds.below !== undefined
          ? `${bounds.below})`
          : 'inf)';
    throw new ConfigError(option, `expected a number in ${low}, ${high}, got ${String(value)}`);
  }
}
