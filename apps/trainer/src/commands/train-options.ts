import type { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import {
  parseMaskFlag,
  parseMergeFlag,
  parseNumberFlag,
  parseSubsetFlag,
} from '../config/flags.js';
import { PAPER_INFOBATCH, SPARSITY_PRESET_NAMES } from '../config/sparsity-presets.js';
import {
  type InfoBatchSettings,
  TRAIN_DEFAULTS,
  type TrainOptions,
} from '../config/train-config.js';

/** The options `train`, `key-subset` and `demo` share, as commander parsed them. */
export interface TrainFlags {
  preset?: string;
  model?: string;
  data?: string;
  root?: string;
  videos?: number;
  dataSeed?: number;
  cacheDir?: string;
  mask?: TrainOptions['mask'];
  merge?: TrainOptions['merge'];
  infobatch?: string | boolean;
  subset?: TrainOptions['subset'];
  epochs?: number;
  lr?: number;
  lrStep?: number;
  lrDecay?: number;
  batchSize?: number;
  seed?: number;
  fastKernels?: boolean;
  lrSchedule?: string;
  warmupSteps?: number;
  weightDecay?: number;
  clipNorm?: number;
  timeSteps?: number;
  auxWeight?: number;
  initFrom?: string;
  quiet?: boolean;
  logFormat?: string;
  videoFeatures?: string;
  audioFeatures?: string;
  resnetGrid?: number;
  duplicates?: string;
}

const int = (option: string) => parseNumberFlag(option);

/** Adds the data, model, sparsity and optimisation flags to a command. */
export function addTrainFlags(
  command: Command,
  options: { sparsity?: boolean; subset?: boolean } = {},
): Command {
  command
    .option('--model <preset>', 'encoder size preset: tiny, small or base', TRAIN_DEFAULTS.model)
    .option(
      '--data <kind>',
      'synthetic (generated and cached on first use) or music-avqa',
      'synthetic',
    )
    .option('--root <dir>', 'dataset folder (music-avqa), or where the synthetic benchmark lives')
    .option('--videos <n>', 'synthetic benchmark size in videos', int('--videos'))
    .option('--data-seed <n>', 'synthetic benchmark seed', int('--data-seed'))
    .option('--cache-dir <dir>', 'where generated data is cached', TRAIN_DEFAULTS.cacheDir);
  if (options.sparsity !== false) {
    command
      .option('--preset <name>', `sparsity preset: ${SPARSITY_PRESET_NAMES.join(', ')}`)
      .option(
        '--mask <ratio,epochs>',
        'level 1: drop this ratio of patches in the first epochs (off = none)',
        parseMaskFlag,
      )
      .option(
        '--merge <fence,block[,minKeep]>',
        'level 2: IQR fence c, the block after which tokens merge, the fewest kept (off = none)',
        parseMergeFlag,
      )
      .option(
        '--infobatch [prune,delta]',
        'level 3: InfoBatch pruning (default 0.5,0.875; off = none)',
      );
  }
  if (options.subset !== false) {
    command.option(
      '--subset <file|fraction>',
      'train on a subset: an annotation file or a random fraction',
      parseSubsetFlag,
    );
  }
  return command
    .option('--epochs <n>', 'training epochs', int('--epochs'))
    .option('--lr <rate>', 'Adam learning rate', parseNumberFlag('--lr'))
    .option(
      '--lr-step <epochs>',
      'decay the learning rate every this many epochs',
      int('--lr-step'),
    )
    .option('--lr-decay <factor>', 'step decay factor', parseNumberFlag('--lr-decay'))
    .option(
      '--lr-schedule <kind>',
      'step (x --lr-decay every --lr-step epochs) or cosine (--warmup-steps, then cosine to 0)',
    )
    .option(
      '--warmup-steps <n>',
      'linear warm-up steps of the cosine schedule',
      int('--warmup-steps'),
    )
    .option(
      '--weight-decay <wd>',
      'decoupled weight decay of weight matrices (AdamW; 0 = Adam)',
      parseNumberFlag('--weight-decay'),
    )
    .option(
      '--clip-norm <n>',
      'clip the gradient to this global L2 norm (0 = off)',
      parseNumberFlag('--clip-norm'),
    )
    .option(
      '--time-steps <n>',
      'seconds of video and audio the model sees, spread uniformly (8 = all of a synthetic clip)',
      int('--time-steps'),
    )
    .option(
      '--aux-weight <w>',
      'weight of the perception losses beside the answer loss (synthetic data; 0 = off)',
      parseNumberFlag('--aux-weight'),
    )
    .option('--init-from <file>', 'start from this safetensors checkpoint (e.g. sparsify pretrain)')
    .option('--batch-size <n>', 'batch size', int('--batch-size'))
    .option('--seed <n>', 'seed of weights, order and masks', int('--seed'))
    .option('--no-fast-kernels', 'on wasm, keep the stock kernels')
    .option('-q, --quiet', 'no progress bars, only results')
    .option('--log-format <format>', 'text or json (one JSON object per line on stdout)', 'text')
    .option(
      '--video-features <kind>',
      'music-avqa: read pre-extracted video features instead of frames: resnet18 (feats/res18_14x14) or clip (feats/clip_vit_l14)',
    )
    .option(
      '--audio-features <kind>',
      'music-avqa: read pre-extracted audio features instead of fbank: vggish (feats/vggish)',
    )
    .option(
      '--resnet-grid <n>',
      'ResNet-18 maps pooled to n x n tokens a step: 1, 2, 7 (default) or 14',
      int('--resnet-grid'),
    )
    .option(
      '--duplicates <policy>',
      'music-avqa: repeated question_ids: keep-first (default), keep-all (the official 9,185 v1 test questions) or drop',
    );
}

function parseInfoBatchFlag(
  value: string | boolean | undefined,
): InfoBatchSettings | null | undefined {
  if (value === undefined) return undefined;
  if (value === true) return { ...PAPER_INFOBATCH };
  if (value === false || value === 'off') return null;
  const parts = String(value).split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite)) {
    throw new ConfigError(
      '--infobatch',
      `expected prune,delta (e.g. 0.5,0.875) or off, got "${value}"`,
    );
  }
  return { pruneRatio: parts[0] as number, delta: parts[1] as number };
}

/** Commander's flags -> the options resolveTrainConfig validates. */
export function trainOptionsFrom(flags: TrainFlags): TrainOptions {
  return {
    preset: flags.preset,
    model: flags.model,
    data: flags.data,
    root: flags.root,
    videos: flags.videos,
    dataSeed: flags.dataSeed,
    cacheDir: flags.cacheDir,
    mask: flags.mask,
    merge: flags.merge,
    infobatch: parseInfoBatchFlag(flags.infobatch),
    subset: flags.subset,
    epochs: flags.epochs,
    lr: flags.lr,
    lrDecayEvery: flags.lrStep,
    lrDecayFactor: flags.lrDecay,
    batchSize: flags.batchSize,
    seed: flags.seed,
    fastKernels: flags.fastKernels,
    videoFeatures: flags.videoFeatures,
    audioFeatures: flags.audioFeatures,
    resnetGrid: flags.resnetGrid,
    duplicates: flags.duplicates,
    lrSchedule: flags.lrSchedule,
    warmupSteps: flags.warmupSteps,
    weightDecay: flags.weightDecay,
    clipNorm: flags.clipNorm,
    timeSteps: flags.timeSteps,
    auxWeight: flags.auxWeight,
    initFrom: flags.initFrom,
  };
}
