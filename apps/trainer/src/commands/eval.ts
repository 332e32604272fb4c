import {
  type AvqaEvaluation,
  evaluatePredictions,
  formatResultsTable,
  resultsTableJson,
} from '@sparsify/avqa-datasets';
import { Command, Option } from 'commander';
import type { Logger } from '../log/logger.js';
import type { LoadedDataset } from '../pipeline/dataset.js';
import { predictSplit } from '../train/evaluate.js';
import { type CheckpointChoice, loadRun } from '../train/load-run.js';
import { createLogger, prepareBackend } from './runtime.js';

export interface EvalOutcome {
  evaluation: AvqaEvaluation;
  /** Tokens per sample that reached the fusion (video + audio). */
  tokensKept: number;
}

/** The official per-type evaluation of a run's checkpoint on one split. */
export async function evaluateRun(
  runDir: string,
  split: 'val' | 'test',
  checkpoint: CheckpointChoice,
  logger: Logger,
  dataset?: LoadedDataset,
): Promise<EvalOutcome> {
  const run = await loadRun(runDir, checkpoint, logger, dataset);
  try {
    const source = run.dataset[split];
    const predicted = await predictSplit(
      run.model,
      source,
      run.config.batchSize,
      logger.progress(`  ${split}`, source.records.length),
    );
    return {
      evaluation: evaluatePredictions(source.records, predicted.predictions),
      tokensKept: predicted.tokens.videoKept + predicted.tokens.audioKept,
    };
  } finally {
    run.model.dispose();
  }
}

/** `sparsify eval RUN_DIR`: the per-type table of a checkpoint on a split. */
export function createEvalCommand(): Command {
  return new Command('eval')
    .description("evaluate a run's checkpoint on a split: the official per-type accuracy table")
    .argument('<run-dir>', 'a run folder written by train')
    .addOption(
      new Option('--split <split>', 'which split').choices(['val', 'test']).default('test'),
    )
    .addOption(
      new Option('--checkpoint <which>', 'best (on validation) or last')
        .choices(['best', 'last'])
        .default('best'),
    )
    .option('-q, --quiet', 'no progress bars, only results')
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (runDir: string, flags, cmd: Command) => {
      const logger = createLogger(flags);
      await prepareBackend(cmd.optsWithGlobals().backend, true, logger);
      const outcome = await evaluateRun(runDir, flags.split, flags.checkpoint, logger);
      const name = `${flags.checkpoint} (${flags.split})`;
      logger.result(
        `${formatResultsTable([{ name, evaluation: outcome.evaluation }], { format: 'text' })}\ntokens kept per sample: ${outcome.tokensKept.toFixed(1)}`,
        {
          table: resultsTableJson([{ name, evaluation: outcome.evaluation }]),
          tokensKept: outcome.tokensKept,
        },
      );
    });
}
