import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type AvqaEvaluation,
  type DuplicatePolicy,
  evaluatePredictions,
  formatResultsTable,
  questionOnlyBaseline,
  readAnnotationFile,
  resultsTableJson,
} from '@sparsify/avqa-datasets';
import { fastKernelsStatus } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import { Command, Option } from 'commander';
import { ConfigError } from '../config/config-error.js';
import {
  parseMergeFlag,
  parseNonNegativeIntegerFlag,
  parsePositiveIntegerFlag,
} from '../config/flags.js';
import {
  DUPLICATE_POLICIES,
  type MergeSettings,
  type TrainConfig,
  timeStepsOf,
} from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { type LoadedDataset, loadDataset } from '../pipeline/dataset.js';
import { heldoutOverlap, scenesSeenBy } from '../pipeline/heldout-overlap.js';
import { loadSyntheticHeldout } from '../pipeline/synthetic-data.js';
import type { BatchSource } from '../pipeline/types.js';
import {
  formatTemplateTable,
  perTemplateAccuracy,
  type TemplateAccuracy,
} from '../report/per-template.js';
import { RunFolder } from '../run/run-folder.js';
import { predictSplit } from '../train/evaluate.js';
import { adapterGates, formatGates } from '../train/init-from.js';
import { type CheckpointChoice, type InferenceOverrides, loadRun } from '../train/load-run.js';
import { readPredictionsFile } from './predictions-file.js';
import { createLogger, prepareBackend } from './runtime.js';

export interface EvalOutcome {
  evaluation: AvqaEvaluation;
  /** Tokens per sample that reached the fusion (video + audio). */
  tokensKept: number;
  /** Accuracy per template beside the question-only baseline's on the same questions. */
  byTemplate?: TemplateAccuracy[];
  /** The checkpoint's adapter gate values, by parameter name. */
  gates?: Record<string, number>;
  /** The question-only baseline (fitted on train) on the same questions, per type. */
  questionOnly?: AvqaEvaluation;
}

export type EvalSplit = 'val' | 'test' | 'heldout';

/** Held-out test videos `--split heldout` generates when not told otherwise. */
export const DEFAULT_HELDOUT_VIDEOS = 1000;

/**
 * The official per-type evaluation of a run's checkpoint on one split. `heldout` (synthetic
 * runs only) is a test set of `heldoutVideos` scenes beyond the benchmark's own videos (from
 * scene `heldoutFirstVideo` when given, so runs of different `--videos` score on one set):
 * the same models measured on ~20x the questions of the test split. `overrides` runs the
 * model differently at inference (merging on or off) with the checkpoint's weights.
 */
export async function evaluateRun(
  runDir: string,
  split: EvalSplit,
  checkpoint: CheckpointChoice,
  logger: Logger,
  dataset?: LoadedDataset,
  heldoutVideos = DEFAULT_HELDOUT_VIDEOS,
  heldoutFirstVideo?: number,
  overrides: InferenceOverrides = {},
): Promise<EvalOutcome> {
  const run = await loadRun(runDir, checkpoint, logger, dataset, overrides);
  try {
    const source = await splitSource(
      runDir,
      run.config,
      run.dataset,
      split,
      heldoutVideos,
      logger,
      heldoutFirstVideo,
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
      byTemplate: perTemplateAccuracy(
        run.dataset.train.records,
        source.records,
        predicted.predictions,
      ),
      gates: adapterGates(run.model.parameters),
      questionOnly: questionOnlyBaseline(run.dataset.train.records, source.records),
    };
  } finally {
    run.model.dispose();
  }
}

/**
 * The records and media of a split of a run's data; `heldout` is generated on first use,
 * and refused when its scenes overlap any the run has seen (its own benchmark, or the
 * pretraining videos its --init-from backbone records).
 */
export async function splitSource(
  runDir: string,
  config: TrainConfig,
  dataset: LoadedDataset,
  split: EvalSplit,
  heldoutVideos: number,
  logger: Logger,
  heldoutFirstVideo?: number,
): Promise<BatchSource> {
  if (split !== 'heldout') return dataset[split];
  if (config.data.kind !== 'synthetic')
    throw new ConfigError(
      '--split',
      `heldout is for runs on the synthetic benchmark; ${runDir} trained on ${config.data.kind}`,
    );
  refuseSeenHeldout(runDir, config, heldoutVideos, heldoutFirstVideo, (text) => logger.warn(text));
  return loadSyntheticHeldout(
    config.data,
    dataset.inputs,
    heldoutVideos,
    dataset.fbankStats,
    logger,
    heldoutFirstVideo,
  );
}

