import type { EpochMetrics } from '../run/run-folder.js';
import { barChart, escapeXml, lineChart } from './svg-charts.js';

/** One accuracy column of the official table (paper order), in percent. */
export interface AccuracyColumn {
  label: string;
  accuracy: number;
}

/** What the report draws for one run. */
export interface ReportRun {
  name: string;
  metrics: readonly EpochMetrics[];
  /** Test accuracy per column, paper order; empty before the final evaluation. */
  testColumns: readonly AccuracyColumn[];
  /** The markdown of the evaluation table, shown as text under the charts. */
  summary?: string;
}

/**
 * A self-contained HTML page: loss and accuracy curves, per-type bars (one bar per run,
 * so dense and sparse sit side by side), tokens kept and seconds per epoch.
 */
export function renderReport(title: string, runs: readonly ReportRun[]): string {
  const perEpoch = (pick: (m: EpochMetrics) => number, suffix = '') =>
    runs.map((run) => ({
      name: `${run.name}${suffix}`,
      points: run.metrics.map((m) => [m.epoch + 1, pick(m)] as const),
    }));
  const charts = [
    lineChart('Loss', 'epoch', 'cross-entropy', [
      ...perEpoch((m) => m.trainLoss, ' train'),
      ...perEpoch((m) => m.valLoss, ' val'),
    ]),
    lineChart('Accuracy', 'epoch', 'accuracy (%)', [
      ...perEpoch((m) => m.trainAccuracy * 100, ' train'),
      ...perEpoch((m) => m.valAccuracy * 100, ' val'),
    ]),
    lineChart(
      'Tokens kept per sample',
      'epoch',
      'tokens (video + audio)',
      perEpoch((m) => m.videoTokensKept + m.audioTokensKept),
    ),
    lineChart(
      'Time per epoch',
      'epoch',
      'seconds',
      perEpoch((m) => m.seconds),
    ),
    lineChart(
      'Samples used per epoch',
      'epoch',
      'samples',
      perEpoch((m) => m.samplesUsed),
    ),
  ];
  const withTest = runs.filter((run) => run.testColumns.length > 0);
  const first = withTest[0];
  if (first) {
    charts.splice(
      2,
      0,
      barChart(
        'Test accuracy per question type',
        'accuracy (%)',
        first.testColumns.map((c) => c.label),
        withTest.map((run) => ({
          name: run.name,
          values: first.testColumns.map(
            (c) => run.testColumns.find((d) => d.label === c.label)?.accuracy ?? Number.NaN,
          ),
        })),
      ),
    );
  }
  const summaries = runs
    .filter((run) => run.summary)
    .map((run) => `<h2>${escapeXml(run.name)}</h2>\n<pre>${escapeXml(run.summary ?? '')}</pre>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.charts svg { border: 1px solid #eee; background: #fff; }
pre { background: #f7f7f7; padding: 8px; overflow-x: auto; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<div class="charts">
${charts.join('\n')}
</div>
${summaries.join('\n')}
</body>
</html>
`;
}
