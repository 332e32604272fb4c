import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AccuracyCount,
  type AvqaEvaluation,
  formatResultsTable,
  resultsTableJson,
} from '@sparsify/avqa-datasets';
import { Command, Option } from 'commander';
import { ConfigError } from '../config/config-error.js';
import {
  parseNonNegativeIntegerFlag,
  parseNumberFlag,
  parsePositiveIntegerFlag,
} from '../config/flags.js';
import { type TrainConfig, timeStepsOf } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { loadDataset } from '../pipeline/dataset.js';
import { type BlindBaselines, blindBaselines, formatBlind } from '../report/blind-baselines.js';
import { type PairedSummary, pairedSummary } from '../report/paired-stats.js';
import type { RunResults } from '../report/run-results.js';
import { RunFolder } from '../run/run-folder.js';
import { DEFAULT_HELDOUT_VIDEOS, evaluateAndSave, splitSource } from './eval.js';
import { createLogger, prepareBackend } from './runtime.js';

/**
 * Folders of runs written before results.json named them: the names `demo` and
 * `key-subset` give their runs, and the folder each one used.
 */
const CONVENTIONAL_RUN_FOLDERS: Record<string, string> = {
  dense: 'dense',
  Sparsify: 'sparsify',
  'full data (InfoBatch)': 'full-infobatch',
  'key subset': 'key-subset',
  'random subset': 'random-subset',
  'random subset, per type': 'random-per-type',
};

/** One run of an experiment folder: its name there and its folder. */
export interface ExperimentRun {
  name: string;
  dir: string;
  results: RunResults;
}

/** The runs of a folder written by `demo` or `key-subset`, in its results.json order. */
export function experimentRuns(experimentDir: string): ExperimentRun[] {
  const folder = new RunFolder(experimentDir);
  const { runs } = folder.readJson<{ runs?: (RunResults & { runDir?: string })[] }>(
    folder.resultsJsonPath,
  );
  if (!Array.isArray(runs) || runs.length < 2) {
    throw new Error(
      `${folder.resultsJsonPath}: expected the "runs" of a demo or key-subset folder (two or more)`,
    );
  }
  return runs.map(({ runDir, ...results }, i) => {
    const relative = runDir ?? CONVENTIONAL_RUN_FOLDERS[results.name];
    if (relative === undefined) {
      throw new Error(
        `${folder.resultsJsonPath}: run ${i} ("${results.name}") names no runDir and has no conventional folder`,
      );
    }
    const dir = join(folder.dir, relative);
    if (!existsSync(join(dir, 'config.json'))) {
      throw new Error(
        `${folder.resultsJsonPath}: run ${i} ("${results.name}") should be in ${dir}, which is not a run folder`,
      );
    }
    return { name: results.name, dir, results };
  });
}

export interface CompareOptions {
  /** 'test': the evaluations the runs saved; 'heldout': their best checkpoints on new videos. */
  split: 'test' | 'heldout';
  heldoutVideos?: number;
  /** First scene of the held-out set (default: the one after each run's own videos). */
  heldoutFirstVideo?: number;
  confidence?: number;
}

export interface ExperimentComparison {
  split: string;
  experiments: string[];
  /** Run names, the same in every experiment; the first is the reference. */
  names: string[];
  /** Overall accuracy in percent, [experiment][run]. */
  overall: number[][];
  /** Per run, correct and total summed over the experiments (same test set: the mean). */
  pooled: AvqaEvaluation[];
  /** Per later run: its overall accuracy as a percentage of the first run's, per experiment. */
  ratios: { name: string; of: string; summary: PairedSummary }[];
  /** Every pair of runs (a before b): a - b in points, the first run as b. */
  differences: { a: string; b: string; summary: PairedSummary }[];
  /** Answering blind on the same split, fitted on the first run's training split. */
  blind: BlindBaselines;
  markdown: string;
}

/**
 * Several experiments that differ only in their seed, run for run: each run's accuracy
 * per experiment, the mean per type, and paired differences and ratios with t intervals
 * over the experiments.
 */
