import { ConfigError } from './config-error.js';
import {
  parseInfoBatchFlag,
  parseIntegerFlag,
  parseMaskFlag,
  parseMergeFlag,
  parseNumberFlag,
  parseStreamListFlag,
  parseSubsetFlag,
} from './flags.js';
import { SPARSITY_PRESET_NAMES } from './sparsity-presets.js';
import type {
  InfoBatchSettings,
  MaskSettings,
  MergeSettings,
  SubsetSpec,
  TrainConfig,
} from './train-config.js';
import { requireInteger, requireRange } from './value-checks.js';

/** The synthetic benchmark's seed: every run and the demo read the same generated videos. */
export const BENCHMARK_DATA_SEED = 7;

/** Reads a flag's text as its value; errors name the flag. */
type Parser<V> = (flag: string) => (text: string) => V;

/** A TrainConfig with the optional (issue 21) fields read as `optimisationOf`/`timeStepsOf` do. */
export type CheckedConfig = TrainConfig &
  Required<
    Pick<
      TrainConfig,
      'lrSchedule' | 'warmupSteps' | 'weightDecay' | 'clipNorm' | 'auxWeight' | 'timeSteps'
    >
  >;

/** Which commands carry a flag: every command that trains, or only those that take sparsity/subset. */
type FlagGroup = 'data' | 'sparsity' | 'subset' | 'train';

/**
 * One command-line flag, everything about it in one place. Commander's option, the
 * TrainFlags/TrainOptions types, TRAIN_DEFAULTS and validateTrainConfig are derived from it.
 */
export interface FlagSpec {
  /** The long flag without dashes: `lr-step` is `--lr-step`, commander's attribute `lrStep`. */
  name: string;
  /** Commander's value placeholder: `<n>` (required) or `[prune,delta]` (optional); none = a switch. */
  arg?: `<${string}>` | `[${string}]`;
  /** A one-letter alias (`q` = `-q`). */
  short?: string;
  /** A switch that turns something off: `--no-<name>`, the value true unless given. */
  negate?: true;
  help: string;
  group: FlagGroup;
  /** Text -> value, when commander reads the flag (errors name the flag). */
  parse?: Parser<unknown>;
  /** Commander's value -> the option, when the two differ (e.g. `--infobatch` alone). */
  toOption?: (value: string | boolean | undefined) => unknown;
  /** What a run uses when the flag is not given (shown by --help). */
  default?: unknown;
  /** The option also takes null (set in code, not from the command line): none. */
  nullable?: true;
  /** Changes how a run reports, not what it trains: no TrainOptions key. */
  output?: true;
  /**
   * Where the value sits in a config, when not at `config[key]` (e.g. `lrDecay.every`);
   * undefined when the flag does not apply to that config (`--videos` of a music-avqa run).
   */
  read?: (config: CheckedConfig) => unknown;
  /** Throws a ConfigError naming `flag` when the value in a config is invalid. */
  check?: (flag: string, value: never, config: CheckedConfig) => void;
}

const integer: Parser<number> = parseIntegerFlag;
const number: Parser<number> = parseNumberFlag;
const text: Parser<string> = () => (value) => value;
const mask: Parser<MaskSettings | null> = () => parseMaskFlag;
const merge: Parser<MergeSettings | null> = () => parseMergeFlag;
const subset: Parser<SubsetSpec> = () => parseSubsetFlag;
const streams: Parser<('video' | 'audio')[]> = parseStreamListFlag;

/** For options that only qualify merging (level 2): refused when nothing merges. */
function requireMerging(flag: string, config: CheckedConfig): void {
  if (config.merge === null) {
    throw new ConfigError(flag, 'nothing merges in this run: give --merge or a preset that merges');
  }
}

const integerIn =
  (min: number, max?: number) =>
  (flag: string, value: number): void =>
    requireInteger(flag, value, min, max);
const numberIn =
  (bounds: Parameters<typeof requireRange>[2]) =>
  (flag: string, value: number): void =>
    requireRange(flag, value, bounds);

