import {
  type AvqaEvaluation,
  type AvqaRecord,
  evaluatePredictions,
  formatResultsTable,
  RESULT_COLUMNS,
  resultsTableJson,
} from '@sparsify/avqa-datasets';
import type { TrainConfig } from '../config/train-config.js';
import type { BatchSource } from '../pipeline/types.js';
import type { EpochMetrics, RunFolder } from '../run/run-folder.js';
import { formatGates } from '../train/init-from.js';
import {
  type AccuracyColumn,
  type ReportBaseline,
  type ReportRun,
  type RunCost,
  renderReport,
  type TemplateScore,
} from './html-report.js';
import { perTemplateAccuracy, type TemplateAccuracy, templateMarkdown } from './per-template.js';

/** results.json: what a run achieved and what it cost. */
export interface RunResults {
  name: string;
  preset: string;
  split: string;
  bestEpoch: number;
  bestValAccuracy: number;
  /** Official evaluation of the best-on-validation checkpoint. */
  evaluation: AvqaEvaluation;
  /** The same as a table row: accuracy in percent per column id, paper order. */
  table: ReturnType<typeof resultsTableJson>;
  /** Seconds of training steps (validation excluded), summed over epochs. */
  trainSeconds: number;
  /**
   * Process CPU seconds (user + system) of the training steps, summed over epochs; a fair
   * cost on a shared machine when the run is single-threaded. Absent when an epoch's metrics
   * predate the measurement.
   */
  trainCpuSeconds?: number;
  /**
   * Tokens into the fusion summed over the training samples of every epoch (mean kept per
   * sample x samples used): the arithmetic the sparsity levels remove. Absent in older runs.
   */
  trainTokens?: number;
  epochs: number;
  datasetSize: number;
  meanSamplesPerEpoch: number;
  /** Mean tokens per sample entering the fusion, over training epochs (video + audio). */
  meanTokensKept: number;
  tokensTotal: number;
  /** Tokens kept at test time (no masking; merging when enabled). */
  testTokensKept: number;
  /** Accuracy per template beside the question-only baseline's (when the train records are known). */
  byTemplate?: TemplateAccuracy[];
  /** Adapter gate values of the evaluated checkpoint, by parameter name. */
  gates?: Record<string, number>;
}

/**
 * A run's training CPU seconds: the sum over its epochs, or undefined when there are none or an
 * epoch did not measure them (runs written before `cpuSeconds` was).
 */
export function trainCpuSeconds(metrics: readonly EpochMetrics[]): number | undefined {
  if (metrics.length === 0 || metrics.some((m) => m.cpuSeconds === undefined)) return undefined;
  return metrics.reduce((sum, m) => sum + (m.cpuSeconds ?? 0), 0);
}

export function summariseRun(
  name: string,
  config: TrainConfig,
  metrics: readonly EpochMetrics[],
  test: { source: BatchSource; predictions: Int32Array; tokensKept: number },
  best: { epoch: number; valAccuracy: number },
  extra: { train?: readonly AvqaRecord[]; gates?: Record<string, number> } = {},
): RunResults {
  const evaluation = evaluatePredictions(test.source.records, test.predictions);
  const mean = (pick: (m: EpochMetrics) => number) =>
    metrics.reduce((sum, m) => sum + pick(m), 0) / Math.max(1, metrics.length);
  const cpuSeconds = trainCpuSeconds(metrics);
  return {
    name,
    preset: config.preset,
    split: test.source.name,
    bestEpoch: best.epoch,
    bestValAccuracy: best.valAccuracy,
    evaluation,
    table: resultsTableJson([{ name, evaluation }]),
    trainSeconds: metrics.reduce((sum, m) => sum + m.seconds, 0),
    ...(cpuSeconds === undefined ? {} : { trainCpuSeconds: cpuSeconds }),
    trainTokens: metrics.reduce(
      (sum, m) => sum + (m.videoTokensKept + m.audioTokensKept) * m.samplesUsed,
      0,
    ),
    epochs: metrics.length,
    datasetSize: metrics[0]?.datasetSize ?? test.source.records.length,
    meanSamplesPerEpoch: mean((m) => m.samplesUsed),
    meanTokensKept: mean((m) => m.videoTokensKept + m.audioTokensKept),
    tokensTotal: mean((m) => m.videoTokensTotal + m.audioTokensTotal),
    testTokensKept: test.tokensKept,
    ...(extra.train
      ? { byTemplate: perTemplateAccuracy(extra.train, test.source.records, test.predictions) }
      : {}),
    ...(extra.gates ? { gates: extra.gates } : {}),
  };
}

