import { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { resolveTrainConfig } from '../config/train-config.js';
import type { TrainFlags } from '../config/train-flags.js';
import { resultsMarkdown } from '../report/run-results.js';
import { trainRun } from '../train/train-run.js';
import { createLogger, interruptFlag, prepareBackend } from './runtime.js';
import { addTrainFlags, trainOptionsFrom } from './train-options.js';

interface TrainCommandFlags extends TrainFlags {
  out?: string;
  resume?: string;
  overwrite?: boolean;
}

export function defaultRunDir(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `runs/${name}-${stamp}`;
}

/**
 * Flags that only change how a resumed run reports or computes, never what it trains; and
 * --lr, which a NaN stop advises lowering (the resumed run records it in config.json).
 */
const FLAGS_RESUME_KEEPS = new Set(['resume', 'quiet', 'logFormat', 'fastKernels', 'lr']);

/**
 * A resumed run continues with the config.json it started with, so any training flag given
 * beside `--resume` would be silently dropped; refusing it is kinder than a surprise.
 */
function rejectFlagsBesideResume(cmd: Command, runDir: string): void {
  const given = cmd.options
    .filter((option) => !FLAGS_RESUME_KEEPS.has(option.attributeName()))
    .filter((option) => cmd.getOptionValueSource(option.attributeName()) === 'cli')
    .map((option) => option.long ?? option.flags);
  if (given.length === 0) return;
  throw new ConfigError(
    '--resume',
    `the run continues with ${runDir}/config.json, so ${given.join(', ')} would be ignored; drop ${given.length === 1 ? 'it' : 'them'}, or start a new run with --out`,
  );
}

/** `sparsify train`: one run into a run folder; `--resume DIR` continues one. */
export function createTrainCommand(): Command {
  const command = new Command('train').description(
    'train a model (dense, sparsify or an ablation) into a run folder: config, metrics, checkpoints, results, report',
  );
  addTrainFlags(command)
    .option('--out <dir>', 'run folder (default runs/<preset>-<time>)')
    .option(
      '--resume <dir>',
      'continue the run in this folder from its last checkpoint (same result as uninterrupted)',
    )
    .option('--overwrite', 'replace the run already in --out (otherwise such a folder is refused)')
    .action(async (flags: TrainCommandFlags, cmd: Command) => {
      if (flags.resume !== undefined && flags.overwrite) {
        throw new ConfigError('--overwrite', '--resume continues a run; it cannot also replace it');
      }
      if (flags.resume !== undefined) rejectFlagsBesideResume(cmd, flags.resume);
      const logger = createLogger(flags);
      const config = resolveTrainConfig(trainOptionsFrom(flags));
      await prepareBackend(cmd.optsWithGlobals().backend, config.fastKernels, logger);
      const interrupt = interruptFlag(logger);
      try {
        const outcome = await trainRun({
          config,
          runDir: flags.resume ?? flags.out ?? defaultRunDir(config.preset),
          resume: flags.resume !== undefined,
          resumeLearningRate:
            flags.resume !== undefined && cmd.getOptionValueSource('lr') === 'cli'
              ? flags.lr
              : undefined,
          overwrite: flags.overwrite ?? false,
          logger,
          shouldStop: interrupt.stopRequested,
        });
        if (!outcome.results) {
          process.exitCode = 130;
          return;
        }
        logger.result(`${resultsMarkdown(outcome.results)}\nreport: ${outcome.folder.reportPath}`, {
          results: outcome.results.table,
          report: outcome.folder.reportPath,
        });
      } finally {
        interrupt.release();
      }
    });
  return command;
}