/** Throws, naming the flag, when a synthetic run's held-out set holds scenes the run has seen. */
function refuseSeenHeldout(
  runDir: string,
  config: TrainConfig,
  heldoutVideos: number,
  heldoutFirstVideo: number | undefined,
  /** Told when the pretraining check cannot be made (splitSource's call; the early one is quiet). */
  warn?: (text: string) => void,
): void {
  if (config.data.kind !== 'synthetic') return;
  const overlap = heldoutOverlap(
    {
      seed: config.data.seed,
      first: heldoutFirstVideo ?? config.data.videos,
      count: heldoutVideos,
    },
    scenesSeenBy(config, warn),
  );
  if (overlap)
    throw new ConfigError(
      heldoutFirstVideo === undefined ? '--heldout-videos' : '--heldout-first-video',
      `${overlap}: ${runDir} would be scored on scenes it has seen`,
    );
}

/** What `evaluateAndSave` writes beside a run's checkpoints. */
export interface SavedEvaluation extends EvalOutcome {
  split: EvalSplit;
  /** Held-out test videos (split 'heldout' only). */
  heldoutVideos?: number;
  /** The held-out set's first scene, when fixed (`--heldout-first-video`). */
  heldoutFirstVideo?: number;
  checkpoint: CheckpointChoice;
  /** Of the checkpoint file evaluated: a retrained or resumed run is evaluated again. */
  checkpointSha256: string;
  /** Kernels round differently, so an evaluation is reused only on the same backend. */
  backend: string;
  /**
   * And only on the same kernels: "stock", or the fast kernels' matmul engine, fused-kernel
   * engine and SIMD build (the native addon's sums differ from wasm's; a merge plan can then
   * flip). Files saved before 2026-12-07 have none, so they are computed again once.
   */
  kernels: string;
  /** The merging evaluated with when not the run's own (`--merge`): "off" or "fence,block,minKeep". */
  merge?: string;
}

/** The kernels an evaluation runs on, as `SavedEvaluation.kernels` records them. */
export function activeKernelsLabel(): string {
  const fast = fastKernelsStatus();
  if (fast === null) return 'stock';
  // The addon's avx512 and avx2 fused kernels sum in different orders too.
  const variant = fast.native.kernelVariant ? ` (${fast.native.kernelVariant})` : '';
  return `${fast.matmulEngine} matmul, ${fast.fusedEngine} fused${variant}, SIMD ${fast.simdBuild}`;
}

/** `--merge`'s value as saved: "off", or "fence,block,minKeep" (undefined: the run's own). */
export function mergeOverrideLabel(merge: MergeSettings | null | undefined): string | undefined {
  if (merge === undefined) return undefined;
  return merge === null ? 'off' : `${merge.fence},${merge.block},${merge.minKeep}`;
}

/**
 * `<run>/evaluations/<split>[-<videos>[-from-<first>]]-<checkpoint>[-<duplicates>][-merge-<m>].json`
 * (m = off or fence-block-minKeep):
 * an evaluation with other merging than the run's never overwrites the run's own.
 */
export function savedEvaluationPath(
  runDir: string,
  split: EvalSplit,
  checkpoint: CheckpointChoice,
  heldoutVideos = DEFAULT_HELDOUT_VIDEOS,
  duplicates?: DuplicatePolicy,
  heldoutFirstVideo?: number,
  merge?: MergeSettings | null,
): string {
  const from = heldoutFirstVideo === undefined ? '' : `-from-${heldoutFirstVideo}`;
  const splitName = split === 'heldout' ? `heldout-${heldoutVideos}${from}` : split;
  const policy = duplicates ? `-${duplicates}` : '';
  const label = mergeOverrideLabel(merge);
  // Dashes, not the flag's commas, so that lists of these files can be comma-separated.
  const merging = label === undefined ? '' : `-merge-${label.replaceAll(',', '-')}`;
  return join(
    new RunFolder(runDir).dir,
    'evaluations',
    `${splitName}-${checkpoint}${policy}${merging}.json`,
  );
}

