import { formatResultsTable } from '@sparsify/avqa-datasets';
import type { EpochMetrics } from '../run/run-folder.js';
import {
  type ReportBaseline,
  type ReportOptions,
  renderReport,
  type TimeClock,
} from './html-report.js';
import { accuracyColumns, type RunResults, reportCost, reportTemplates } from './run-results.js';

export interface ComparedRun {
  results: RunResults;
  metrics: readonly EpochMetrics[];
}

/**
 * Several runs side by side: the official per-type table (paper column order), then
 * what each run cost relative to the first (the baseline). With `clock: 'cpu'` the time
 * ratio divides CPU seconds of training (runs that trained at once in separate processes).
 */
export function comparisonMarkdown(
  runs: readonly ComparedRun[],
  format: 'markdown' | 'text' = 'markdown',
  options: { clock?: TimeClock } = {},
): string {
  const table = formatResultsTable(
    runs.map(({ results }) => ({ name: results.name, evaluation: results.evaluation })),
    { format },
  );
  const cpu = options.clock === 'cpu';
  const seconds = (results: ComparedRun['results']) =>
    cpu ? (results.trainCpuSeconds ?? Number.NaN) : results.trainSeconds;
  const baseline = runs[0]?.results;
  const rows = runs.map(({ results }) => {
    const ratio =
      baseline && seconds(baseline) > 0 ? seconds(results) / seconds(baseline) : Number.NaN;
    return [
      results.name,
      results.trainSeconds.toFixed(1),
      ...(cpu ? [seconds(results).toFixed(1)] : []),
      ratio.toFixed(2),
      `${results.meanTokensKept.toFixed(1)} / ${results.tokensTotal.toFixed(0)}`,
      `${results.meanSamplesPerEpoch.toFixed(1)} / ${results.datasetSize}`,
      `${results.bestEpoch + 1}`,
    ];
  });
  const headers = [
    'run',
    'train seconds',
    ...(cpu ? ['train CPU seconds', 'time ratio (CPU)'] : ['time ratio']),
    'tokens kept / sample (train)',
    'samples used / epoch',
    'best epoch (val)',
  ];
  const cost =
    format === 'markdown'
      ? [
          `| ${headers.join(' | ')} |`,
          `|${headers.map(() => '---').join('|')}|`,
          ...rows.map((r) => `| ${r.join(' | ')} |`),
        ].join('\n')
      : alignColumns([headers, ...rows]);
  return `${table}\n\n${cost}\n`;
}

function alignColumns(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')).join('\n');
}

/**
 * The HTML report of several runs side by side (the first is the time ratio's baseline),
 * with blind baselines beside them when given.
 */
export function comparisonReport(
  title: string,
  runs: readonly ComparedRun[],
  options: { baselines?: readonly ReportBaseline[] } & ReportOptions = {},
): Promise<string> {
  return renderReport(
    title,
    runs.map(({ results, metrics }) => ({
      name: results.name,
      metrics,
      testColumns: accuracyColumns(results.evaluation),
      cost: reportCost(results),
      ...reportTemplates(results),
    })),
    options,
  );
}