/** Accuracy columns in the paper's order, for the report's bars. */
export function accuracyColumns(evaluation: AvqaEvaluation): AccuracyColumn[] {
  return RESULT_COLUMNS.map((column) => ({
    label:
      `${column.group === 'Audio-Visual' ? 'AV' : column.group.slice(0, 1)} ${column.header}`.trim(),
    accuracy: (column.pick(evaluation).accuracy ?? Number.NaN) * 100,
  }));
}

export function resultsMarkdown(results: RunResults): string {
  return [
    `# ${results.name}`,
    '',
    `Best epoch on validation: ${results.bestEpoch + 1} (val accuracy ${(results.bestValAccuracy * 100).toFixed(2)}%); evaluated on ${results.split}.`,
    '',
    formatResultsTable([{ name: results.name, evaluation: results.evaluation }]),
    '',
    '| training seconds | epochs | samples used per epoch | tokens kept per sample (train) | tokens per sample (input) | tokens kept at test |',
    '|---|---|---|---|---|---|',
    `| ${results.trainSeconds.toFixed(1)} | ${results.epochs} | ${results.meanSamplesPerEpoch.toFixed(1)} / ${results.datasetSize} | ${results.meanTokensKept.toFixed(1)} | ${results.tokensTotal.toFixed(0)} | ${results.testTokensKept.toFixed(1)} |`,
    '',
    ...(results.gates ? [`Adapter gates: ${formatGates(results.gates)}`, ''] : []),
    ...(results.byTemplate ? [templateMarkdown(results.byTemplate), ''] : []),
  ].join('\n');
}

/** What the report's cost table shows of a run. */
export function reportCost(results: RunResults): RunCost {
  return {
    trainSeconds: results.trainSeconds,
    ...(results.trainCpuSeconds !== undefined ? { trainCpuSeconds: results.trainCpuSeconds } : {}),
    meanTokensKept: results.meanTokensKept,
    tokensTotal: results.tokensTotal,
    testTokensKept: results.testTokensKept,
    meanSamplesPerEpoch: results.meanSamplesPerEpoch,
    datasetSize: results.datasetSize,
    bestEpoch: results.bestEpoch,
  };
}

/** The run's per-template accuracy as the report's rows (correct of total), when it has one. */
export function reportTemplates(
  results: RunResults,
): { perTemplate: TemplateScore[] } | Record<string, never> {
  if (!results.byTemplate) return {};
  return {
    perTemplate: results.byTemplate.map((t) => ({
      template: t.template,
      type: t.type,
      correct: Math.round(t.accuracy * t.questions),
      total: t.questions,
    })),
  };
}

/** Writes results.json, results.md and report.html into the run folder. */
export async function writeRunResults(
  folder: RunFolder,
  results: RunResults,
  metrics: readonly EpochMetrics[],
  options: { baselines?: readonly ReportBaseline[] } = {},
): Promise<void> {
  folder.writeJson(folder.resultsJsonPath, results);
  const markdown = resultsMarkdown(results);
  folder.writeText(folder.resultsMarkdownPath, markdown);
  const run: ReportRun = {
    name: results.name,
    metrics,
    testColumns: accuracyColumns(results.evaluation),
    cost: reportCost(results),
    ...reportTemplates(results),
  };
  const notes = [
    `Best epoch on validation: ${results.bestEpoch + 1} (val accuracy ${(results.bestValAccuracy * 100).toFixed(2)}%); evaluated on ${results.split}.`,
  ];
  folder.writeText(
    folder.reportPath,
    await renderReport(`Sparsify run: ${results.name}`, [run], {
      notes,
      baselines: options.baselines,
    }),
  );
}