/**
 * Evaluates a run's checkpoint and saves the result in the run folder (atomically), or,
 * with `reuse`, returns the saved result when it was made from the same checkpoint bytes
 * on the same backend: re-evaluating 8,000 held-out questions takes about a minute.
 */
export async function evaluateAndSave(
  runDir: string,
  split: EvalSplit,
  checkpoint: CheckpointChoice,
  logger: Logger,
  options: {
    heldoutVideos?: number;
    /** First scene of the held-out set (default: the first after the run's own videos). */
    heldoutFirstVideo?: number;
    reuse?: boolean;
    dataset?: LoadedDataset;
    /** Re-read a MUSIC-AVQA run's annotations with this policy (saved under its own name). */
    duplicates?: DuplicatePolicy;
    /** Merge at inference like this instead of as the run trained (saved under its own name). */
    merge?: MergeSettings | null;
  } = {},
): Promise<SavedEvaluation> {
  const heldoutVideos = options.heldoutVideos ?? DEFAULT_HELDOUT_VIDEOS;
  const heldoutFirstVideo = split === 'heldout' ? options.heldoutFirstVideo : undefined;
  const folder = new RunFolder(runDir);
  const checkpointPath =
    checkpoint === 'best' ? folder.bestCheckpointPath : folder.lastCheckpointPath;
  if (!existsSync(checkpointPath))
    throw new Error(`${checkpointPath} does not exist: is ${folder.dir} a finished run folder?`);
  const key = {
    split,
    ...(split === 'heldout' ? { heldoutVideos } : {}),
    ...(heldoutFirstVideo === undefined ? {} : { heldoutFirstVideo }),
    checkpoint,
    checkpointSha256: createHash('sha256').update(readFileSync(checkpointPath)).digest('hex'),
    backend: tf.getBackend(),
    kernels: activeKernelsLabel(),
    ...(options.merge === undefined ? {} : { merge: mergeOverrideLabel(options.merge) }),
  };
  // Before loading the run and its data: a refused set should not cost a minute first.
  if (split === 'heldout')
    refuseSeenHeldout(
      runDir,
      folder.readJson<TrainConfig>(folder.configPath),
      heldoutVideos,
      heldoutFirstVideo,
    );
  const path = savedEvaluationPath(
    runDir,
    split,
    checkpoint,
    heldoutVideos,
    options.duplicates,
    heldoutFirstVideo,
    options.merge,
  );
  let dataset = options.dataset;
  if (options.duplicates && !dataset) {
    const config = folder.readJson<TrainConfig>(folder.configPath);
    if (config.data.kind !== 'music-avqa')
      throw new ConfigError(
        '--duplicates',
        `only applies to music-avqa runs; ${runDir} trained on ${config.data.kind}`,
      );
    dataset = await loadDataset(
      { ...config.data, duplicates: options.duplicates },
      logger,
      timeStepsOf(config),
    );
  }
  if (options.reuse && existsSync(path)) {
    const saved = folder.readJson<SavedEvaluation>(path);
    const sameKey = (Object.keys(key) as (keyof typeof key)[]).every((k) => saved[k] === key[k]);
    if (sameKey) {
      logger.event('evaluation-reused', { path }, `${path}: reused`);
      return saved;
    }
  }
  const outcome = await evaluateRun(
    runDir,
    split,
    checkpoint,
    logger,
    dataset,
    heldoutVideos,
    heldoutFirstVideo,
    { merge: options.merge },
  );
  const saved: SavedEvaluation = { ...key, ...outcome };
  folder.writeJson(path, saved);
  return saved;
}