/**
 * Every flag of `train`, in --help order, keyed by its TrainOptions key. `pretrain`,
 * `key-subset` and `demo` take their shared flags from here (commands/train-options.ts).
 */
export const TRAIN_FLAGS = {
  model: {
    name: 'model',
    arg: '<preset>',
    help: 'encoder size preset: tiny, small or base',
    group: 'data',
    parse: text,
    default: 'tiny',
  },
  data: {
    name: 'data',
    arg: '<kind>',
    help: 'synthetic (generated and cached on first use) or music-avqa',
    group: 'data',
    parse: text,
    default: 'synthetic',
  },
  root: {
    name: 'root',
    arg: '<dir>',
    help: 'dataset folder (music-avqa), or where the synthetic benchmark lives',
    group: 'data',
    parse: text,
  },
  videos: {
    name: 'videos',
    arg: '<n>',
    help: 'synthetic benchmark size in videos',
    group: 'data',
    parse: integer,
    default: 240,
    read: (config) => (config.data.kind === 'synthetic' ? config.data.videos : undefined),
    check: integerIn(4),
  },
  dataSeed: {
    name: 'data-seed',
    arg: '<n>',
    help: 'synthetic benchmark seed',
    group: 'data',
    parse: integer,
    default: BENCHMARK_DATA_SEED,
  },
  cacheDir: {
    name: 'cache-dir',
    arg: '<dir>',
    help: 'where generated data is cached',
    group: 'data',
    parse: text,
    default: 'runs/.cache',
  },
  preset: {
    name: 'preset',
    arg: '<name>',
    help: `sparsity preset: ${SPARSITY_PRESET_NAMES.join(', ')}`,
    group: 'sparsity',
    parse: text,
    default: 'sparsify',
  },
  mask: {
    name: 'mask',
    arg: '<ratio,epochs>',
    help: 'level 1: drop this ratio of patches in the first epochs (off = none)',
    group: 'sparsity',
    parse: mask,
    check: (_flag: string, value: MaskSettings | null) => {
      if (!value) return;
      requireRange('--mask ratio', value.ratio, { min: 0, below: 1 });
      requireInteger('--mask epochs', value.epochs, 0);
    },
  },
  merge: {
    name: 'merge',
    arg: '<fence,block[,minKeep[,epochs]]>',
    help: 'level 2: IQR fence c, the block after which tokens merge, the fewest kept, the epochs that merge (default all; off = none)',
    group: 'sparsity',
    parse: merge,
    check: (_flag: string, value: MergeSettings | null) => {
      if (!value) return;
      requireRange('--merge fence', value.fence, { min: 0, max: 100 });
      requireInteger('--merge block', value.block, 0);
      const minKeep = value.minKeep;
      if (!(minKeep > 0 && minKeep < 1) && !(Number.isInteger(minKeep) && minKeep >= 1)) {
        throw new ConfigError(
          '--merge minKeep',
          `expected a fraction in (0, 1) or a count >= 1, got ${String(minKeep)}`,
        );
      }
      // 0 epochs would be no merging: that is `--merge off`.
      if (value.epochs !== undefined) requireInteger('--merge epochs', value.epochs, 1);
    },
  },
  mergeSameTimeStep: {
    name: 'merge-same-time-step',
    arg: '<streams>',
    help: "level 2: these streams' tokens (audio, video or audio,video; off = none) merge only with tokens of their own time step, each step keeping at least one, so merging cannot join different seconds",
    group: 'sparsity',
    parse: streams,
    read: (config: CheckedConfig) => config.mergeSameTimeStep ?? [],
    check: (flag: string, value: ('video' | 'audio')[], config: CheckedConfig) => {
      if (value.length > 0) requireMerging(flag, config);
    },
  },
  perceptionBeforeMerge: {
    name: 'perception-before-merge',
    help: 'level 2: the perception loss is the mean of the loss on the tokens the heads see and the loss on the tokens entering the merge, where each token still has its own target (needs merging and --aux-weight > 0)',
    group: 'sparsity',
    default: false,
    read: (config: CheckedConfig) => config.perceptionBeforeMerge ?? false,
    check: (flag: string, value: boolean, config: CheckedConfig) => {
      if (!value) return;
      requireMerging(flag, config);
      if (!(config.auxWeight > 0)) {
        throw new ConfigError(flag, 'it changes the perception loss: give --aux-weight > 0');
      }
    },
  },
  infobatch: {
    name: 'infobatch',
    arg: '[prune,delta]',
    help: 'level 3: InfoBatch pruning (default 0.5,0.875; off = none)',
    group: 'sparsity',
    toOption: parseInfoBatchFlag,
    check: (_flag: string, value: InfoBatchSettings | null) => {
      if (!value) return;
      requireRange('--infobatch prune ratio', value.pruneRatio, { min: 0, below: 1 });
      requireRange('--infobatch delta', value.delta, { above: 0, max: 1 });
    },
  },
  subset: {
    name: 'subset',
    arg: '<file|fraction>',
    help: 'train on a subset: an annotation file or a random fraction',
    group: 'subset',
    parse: subset,
    nullable: true,
    check: (flag: string, value: SubsetSpec | null) => {
      if (value?.kind === 'random') requireRange(flag, value.fraction, { above: 0, max: 1 });
    },
  },
  epochs: {
    name: 'epochs',
    arg: '<n>',
    help: 'training epochs',
    group: 'train',
    parse: integer,
    default: 10,
    check: integerIn(1),
  },
  lr: {
    name: 'lr',
    arg: '<rate>',
    help: 'Adam learning rate',
    group: 'train',
    parse: number,
    default: 1e-3,
    check: numberIn({ above: 0, max: 10 }),
  },
  lrDecayEvery: {
    name: 'lr-step',
    arg: '<epochs>',
    help: 'decay the learning rate every this many epochs',
    group: 'train',
    parse: integer,
    default: 8,
    read: (config) => config.lrDecay.every,
    check: integerIn(1),
  },
  lrDecayFactor: {
    name: 'lr-decay',
    arg: '<factor>',
    help: 'step decay factor',
    group: 'train',
    parse: number,
    default: 0.1,
    read: (config) => config.lrDecay.factor,
    check: numberIn({ above: 0, max: 1 }),
  },
  lrSchedule: {
    name: 'lr-schedule',
    arg: '<kind>',
    help: 'step (x --lr-decay every --lr-step epochs) or cosine (--warmup-steps, then cosine to 0)',
    group: 'train',
    parse: text,
    default: 'step',
    check: (flag: string, value: string) => {
      if (value !== 'step' && value !== 'cosine') {
        throw new ConfigError(flag, `expected step or cosine, got "${String(value)}"`);
      }
    },
  },
  warmupSteps: {
    name: 'warmup-steps',
    arg: '<n>',
    help: 'linear warm-up steps of the cosine schedule',
    group: 'train',
    parse: integer,
    default: 0,
    check: integerIn(0),
  },
  weightDecay: {
    name: 'weight-decay',
    arg: '<wd>',
    help: 'decoupled weight decay of weight matrices (AdamW; 0 = Adam)',
    group: 'train',
    parse: number,
    default: 0,
    check: numberIn({ min: 0, max: 1 }),
  },
  clipNorm: {
    name: 'clip-norm',
    arg: '<n>',
    help: 'clip the gradient to this global L2 norm (0 = off)',
    group: 'train',
    parse: number,
    default: 0,
    check: numberIn({ min: 0, max: 1e6 }),
  },
  timeSteps: {
    name: 'time-steps',
    arg: '<n>',
    help: 'seconds of video and audio the model sees, spread uniformly (8 = all of a synthetic clip)',
    group: 'train',
    parse: integer,
    default: 5,
    check: integerIn(1, 60),
  },
  auxWeight: {
    name: 'aux-weight',
    arg: '<w>',
    help: 'weight of the perception losses beside the answer loss (synthetic data; 0 = off)',
    group: 'train',
    parse: number,
    default: 0,
    check: (flag: string, value: number, config: CheckedConfig) => {
      requireRange(flag, value, { min: 0, max: 100 });
      if (value > 0 && config.data.kind !== 'synthetic') {
        throw new ConfigError(
          flag,
          "perception targets come from the synthetic generator's scenes; --data music-avqa has none",
        );
      }
    },
  },
  questionPooling: {
    name: 'question-pooling',
    arg: '<kind>',
    help: "question vector for the fusion: mean (AMUSE, blind to word order) or ordered (adds a learned per-position read-out, so 'A louder than B' differs from 'B louder than A')",
    group: 'train',
    parse: text,
    default: 'mean',
    read: (config: CheckedConfig) => config.questionPooling ?? 'mean',
    check: (flag: string, value: string) => {
      if (value !== 'mean' && value !== 'ordered') {
        throw new ConfigError(flag, `expected mean or ordered, got "${String(value)}"`);
      }
    },
  },
  questionInHead: {
    name: 'question-in-head',
    help: "the answer head also reads the question through its own linear map (zero at the start); AMUSE's head sees the question only as gates on the streams",
    group: 'train',
    default: false,
    read: (config: CheckedConfig) => config.questionInHead ?? false,
  },
  comparisonHead: {
    name: 'comparison-head',
    help: 'the answer logits also get a low-rank bilinear question x streams term (zero at the start), so a question can take a signed difference of what the streams hold; use with --question-pooling ordered',
    group: 'train',
    default: false,
    read: (config: CheckedConfig) => config.comparisonHead ?? false,
  },
  audioTokenLevel: {
    name: 'audio-token-level',
    help: "each audio token also gets back its patch embedding's mean and log RMS, which the embedding's LayerNorm removes (a learned projection, zero at the start), so how loud a patch is survives",
    group: 'train',
    default: false,
    read: (config: CheckedConfig) => config.audioTokenLevel ?? false,
  },
  classPerception: {
    name: 'class-perception',
    help: 'a perception head and loss for how loud and how dense each sounding instrument class is (needs --aux-weight > 0); the mix level alone cannot say which instrument is louder',
    group: 'train',
    default: false,
    read: (config: CheckedConfig) => config.classPerception ?? false,
    check: (flag: string, value: boolean, config: CheckedConfig) => {
      if (value && !(config.auxWeight > 0)) {
        throw new ConfigError(
          flag,
          'per-class perception targets are a perception loss: give --aux-weight > 0',
        );
      }
    },
  },
  initFrom: {
    name: 'init-from',
    arg: '<file>',
    help: 'start from this safetensors checkpoint (e.g. sparsify pretrain)',
    group: 'train',
    parse: text,
    nullable: true,
  },
  batchSize: {
    name: 'batch-size',
    arg: '<n>',
    help: 'batch size',
    group: 'train',
    parse: integer,
    default: 8,
    check: integerIn(1),
  },
  seed: {
    name: 'seed',
    arg: '<n>',
    help: 'seed of weights, order and masks',
    group: 'train',
    parse: integer,
    default: 42,
    check: integerIn(0, 2 ** 32 - 1),
  },
  fastKernels: {
    name: 'fast-kernels',
    negate: true,
    help: 'on wasm, keep the stock kernels',
    group: 'train',
    default: true,
  },
  quiet: {
    name: 'quiet',
    short: 'q',
    help: 'no progress bars, only results',
    group: 'train',
    output: true,
  },
  logFormat: {
    name: 'log-format',
    arg: '<format>',
    help: 'text or json (one JSON object per line on stdout)',
    group: 'train',
    parse: text,
    default: 'text',
    output: true,
  },
  videoFeatures: {
    name: 'video-features',
    arg: '<kind>',
    help: 'music-avqa: read pre-extracted video features instead of frames: resnet18 (feats/res18_14x14) or clip (feats/clip_vit_l14)',
    group: 'train',
    parse: text,
  },
  audioFeatures: {
    name: 'audio-features',
    arg: '<kind>',
    help: 'music-avqa: read pre-extracted audio features instead of fbank: vggish (feats/vggish)',
    group: 'train',
    parse: text,
  },
  resnetGrid: {
    name: 'resnet-grid',
    arg: '<n>',
    help: 'ResNet-18 maps pooled to n x n tokens a step: 1, 2, 7 (default) or 14',
    group: 'train',
    parse: integer,
  },
  duplicates: {
    name: 'duplicates',
    arg: '<policy>',
    help: 'music-avqa: repeated question_ids: keep-first (default), keep-all (the official 9,185 v1 test questions) or drop',
    group: 'train',
    parse: text,
  },
} as const satisfies Record<string, FlagSpec>;