export async function compareExperiments(
  experimentDirs: readonly string[],
  options: CompareOptions,
  logger: Logger,
): Promise<ExperimentComparison> {
  if (experimentDirs.length < 2)
    throw new ConfigError('<experiment...>', 'give two or more experiment folders');
  const heldoutVideos = options.heldoutVideos ?? DEFAULT_HELDOUT_VIDEOS;
  const experiments = experimentDirs.map((dir) => ({ dir, runs: experimentRuns(dir) }));
  const names = experiments[0]?.runs.map((run) => run.name) ?? [];
  for (const { dir, runs } of experiments) {
    const theirs = runs.map((run) => run.name);
    if (theirs.join('\u0000') !== names.join('\u0000')) {
      throw new Error(
        `${dir}: runs [${theirs.join(', ')}] do not match [${names.join(', ')}] of ${experimentDirs[0]}`,
      );
    }
  }
  const evaluations: AvqaEvaluation[][] = [];
  const total = experiments.length * names.length;
  for (const [e, { runs }] of experiments.entries()) {
    const row: AvqaEvaluation[] = [];
    for (const [r, run] of runs.entries()) {
      if (options.split === 'test') row.push(run.results.evaluation);
      else {
        const done = e * names.length + r;
        logger.event(
          'compare-run',
          { run: run.dir, done, total },
          `${run.dir} (${done + 1}/${total})`,
        );
        const saved = await evaluateAndSave(run.dir, 'heldout', 'best', logger, {
          heldoutVideos,
          heldoutFirstVideo: options.heldoutFirstVideo,
          reuse: true,
        });
        row.push(saved.evaluation);
      }
    }
    evaluations.push(row);
  }
  const percent = (count: AccuracyCount) => 100 * (count.accuracy ?? 0);
  const overall = evaluations.map((row) => row.map((e) => percent(e.overall)));
  const column = (run: number) => overall.map((row) => row[run] as number);
  const confidence = options.confidence ?? 0.95;
  const ratios = names.slice(1).map((name, k) => ({
    name,
    of: names[0] as string,
    summary: pairedSummary(
      column(k + 1).map((value, e) => (100 * value) / (column(0)[e] as number)),
      confidence,
    ),
  }));
  // Later runs against the first, then every later pair in folder order.
  const pairs: [number, number][] = names.slice(1).map((_, k) => [k + 1, 0]);
  for (let a = 1; a < names.length; a++)
    for (let b = a + 1; b < names.length; b++) pairs.push([a, b]);
  const differences = pairs.map(([a, b]) => ({
    a: names[a] as string,
    b: names[b] as string,
    summary: pairedSummary(
      column(a).map((value, e) => value - (column(b)[e] as number)),
      confidence,
    ),
  }));
  const pooled = names.map((_, run) => sumEvaluations(evaluations.map((row) => row[run]!)));
  const first = experiments[0]!.runs[0]!;
  const firstFolder = new RunFolder(first.dir);
  const config = firstFolder.readJson<TrainConfig>(firstFolder.configPath);
  const dataset = await loadDataset(config.data, logger, timeStepsOf(config));
  const source = await splitSource(
    first.dir,
    config,
    dataset,
    options.split,
    heldoutVideos,
    logger,
    options.heldoutFirstVideo,
  );
  const blind = blindBaselines(dataset.train.records, source.records);
  const comparison = {
    split:
      options.split === 'heldout'
        ? `heldout (${heldoutVideos} videos${options.heldoutFirstVideo === undefined ? '' : ` from scene ${options.heldoutFirstVideo}`})`
        : 'test',
    experiments: experiments.map((e) => e.dir),
    names,
    overall,
    pooled,
    ratios,
    differences,
    blind,
  };
  return { ...comparison, markdown: comparisonMarkdown(comparison) };
}

/** Counts summed run for run; with one test set per run this is the mean accuracy. */
function sumEvaluations(evaluations: readonly AvqaEvaluation[]): AvqaEvaluation {
  const add = (a: AccuracyCount, b: AccuracyCount): AccuracyCount => {
    const correct = a.correct + b.correct;
    const total = a.total + b.total;
    return { correct, total, accuracy: total > 0 ? correct / total : null };
  };
  const [first, ...rest] = evaluations;
  if (!first) throw new Error('sumEvaluations: nothing to sum');
  return rest.reduce(
    (sum, e) => ({
      byType: Object.fromEntries(
        Object.entries(sum.byType).map(([type, count]) => [
          type,
          add(count, e.byType[type as keyof AvqaEvaluation['byType']]),
        ]),
      ) as AvqaEvaluation['byType'],
      byModality: Object.fromEntries(
        Object.entries(sum.byModality).map(([modality, count]) => [
          modality,
          add(count, e.byModality[modality as keyof AvqaEvaluation['byModality']]),
        ]),
      ) as AvqaEvaluation['byModality'],
      overall: add(sum.overall, e.overall),
      missing: {
        count: sum.missing.count + e.missing.count,
        recordIndices: [],
        questionIds: [],
      },
    }),
    first,
  );
}

