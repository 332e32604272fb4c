import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { musicAvqaQuestionType } from '@sparsify/avqa-datasets';
import {
  coverageSubset,
  formatComposition,
  type KeptHistory,
  type KeySubsetOptions,
  keySubsetScores,
  selectKeySubset,
  stratifiedTopN,
  subsetComposition,
  writeSubsetAnnotationFile,
} from '@sparsify/key-subset-selection';
import { Command, Option } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { parseIntegerFlag, parseNumberFlag } from '../config/flags.js';
import {
  resolveTrainConfig,
  type SubsetSpec,
  type TrainConfig,
  timeStepsOf,
} from '../config/train-config.js';
import type { TrainFlags, TrainOptions } from '../config/train-flags.js';
import type { Logger } from '../log/logger.js';
import { type LoadedDataset, loadDataset } from '../pipeline/dataset.js';
import { randomPositionsPerType } from '../pipeline/subset.js';
import type { EpochSampler } from '../pipeline/types.js';
import { blindBaselineColumns } from '../report/blind-baselines.js';
import { type ComparedRun, comparisonMarkdown, comparisonReport } from '../report/comparison.js';
import type { RunResults } from '../report/run-results.js';
import { type EpochMetrics, RunFolder } from '../run/run-folder.js';
import { readCheckpointState } from '../train/checkpoint.js';
import { InfoBatchEpochSampler } from '../train/infobatch-sampler.js';
import { trainRun } from '../train/train-run.js';
import { createLogger, interruptFlag, prepareBackend } from './runtime.js';
import { addTrainFlags, trainOptionsFrom } from './train-options.js';

/** The preset key-subset selection trains with unless told: it needs InfoBatch's kept history. */
export const KEY_SUBSET_PRESET = 'infobatch-only';

export interface KeySubsetRecipe
  extends Required<Pick<KeySubsetOptions, 'fraction' | 'k' | 'r' | 'decayFrom' | 'mode'>> {
  out: string;
  /** 'type': choose within each question type, each keeping its share (not in the paper). */
  stratify: 'none' | 'type';
  /**
   * 'top': the n highest scores (the authors). 'coverage': CCS, an even spread over the
   * score strata after leaving out the top one (not in the paper; see `coverageSubset`).
   */
  select: 'top' | 'coverage';
  /** Reuse the kept history of a finished InfoBatch run folder instead of training one. */
  fromRun?: string;
  /**
   * Also train on the key subset and on a random subset of the same size (and, with
   * stratify 'type', on a random draw per type with the same counts) and report retention.
   */
  compare: boolean;
}

/** Subset overall accuracy / full-data overall accuracy. */
export interface Retention {
  key: number;
  random: number;
  /** With --stratify type: a random draw with the key subset's count of each type. */
  randomPerType?: number;
}

export interface KeySubsetOutcome {
  subsetFile: string;
  size: number;
  /** Subset accuracy / full-data accuracy, overall on test. */
  retention: Retention | null;
  markdown: string;
}

/**
 * The authors' recipe: train on the full data through InfoBatch, score each sample by how
 * often it was kept per group of k epochs with decay r, keep the top n as the key subset
 * (a MUSIC-AVQA annotation file). With `compare`, train on it and on a random subset of
 * the same size and report what fraction of the full-data accuracy each retains.
 */
