import { Command } from 'commander';
import { resolveTrainConfig } from '../config/train-config.js';
import type { TrainFlags } from '../config/train-flags.js';
import { formatPerceptionScores, pretrainBackbone } from '../train/pretrain.js';
import { createLogger, prepareBackend } from './runtime.js';
import { addTrainFlags, trainOptionsFrom } from './train-options.js';

/** The data seed pretraining defaults to: not the benchmark's (7), so no test video is seen. */
export const PRETRAIN_DATA_SEED = 1007;

interface PretrainFlags extends TrainFlags {
  out: string;
}

/** `sparsify pretrain`: the perception-pretrained backbone `train --init-from` starts from. */
export function createPretrainCommand(): Command {
  const command = new Command('pretrain').description(
    'pretrain the shared backbone on perception targets of generated videos (no questions), save it as safetensors for train --init-from',
  );
  addTrainFlags(command, {
    sparsity: false,
    subset: false,
    // Pretraining trains on the perception losses alone (the action sets it).
    defaults: { dataSeed: PRETRAIN_DATA_SEED, auxWeight: 1 },
  })
    .requiredOption('--out <file>', 'the safetensors file to write')
    .action(async (flags: PretrainFlags, cmd: Command) => {
      const logger = createLogger(flags);
      const config = resolveTrainConfig({
        ...trainOptionsFrom(flags),
        preset: 'dense',
        dataSeed: flags.dataSeed ?? PRETRAIN_DATA_SEED,
        auxWeight: 1,
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