function comparisonMarkdown(c: Omit<ExperimentComparison, 'markdown'>): string {
  const questions = (c.pooled[0]?.overall.total ?? 0) / Math.max(1, c.experiments.length);
  const level = `${Math.round(100 * (c.ratios[0]?.summary.confidence ?? 0.95))}%`;
  const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
  const pct = (v: number) => `${v.toFixed(1)}%`;
  const ratioRow = (label: string, s: PairedSummary) =>
    `| ${label} | ${pct(s.mean)} | [${pct(s.low)}, ${pct(s.high)}] | ${pct(s.min)} .. ${pct(s.max)} | - |`;
  const pointsRow = (label: string, s: PairedSummary) =>
    `| ${label} | ${signed(s.mean)} | [${signed(s.low)}, ${signed(s.high)}] | ${signed(s.min)} .. ${signed(s.max)} | ${s.wins} / ${s.losses} / ${s.ties} |`;
  return [
    `Split: ${c.split}, ${questions} questions; ${c.experiments.length} experiments.`,
    '',
    `| experiment | ${c.names.join(' | ')} |`,
    `|---|${c.names.map(() => '---:').join('|')}|`,
    ...c.experiments.map(
      (dir, e) => `| ${dir} | ${(c.overall[e] ?? []).map((v) => v.toFixed(2)).join(' | ')} |`,
    ),
    '',
    'Mean per type over the experiments:',
    '',
    formatResultsTable(c.names.map((name, run) => ({ name, evaluation: c.pooled[run]! }))),
    '',
    `| paired over experiments | mean | ${level} t interval | range | wins / losses / ties |`,
    '|---|---:|---|---|---|',
    ...c.ratios.map((r) => ratioRow(`${r.name} / ${r.of}`, r.summary)),
    ...c.differences.map((d) => pointsRow(`${d.a} - ${d.b} (points)`, d.summary)),
    '',
    formatBlind(c.blind, 'this split'),
    '',
  ].join('\n');
}

/** `sparsify compare EXPERIMENT...`. */
export function createCompareCommand(): Command {
  return new Command('compare')
    .description(
      'compare the runs of demo or key-subset folders that differ in their seed: accuracy per seed, mean per type, paired differences with t intervals',
    )
    .argument('<experiment...>', 'folders written by demo or key-subset, one per seed')
    .addOption(
      new Option(
        '--split <split>',
        "test: the runs' saved test results; heldout: their best checkpoints on new videos",
      )
        .choices(['test', 'heldout'])
        .default('test'),
    )
    .option(
      '--heldout-videos <n>',
      'videos in the held-out test set',
      parsePositiveIntegerFlag('--heldout-videos'),
      DEFAULT_HELDOUT_VIDEOS,
    )
    .option(
      '--heldout-first-video <n>',
      "first scene of the held-out set (default: the one after each run's own videos)",
      parseNonNegativeIntegerFlag('--heldout-first-video'),
    )
    .option('--confidence <p>', 'of the intervals', parseNumberFlag('--confidence'), 0.95)
    .option('-q, --quiet', 'no progress bars, only results')
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (dirs: string[], flags, cmd: Command) => {
      const logger = createLogger(flags);
      if (!(flags.confidence > 0 && flags.confidence < 1))
        throw new ConfigError(
          '--confidence',
          `expected a number in (0, 1), got ${flags.confidence}`,
        );
      if (flags.split !== 'heldout' && flags.heldoutFirstVideo !== undefined)
        throw new ConfigError('--heldout-first-video', 'only applies to --split heldout');
      if (flags.split === 'heldout')
        await prepareBackend(cmd.optsWithGlobals().backend, true, logger);
      const comparison = await compareExperiments(
        dirs,
        {
          split: flags.split,
          heldoutVideos: flags.heldoutVideos,
          heldoutFirstVideo: flags.heldoutFirstVideo,
          confidence: flags.confidence,
        },
        logger,
      );
      const { markdown, pooled, ...rest } = comparison;
      logger.result(markdown, {
        ...rest,
        table: resultsTableJson(
          comparison.names.map((name, i) => ({ name, evaluation: pooled[i]! })),
        ),
      });
    });
}
