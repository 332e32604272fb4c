import { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { parseNumberFlag } from '../config/flags.js';
import { resolveTrainConfig } from '../config/train-config.js';
import type { TrainFlagKey, TrainFlags } from '../config/train-flags.js';
import { requireRange } from '../config/value-checks.js';
import type { Logger } from '../log/logger.js';
import {
  DEFAULT_PATCH_MASK_RATIO,
  formatMaskedPatchScores,
  pretrainMaskedPatches,
} from '../train/masked-pretrain.js';
import {
  formatPerceptionScores,
  type PretrainResult,
  pretrainBackbone,
} from '../train/pretrain.js';
import { createLogger, prepareBackend } from './runtime.js';
import { addTrainFlags, trainOptionsFrom } from './train-options.js';

/** The data seed pretraining defaults to: not the benchmark's (7), so no test video is seen. */
export const PRETRAIN_DATA_SEED = 1007;

interface PretrainFlags extends TrainFlags {
  out: string;
  objective: string;
  patchMaskRatio?: number;
}

/** What pretraining learns from: the generator's perception targets, or masked patches alone. */
export const PRETRAIN_OBJECTIVES = ['perception', 'masked-patches'] as const;

/**
 * Training flags pretraining has no use for: refused when given, hidden from its help, rather
 * than silently ignored (a user who asks for them would otherwise believe they took effect).
 */
export const NOT_FOR_PRETRAINING: Partial<Record<TrainFlagKey, string>> = {
  auxWeight:
    'pretraining trains on the perception losses alone (there is no answer loss to weigh them against); --aux-weight applies to train, demo and key-subset',
  initFrom:
    'pretraining starts from the seeded random initialisation; --init-from applies to train',
};

/** `sparsify pretrain`: the perception-pretrained backbone `train --init-from` starts from. */
export function createPretrainCommand(): Command {
  const command = new Command('pretrain').description(
    'pretrain the shared backbone (no questions) on perception targets of generated videos, or on masked patches of any videos; save it as safetensors for train --init-from',
  );
  addTrainFlags(command, {
    sparsity: false,
    subset: false,
    defaults: { dataSeed: PRETRAIN_DATA_SEED },
  });
  for (const option of command.options) {
    if (option.attributeName() in NOT_FOR_PRETRAINING) option.hideHelp();
  }
  command
    .requiredOption('--out <file>', 'the safetensors file to write')
    .option(
      '--objective <name>',
      "perception (the synthetic generator's targets) or masked-patches (self-supervised, MAE-style: any data, no labels)",
      'perception',
    )
    .option(
      '--patch-mask-ratio <ratio>',
      `masked-patches: share of each stream's patches hidden from the encoder (default ${DEFAULT_PATCH_MASK_RATIO})`,
      parseNumberFlag('--patch-mask-ratio'),
    )
    .action(async (flags: PretrainFlags, cmd: Command) => {
      for (const [key, why] of Object.entries(NOT_FOR_PRETRAINING)) {
        if (cmd.getOptionValueSource(key) !== 'cli') continue;
        const option = cmd.options.find((o) => o.attributeName() === key);
        throw new ConfigError(option?.long ?? key, why);
      }
      const objective = flags.objective;
      if (!(PRETRAIN_OBJECTIVES as readonly string[]).includes(objective)) {
        throw new ConfigError(
          '--objective',
          `expected ${PRETRAIN_OBJECTIVES.join(' or ')}, got "${objective}"`,
        );
      }
      const masked = objective === 'masked-patches';
      if (!masked && flags.patchMaskRatio !== undefined) {
        throw new ConfigError('--patch-mask-ratio', 'applies to --objective masked-patches only');
      }
      if (masked && cmd.getOptionValueSource('classPerception') === 'cli') {
        throw new ConfigError(
          '--class-perception',
          'masked-patch pretraining reads no perception target; it applies to --objective perception',
        );
      }
      const ratio = flags.patchMaskRatio ?? DEFAULT_PATCH_MASK_RATIO;
      requireRange('--patch-mask-ratio', ratio, { above: 0, below: 1 });
      const logger = createLogger(flags);
      const config = resolveTrainConfig({
        ...trainOptionsFrom(flags),
        preset: 'dense',
        dataSeed: flags.dataSeed ?? PRETRAIN_DATA_SEED,
        // Perception pretraining trains on the perception losses alone (its answer loss weighs
        // 0); masked-patch pretraining on its own loss, with no perception target to read.
        auxWeight: masked ? 0 : 1,
        initFrom: null,
      });
      await prepareBackend(cmd.optsWithGlobals().backend, config.fastKernels, logger);
      const commandLine = `sparsify ${process.argv.slice(2).join(' ')}`;
      if (masked) {
        const outcome = await pretrainMaskedPatches(config, flags.out, logger, commandLine, ratio);
        reportPretraining(logger, flags.out, outcome, formatMaskedPatchScores);
      } else {
        const outcome = await pretrainBackbone(config, flags.out, logger, commandLine);
        reportPretraining(logger, flags.out, outcome, formatPerceptionScores);
      }
    });
  return command;
}

/** The result lines of a pretraining, whichever its objective: the file, then its scores. */
function reportPretraining<Scores>(
  logger: Logger,
  out: string,
  outcome: PretrainResult<Scores>,
  format: (scores: Scores) => string,
): void {
  logger.result(
    [
      `pretrained backbone: ${out} (${outcome.arrays.size} tensors, ${outcome.seconds.toFixed(0)} s of training steps)`,
      `train videos (${outcome.trainVideos}): ${format(outcome.train)}`,
      `val videos (${outcome.valVideos}): ${format(outcome.val)}`,
    ].join('\n'),
    { out, seconds: outcome.seconds, train: outcome.train, val: outcome.val },
  );
}