type Table = typeof TRAIN_FLAGS;
export type TrainFlagKey = keyof Table;

/** `lr-step` -> `lrStep`, as commander names an option's attribute. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** The value commander hands over for a flag. */
type FlagValue<S> = S extends { parse: Parser<infer V> }
  ? V
  : S extends { arg: `[${string}]` }
    ? string | boolean
    : boolean;

/** The value a TrainOptions key holds. */
type OptionValue<S> = S extends { toOption: (value: never) => infer V }
  ? Exclude<V, undefined>
  : FlagValue<S> | (S extends { nullable: true } ? null : never);

/**
 * The options `train`, `key-subset`, `pretrain` and `demo` share, as commander parsed them. A
 * flag given as `off` holds a private marker here (commander would rewrite a `null`); read the
 * values through `trainOptionsFrom`, which gives `null` for it.
 */
export type TrainFlags = {
  -readonly [K in TrainFlagKey as CamelCase<Table[K]['name']>]?: FlagValue<Table[K]>;
};

/** What a user may leave out: every option has a default or means "none". */
export type TrainOptions = {
  -readonly [K in TrainFlagKey as Table[K] extends { output: true } ? never : K]?: OptionValue<
    Table[K]
  >;
};

type DefaultedKey = {
  [K in TrainFlagKey]: Table[K] extends { default: unknown; output?: never } ? K : never;
}[TrainFlagKey];