export async function runKeySubset(
  options: TrainOptions,
  recipe: KeySubsetRecipe,
  logger: Logger,
  shouldStop?: () => boolean,
): Promise<KeySubsetOutcome | null> {
  const full = resolveTrainConfig({ ...options, preset: options.preset ?? KEY_SUBSET_PRESET });
  if (!full.infobatch)
    throw new ConfigError(
      '--infobatch',
      "key-subset selection records InfoBatch's kept history: leave InfoBatch on",
    );
  if (full.subset)
    throw new ConfigError('--subset', 'key-subset selection starts from the full training set');
  const dataset = await loadDataset(full.data, logger, timeStepsOf(full));
  const fullRun = recipe.fromRun
    ? finishedInfoBatchRun(recipe.fromRun, dataset.train.records.length)
    : await trainInfoBatchRun(
        full,
        join(recipe.out, 'full-infobatch'),
        dataset,
        logger,
        shouldStop,
      );
  if (!fullRun) return null;
  const { history } = fullRun;
  const selection = {
    fraction: recipe.fraction,
    k: recipe.k,
    r: recipe.r,
    decayFrom: recipe.decayFrom,
    mode: recipe.mode,
  };
  const count = Math.round(recipe.fraction * dataset.train.records.length);
  const types = dataset.train.records.map((record) => record.type);
  const scores = () => keySubsetScores(history, selection).scores;
  const subset =
    recipe.select === 'coverage'
      ? {
          indices: coverageSubset(scores(), {
            count,
            types: recipe.stratify === 'type' ? types : undefined,
            seed: full.seed,
          }),
        }
      : recipe.stratify === 'type'
        ? { indices: stratifiedTopN(scores(), types, count) }
        : selectKeySubset(history, selection);
  // Positions among the training records -> records of the annotation file, which also
  // holds any record the parser left out.
  const rawRecords = JSON.parse(readFileSync(dataset.trainAnnotationFile, 'utf8')) as unknown[];
  const toFileIndices = (positions: ArrayLike<number>) =>
    Array.from(positions, (position) => dataset.train.records[position]?.index ?? -1);
  const fileIndices = toFileIndices(subset.indices);
  const subsetFile = join(new RunFolder(recipe.out).dir, 'key-subset.json');
  mkdirSync(recipe.out, { recursive: true });
  await writeSubsetAnnotationFile(subsetFile, rawRecords, fileIndices);
  const composition = formatComposition(
    subsetComposition(rawRecords, fileIndices, musicAvqaQuestionType),
  );
  logger.event(
    'key-subset',
    { file: subsetFile, size: subset.indices.length, of: dataset.train.records.length },
    `key subset: ${subset.indices.length} of ${dataset.train.records.length} questions -> ${subsetFile}`,
  );
  const cutoff = 'cutoff' in subset ? subset.cutoff : null;
  const tieNote =
    cutoff && cutoff.tied > cutoff.chosen
      ? `Tie at the cut: ${cutoff.tied} questions share the last chosen score (${cutoff.score.toFixed(3)}) and ${cutoff.chosen} of them fit, taken by lower index as in the authors' code: the data order, not the score, chose them.`
      : null;
  if (tieNote) logger.warn(tieNote);
  const header = [
    `# Key subset: ${subset.indices.length} of ${dataset.train.records.length} training questions (fraction ${recipe.fraction})`,
    '',
    `Recipe: InfoBatch run of ${history.epochs} epochs, groups of k = ${recipe.k} epochs, decay r = ${recipe.r} from the ${recipe.decayFrom} group, counting ${recipe.mode} epochs; ${recipe.select === 'coverage' ? 'coverage-centric draw over the score strata, the top stratum left out' : 'the top n'}${recipe.stratify === 'type' ? ' within each question type' : ''}.`,
    '',
    ...(tieNote ? [tieNote, ''] : []),
    composition,
    '',
  ];
  if (!recipe.compare) {
    return {
      subsetFile,
      size: subset.indices.length,
      retention: null,
      markdown: header.join('\n'),
    };
  }
  const runs: ComparedRun[] = [{ results: fullRun.results, metrics: fullRun.metrics }];
  const runDirs = [recipe.fromRun ?? join(recipe.out, 'full-infobatch')];
  const subsetFraction = subset.indices.length / dataset.train.records.length;
  const compared: [string, string, SubsetSpec][] = [
    ['key subset', 'key-subset', { kind: 'file', file: subsetFile }],
    ['random subset', 'random-subset', { kind: 'random', fraction: subsetFraction }],
  ];
  if (recipe.stratify === 'type') {
    // A subset drawn per type gets a control drawn per type with the same counts.
    const counts = new Map<string, number>();
    for (const position of subset.indices) {
      const type = types[position] as string;
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    const controlFile = join(new RunFolder(recipe.out).dir, 'random-per-type.json');
    const control = randomPositionsPerType(types, counts, full.seed);
    await writeSubsetAnnotationFile(controlFile, rawRecords, toFileIndices(control));
    compared.push([
      'random subset, per type',
      'random-per-type',
      { kind: 'file', file: controlFile },
    ]);
  }
  for (const [name, dir, subsetSpec] of compared) {
    const config = { ...full, preset: 'custom' as const, infobatch: null, subset: subsetSpec };
    const outcome = await trainRun({
      config,
      runDir: join(recipe.out, dir),
      // key-subset owns its folder layout; running it again replaces its runs.
      overwrite: true,
      logger,
      name,
      dataset,
      shouldStop,
    });
    if (!outcome.results) return null;
    runs.push({
      results: outcome.results,
      metrics: new RunFolder(outcome.folder.dir).readMetrics(),
    });
    runDirs.push(outcome.folder.dir);
  }
  const accuracy = (run: ComparedRun | undefined) => run?.results.evaluation.overall.accuracy ?? 0;
  const fullAccuracy = accuracy(runs[0]);
  const retention: Retention = {
    key: accuracy(runs[1]) / fullAccuracy,
    random: accuracy(runs[2]) / fullAccuracy,
    ...(runs[3] ? { randomPerType: accuracy(runs[3]) / fullAccuracy } : {}),
  };
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  const markdown = [
    ...header,
    comparisonMarkdown(runs),
    `Retention (subset overall accuracy / full-data overall accuracy): key subset ${percent(retention.key)}, random subset ${percent(retention.random)}${retention.randomPerType === undefined ? '' : `, random subset per type ${percent(retention.randomPerType)}`}`,
    '',
  ].join('\n');
  const folder = new RunFolder(recipe.out);
  folder.writeText(join(folder.dir, 'results.md'), markdown);
  folder.writeJson(join(folder.dir, 'results.json'), {
    subsetFile,
    size: subset.indices.length,
    retention,
    // Each run's folder, relative, so `sparsify compare` finds it when the folders move.
    runs: runs.map((r, i) => ({
      ...r.results,
      runDir: relative(folder.dir, resolve(runDirs[i] as string)),
    })),
  });
  folder.writeText(
    join(folder.dir, 'report.html'),
    await comparisonReport('Key subset vs random subset', runs, {
      baselines: blindBaselineColumns(dataset.train.records, dataset.test.records),
    }),
  );
  return { subsetFile, size: subset.indices.length, retention, markdown };
}

interface InfoBatchRun {
  results: RunResults;
  metrics: EpochMetrics[];
  history: KeptHistory;
}

async function trainInfoBatchRun(
  config: TrainConfig,
  runDir: string,
  dataset: LoadedDataset,
  logger: Logger,
  shouldStop?: () => boolean,
): Promise<InfoBatchRun | null> {
  let history: KeptHistory | null = null;
  const outcome = await trainRun({
    config,
    runDir,
    overwrite: true,
    logger,
    name: 'full data (InfoBatch)',
    dataset,
    shouldStop,
    onSampler: (sampler: EpochSampler) => {
      if (sampler instanceof InfoBatchEpochSampler) history = sampler.history;
    },
  });
  if (!outcome.results) return null;
  if (!history) throw new Error('key-subset: the full run did not use InfoBatch');
  return { results: outcome.results, metrics: outcome.folder.readMetrics(), history };
}

/** The kept history saved in a finished InfoBatch run's last checkpoint. */
function finishedInfoBatchRun(runDir: string, size: number): InfoBatchRun {
  const folder = new RunFolder(runDir);
  const state = readCheckpointState(folder.lastCheckpointPath);
  const sampler = new InfoBatchEpochSampler(size, 1, { pruneRatio: 0.5, delta: 0.875 }, 0);
  try {
    sampler.loadState(state.samplerState);
  } catch (error) {
    throw new ConfigError(
      '--from-run',
      `${runDir} has no InfoBatch state for ${size} samples: ${(error as Error).message}`,
    );
  }
  return {
    results: folder.readJson<RunResults>(folder.resultsJsonPath),
    metrics: folder.readMetrics(),
    history: sampler.history,
  };
}

/** `sparsify key-subset`. */
export function createKeySubsetCommand(): Command {
  const command = new Command('key-subset').description(
    'select a key subset (InfoBatch run, kept history, decay, top-n), write it as an annotation file, and compare it with a random subset',
  );
  addTrainFlags(command, { subset: false, defaults: { preset: KEY_SUBSET_PRESET } })
    .option(
      '--out <dir>',
      'where the runs, key-subset.json and the comparison go',
      'runs/key-subset',
    )
    .option(
      '--fraction <f>',
      'subset size n as a fraction of the training set',
      parseNumberFlag('--fraction'),
      0.25,
    )
    .option('--k <epochs>', 'epochs per group', parseIntegerFlag('--k'), 5)
    .option('--r <ratio>', 'decay between consecutive groups', parseNumberFlag('--r'), 0.618)
    .addOption(
      new Option(
        '--decay-from <end>',
        "which group weighs most: earliest (authors' code) or latest (paper's text)",
      )
        .choices(['earliest', 'latest'])
        .default('earliest'),
    )
    .addOption(
      new Option(
        '--count <what>',
        "what c_g(i) counts: kept epochs (authors) or hard epochs (paper's D1)",
      )
        .choices(['kept', 'hard'])
        .default('kept'),
    )
    .addOption(
      new Option(
        '--stratify <by>',
        "none (the authors' recipe) or type: choose within each question type (and compare with a random draw per type too)",
      )
        .choices(['none', 'type'])
        .default('none'),
    )
    .addOption(
      new Option(
        '--select <rule>',
        'top: the n highest scores (the authors); coverage: an even spread over the score strata, never-learned samples last (CCS; not in the paper)',
      )
        .choices(['top', 'coverage'])
        .default('top'),
    )
    .option('--from-run <dir>', 'reuse the kept history of a finished InfoBatch run folder')
    .option('--no-compare', 'only write the subset, do not train on it')
    .action(async (flags: TrainFlags & Record<string, unknown>, cmd: Command) => {
      const logger = createLogger(flags);
      const options = trainOptionsFrom(flags);
      await prepareBackend(cmd.optsWithGlobals().backend, options.fastKernels ?? true, logger);
      const interrupt = interruptFlag(logger);
      try {
        const outcome = await runKeySubset(
          options,
          {
            out: flags.out as string,
            fraction: flags.fraction as number,
            k: flags.k as number,
            r: flags.r as number,
            decayFrom: flags.decayFrom as 'earliest' | 'latest',
            mode: flags.count as 'kept' | 'hard',
            compare: flags.compare as boolean,
            stratify: flags.stratify as 'none' | 'type',
            select: flags.select as 'top' | 'coverage',
            fromRun: flags.fromRun as string | undefined,
          },
          logger,
          interrupt.stopRequested,
        );
        if (!outcome) {
          process.exitCode = 130;
          return;
        }
        logger.result(outcome.markdown, {
          subsetFile: outcome.subsetFile,
          size: outcome.size,
          retention: outcome.retention,
        });
      } finally {
        interrupt.release();
      }
    });
  return command;
}