/** `sparsify eval RUN_DIR`: the per-type table of a checkpoint on a split. */
export function createEvalCommand(): Command {
  return new Command('eval')
    .description(
      "evaluate a run's checkpoint on a split: the official per-type accuracy table (also saved in <run>/evaluations/)",
    )
    .argument(
      '[run-dir]',
      'a run folder written by train (or give --annotations and --predictions)',
    )
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
      parsePositiveIntegerFlag('--heldout-videos'),
      DEFAULT_HELDOUT_VIDEOS,
    )
    .option(
      '--heldout-first-video <n>',
      "first scene of the held-out set (--split heldout; default: the one after the run's own videos); fix it to score runs of different --videos on the same scenes",
      parseNonNegativeIntegerFlag('--heldout-first-video'),
    )
    .addOption(
      new Option('--checkpoint <which>', 'best (on validation) or last')
        .choices(['best', 'last'])
        .default('best'),
    )
    .addOption(
      new Option(
        '--duplicates <policy>',
        'repeated question_ids: keep-first (default), keep-all (every record, as the official scripts) or drop',
      ).choices(DUPLICATE_POLICIES as string[]),
    )
    .option(
      '--merge <fence,block[,minKeep]|off>',
      "level-2 merging at inference instead of the run's own (off: none), with the same weights; saved under its own name",
    )
    .option(
      '--annotations <file>',
      'score --predictions against this MUSIC-AVQA annotation file (v1 or v2.0), no run needed',
    )
    .option(
      '--predictions <file>',
      'JSON: an array with one answer per record of --annotations (file order; scores records without question_id), or an object keyed by question_id',
    )
    .option('-q, --quiet', 'no progress bars, only results')
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (runDir: string | undefined, flags, cmd: Command) => {
      const logger = createLogger(flags);
      if (flags.predictions !== undefined || flags.annotations !== undefined) {
        if (flags.merge !== undefined)
          throw new ConfigError('--merge', 'applies to a run folder, not to --predictions');
        if (runDir !== undefined)
          throw new ConfigError('--predictions', 'scores a predictions file: give no run folder');
        if (!flags.predictions || !flags.annotations)
          throw new ConfigError(
            '--predictions',
            'needs both --annotations FILE and --predictions FILE',
          );
        const set = await readAnnotationFile(flags.annotations, { duplicates: flags.duplicates });
        const evaluation = evaluatePredictions(
          set.records,
          readPredictionsFile(flags.predictions, set),
        );
        const name = basename(flags.annotations);
        logger.result(
          `${formatResultsTable([{ name, evaluation }], { format: 'text' })}\n${evaluation.overall.total} records scored (${set.duplicatePolicy}), ${evaluation.missing.count} without a prediction`,
          {
            table: resultsTableJson([{ name, evaluation }]),
            scored: evaluation.overall.total,
            missing: evaluation.missing.count,
            duplicatePolicy: set.duplicatePolicy,
          },
        );
        return;
      }
      if (runDir === undefined)
        throw new ConfigError('<run-dir>', 'give a run folder, or --annotations and --predictions');
      // Parsed here, not by commander, which turns a parser's null ("off") into ''.
      const merge = flags.merge === undefined ? undefined : parseMergeFlag(flags.merge as string);
      if (merge?.epochs !== undefined)
        throw new ConfigError(
          '--merge',
          'epochs say when training merges; at inference give fence,block[,minKeep] or off',
        );
      await prepareBackend(cmd.optsWithGlobals().backend, true, logger);
      if (flags.split !== 'heldout' && cmd.getOptionValueSource('heldoutVideos') === 'cli')
        throw new ConfigError('--heldout-videos', 'only applies to --split heldout');
      if (flags.split !== 'heldout' && flags.heldoutFirstVideo !== undefined)
        throw new ConfigError('--heldout-first-video', 'only applies to --split heldout');
      const outcome = await evaluateAndSave(runDir, flags.split, flags.checkpoint, logger, {
        heldoutVideos: flags.heldoutVideos,
        heldoutFirstVideo: flags.heldoutFirstVideo,
        duplicates: flags.duplicates,
        merge,
      });
      const merging = outcome.merge;
      const name = `${flags.checkpoint} (${flags.split}${merging === undefined ? '' : `, merge ${merging}`})`;
      const rows = [{ name, evaluation: outcome.evaluation }];
      if (outcome.questionOnly)
        rows.push({ name: 'question-only', evaluation: outcome.questionOnly });
      const lines = [
        formatResultsTable(rows, { format: 'text' }),
        `tokens kept per sample: ${outcome.tokensKept.toFixed(1)}`,
      ];
      if (outcome.byTemplate) {
        lines.push(
          '',
          'accuracy per template beside question-only:',
          formatTemplateTable(outcome.byTemplate),
        );
      }
      if (outcome.gates) lines.push('', `adapter gates: ${formatGates(outcome.gates)}`);
      logger.result(lines.join('\n'), {
        table: resultsTableJson(rows),
        tokensKept: outcome.tokensKept,
        ...(outcome.byTemplate ? { byTemplate: outcome.byTemplate } : {}),
        ...(outcome.gates ? { gates: outcome.gates } : {}),
      });
    });
}