/** The authors' training recipe, scaled to what trains on a CPU: each option's default. */
export const TRAIN_DEFAULTS = Object.freeze(
  Object.fromEntries(
    Object.entries(TRAIN_FLAGS as Record<string, FlagSpec>)
      .filter(([, spec]) => spec.default !== undefined && !spec.output)
      .map(([key, spec]) => [key, spec.default]),
  ),
) as { readonly [K in DefaultedKey]: Table[K]['default'] };

/** The long flag, `--lr-step`, as messages name it. */
export function longFlag(spec: FlagSpec): string {
  return `--${spec.name}`;
}

/** The long flag of an option key: `lrDecayEvery` -> `--lr-step`. */
export function flagOf(key: TrainFlagKey): string {
  return longFlag(TRAIN_FLAGS[key]);
}

/** Commander's flag syntax: `-q, --quiet`, `--no-fast-kernels`, `--lr-step <epochs>`. */
export function commanderFlags(spec: FlagSpec): string {
  const long = `--${spec.negate ? 'no-' : ''}${spec.name}`;
  return [spec.short ? `-${spec.short}, ${long}` : long, spec.arg].filter(Boolean).join(' ');
}

/** Throws a ConfigError for the first invalid value of a resolved config, in table order. */
export function checkTrainFlags(config: CheckedConfig): void {
  for (const [key, spec] of Object.entries(TRAIN_FLAGS as Record<string, FlagSpec>)) {
    if (!spec.check) continue;
    const value = spec.read ? spec.read(config) : config[key as keyof CheckedConfig];
    if (spec.read && value === undefined) continue;
    (spec.check as (flag: string, value: unknown, config: CheckedConfig) => void)(
      longFlag(spec),
      value,
      config,
    );
  }
}
