import { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { resolveTrainConfig } from '../config/train-config.js';
import type { TrainFlagKey, TrainFlags } from '../config/train-flags.js';
import { formatPerceptionScores, pretrainBackbone } from '../train/pretrain.js';
import { createLogger, prepareBackend } from './runtime.js';
import { addTrainFlags, trainOptionsFrom } from './train-options.js';

/** The data seed pretraining defaults to: not the benchmark's (7), so no test video is seen. */
export const PRETRAIN_DATA_SEED = 1007;

interface PretrainFlags extends TrainFlags {
  out: string;
}

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
    'pretrain the shared backbone on perception targets of generated videos (no questions), save it as safetensors for train --init-from',
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
    .action(async (flags: PretrainFlags, cmd: Command) => {
      for (const [key, why] of Object.entries(NOT_FOR_PRETRAINING)) {
        if (cmd.getOptionValueSource(key) !== 'cli') continue;
        const option = cmd.options.find((o) => o.attributeName() === key);
        throw new ConfigError(option?.long ?? key, why);
      }
      const logger = createLogger(flags);
      const config = resolveTrainConfig({
        ...trainOptionsFrom(flags),
        preset: 'dense',
        dataSeed: flags.dataSeed ?? PRETRAIN_DATA_SEED,
        // Pretraining trains on the perception losses alone (its answer loss weighs 0).
        auxWeight: 1,
        initFrom: null,
      });
      await prepareBackend(cmd.optsWithGlobals().backend, config.fastKernels, logger);
      const argv = process.argv.slice(2).join(' ');
      const outcome = await pretrainBackbone(config, flags.out, logger, `sparsify ${argv}`);
      logger.result(
        [
          `pretrained backbone: ${flags.out} (${outcome.arrays.size} tensors, ${outcome.seconds.toFixed(0)} s of training steps)`,
          `train videos (${outcome.trainVideos}): ${formatPerceptionScores(outcome.train)}`,
          `val videos (${outcome.valVideos}): ${formatPerceptionScores(outcome.val)}`,
        ].join('\n'),
        { out: flags.out, seconds: outcome.seconds, train: outcome.train, val: outcome.val },
      );
    });
  return command;
}
