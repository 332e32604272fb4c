import {
  type AvqaEvaluation,
  evaluatePredictions,
  formatResultsTable,
  resultsTableJson,
} from '@sparsify/avqa-datasets';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../log/logger.js';
import type { LoadedDataset } from '../pipeline/dataset.js';
import { loadSyntheticHeldout } from '../pipeline/synthetic-data.js';
import type { BatchSource } from '../pipeline/types.js';
import { predictSplit } from '../train/evaluate.js';
import { type CheckpointChoice, loadRun } from '../train/load-run.js';
import { createLogger, prepareBackend } from './runtime.js';

export interface EvalOutcome {
  evaluation: AvqaEvaluation;
  /** Tokens per sample that reached the fusion (video + audio). */
  tokensKept: number;
}

export type EvalSplit = 'val' | 'test' | 'heldout';

/** Held-out test videos `--split heldout` generates when not told otherwise. */
export const DEFAULT_HELDOUT_VIDEOS = 1000;

/**
 * The official per-type evaluation of a run's checkpoint on one split. `heldout` (synthetic
 * runs only) is a test set of `heldoutVideos` scenes beyond the benchmark's own videos: the
 * same models measured on ~20x the questions of the test split.
 */
export async function evaluateRun(
  runDir: string,
  split: EvalSplit,
  checkpoint: CheckpointChoice,
  logger: Logger,
  dataset?: LoadedDataset,
  heldoutVideos = DEFAULT_HELDOUT_VIDEOS,
): Promise<EvalOutcome> {
  const run = await loadRun(runDir, checkpoint, logger, dataset);
  try {
    let source: BatchSource;
    if (split !== 'heldout') source = run.dataset[split];
    else if (run.config.data.kind === 'synthetic')
      source = await loadSyntheticHeldout(
        run.config.data,
        run.dataset.inputs,
        heldoutVideos,
        run.dataset.fbankStats,
        logger,
      );
    else
      throw new ConfigError(
        '--split',
        `heldout is for runs on the synthetic benchmark; ${runDir} trained on ${run.config.data.kind}`,
      );
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
      new Option(
        '--split <split>',
        'which split; heldout: new synthetic test videos no split holds',
      )
        .choices(['val', 'test', 'heldout'])
        .default('test'),
    )
    .option(
      '--heldout-videos <n>',
      'videos in the held-out test set (--split heldout)',
      parsePositiveInteger,
      DEFAULT_HELDOUT_VIDEOS,
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
      const outcome = await evaluateRun(
        runDir,
        flags.split,
        flags.checkpoint,
        logger,
        undefined,
        flags.heldoutVideos,
      );
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

function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidArgumentError('a positive integer');
  return n;
}
