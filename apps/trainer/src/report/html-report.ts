import type { EpochMetrics } from '../run/run-folder.js';
import {
  type Bar,
  barChartSpec,
  escapeXml,
  type LinePoint,
  lineChartSpec,
  renderSvg,
  type SeriesColors,
} from './svg-charts.js';

/** One accuracy column of the official table (paper order), in percent. */
export interface AccuracyColumn {
  label: string;
  accuracy: number;
}

/** Accuracy on the questions of one template (e.g. "How many instruments are sounding?"). */
export interface TemplateScore {
  template: string;
  /** Its question type, e.g. 'Audio/Counting', when known. */
  type?: string;
  correct: number;
  total: number;
}

/** What a run cost, for the results table. */
export interface RunCost {
  /** Seconds of training steps, validation excluded. */
  trainSeconds: number;
  /** CPU seconds of the same steps (the process's own), when measured. */
  trainCpuSeconds?: number;
  /** Mean tokens per sample entering the fusion during training (video + audio). */
  meanTokensKept: number;
  tokensTotal: number;
  /** Tokens per sample at test time, when measured. */
  testTokensKept?: number;
  meanSamplesPerEpoch: number;
  datasetSize: number;
  /** Zero-based epoch whose checkpoint was evaluated. */
  bestEpoch: number;
}

/** What the report draws for one run. */
export interface ReportRun {
  name: string;
  metrics: readonly EpochMetrics[];
  /** Test accuracy per column, paper order; empty before the final evaluation. */
  testColumns: readonly AccuracyColumn[];
  cost?: RunCost;
  /** Test accuracy per question template, when the evaluation has it. */
  perTemplate?: readonly TemplateScore[];
}

/** A reference that trained nothing, e.g. the question-only baseline, scored on the same split. */
export interface ReportBaseline {
  name: string;
  testColumns: readonly AccuracyColumn[];
  perTemplate?: readonly TemplateScore[];
}

export interface ReportOptions {
  /** Shown beside the runs in the per-type (and per-template) chart and tables. */
  baselines?: readonly ReportBaseline[];
  /** Sentences shown under the title, e.g. what the split is. */
  notes?: readonly string[];
  /** Which seconds the cost table's time ratio divides (default wall). */
  timeClock?: TimeClock;
}

/**
 * `wall`: seconds of the clock, fair when the runs took turns in one process; `cpu`: each
 * run's own CPU seconds, fair when single-threaded runs trained at once in two processes.
 */
export type TimeClock = 'wall' | 'cpu';

const BASELINE_GREYS = ['#8a8a8a', '#c4c4c4', '#5a5a5a'];
const percent = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '–');

/**
 * A self-contained HTML page (inline CSS and SVG; no script, no link, no fetch, so it
 * opens from disk): the results as tables, then per-type bars beside the blind baselines,
 * loss and accuracy curves, tokens kept, seconds and samples per epoch.
 */
export async function renderReport(
  title: string,
  runs: readonly ReportRun[],
  options: ReportOptions = {},
): Promise<string> {
  const baselines = options.baselines ?? [];
  const colors: Record<string, string> = {};
  baselines.forEach((b, i) => {
    colors[b.name] = BASELINE_GREYS[i % BASELINE_GREYS.length] as string;
  });
  const specs = [
    ...perTypeChart(runs, baselines, colors),
    ...perTemplateChart(runs, baselines, colors),
    ...epochCharts(runs),
  ];
  // A chart that cannot be drawn says why in its place: the run's results still matter.
  const charts = await Promise.all(
    specs.map((spec) =>
      renderSvg(spec).catch(
        (error: unknown) =>
          `<p class="note">${escapeXml(error instanceof Error ? error.message : String(error))}</p>`,
      ),
    ),
  );
  const sections = [
    perTypeTable(runs, baselines),
    costTable(runs, options.timeClock ?? 'wall'),
    perTemplateTable(runs, baselines),
  ].filter((html) => html !== '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; }
p.note { color: #555; margin: 0.3em 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; }
th { background: #f4f4f4; text-align: center; }
td { text-align: right; }
td:first-child, th[scope="row"] { text-align: left; }
tr.baseline td, tr.baseline th { color: #666; font-style: italic; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.charts figure { margin: 0; border: 1px solid #eee; background: #fff; padding: 4px; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
${(options.notes ?? []).map((note) => `<p class="note">${escapeXml(note)}</p>`).join('\n')}
<h2>Results</h2>
${sections.join('\n')}
<h2>Charts</h2>
<div class="charts">
${charts.map((svg) => `<figure>${svg}</figure>`).join('\n')}
</div>
</body>
</html>
`;
}

function perTypeChart(
  runs: readonly ReportRun[],
  baselines: readonly ReportBaseline[],
  colors: SeriesColors,
) {
  const rows = [...runs, ...baselines].filter((row) => row.testColumns.length > 0);
  const first = runs.find((run) => run.testColumns.length > 0);
  if (!first) return [];
  const bars: Bar[] = rows.flatMap((row) =>
    first.testColumns.map((column) => ({
      category: column.label,
      series: row.name,
      value: row.testColumns.find((c) => c.label === column.label)?.accuracy ?? Number.NaN,
    })),
  );
  return [
    barChartSpec(
      { title: 'Test accuracy per question type', xTitle: 'accuracy (%)', yTitle: '' },
      bars,
      colors,
    ),
  ];
}

function templateRows(runs: readonly ReportRun[], baselines: readonly ReportBaseline[]) {
  const withTemplates = [...runs, ...baselines].filter((row) => row.perTemplate?.length);
  const templates = new Map<string, { type?: string; total: number }>();
  for (const row of withTemplates) {
    for (const t of row.perTemplate ?? []) {
      if (!templates.has(t.template)) templates.set(t.template, { type: t.type, total: t.total });
    }
  }
  return { withTemplates, templates };
}

const accuracyOf = (row: { perTemplate?: readonly TemplateScore[] }, template: string) => {
  const t = row.perTemplate?.find((entry) => entry.template === template);
  return t && t.total > 0 ? (t.correct / t.total) * 100 : Number.NaN;
};

function perTemplateChart(
  runs: readonly ReportRun[],
  baselines: readonly ReportBaseline[],
  colors: SeriesColors,
) {
  const { withTemplates, templates } = templateRows(runs, baselines);
  if (!runs.some((run) => run.perTemplate?.length)) return [];
  // Numbered, because a long template is cut to the axis' width and many start alike.
  const bars: Bar[] = withTemplates.flatMap((row) =>
    [...templates.keys()].map((template, i) => ({
      category: `${i + 1}. ${template}`,
      series: row.name,
      value: accuracyOf(row, template),
    })),
  );
  return [
    barChartSpec(
      { title: 'Test accuracy per question template', xTitle: 'accuracy (%)', yTitle: '' },
      bars,
      colors,
    ),
  ];
}

function epochCharts(runs: readonly ReportRun[]) {
  const perEpoch = (pick: (m: EpochMetrics) => number, style?: string): LinePoint[] =>
    runs.flatMap((run) =>
      run.metrics.map((m) => ({ series: run.name, style, x: m.epoch + 1, y: pick(m) })),
    );
  const frame = (title: string, yTitle: string) => ({ title, xTitle: 'epoch', yTitle });
  return [
    lineChartSpec(frame('Loss', 'cross-entropy'), [
      ...perEpoch((m) => m.trainLoss, 'train'),
      ...perEpoch((m) => m.valLoss, 'val'),
    ]),
    lineChartSpec(frame('Accuracy', 'accuracy (%)'), [
      ...perEpoch((m) => m.trainAccuracy * 100, 'train'),
      ...perEpoch((m) => m.valAccuracy * 100, 'val'),
    ]),
    lineChartSpec(
      frame('Tokens kept per sample', 'tokens (video + audio)'),
      perEpoch((m) => m.videoTokensKept + m.audioTokensKept),
    ),
    lineChartSpec(
      frame('Time per epoch', 'seconds'),
      perEpoch((m) => m.seconds),
    ),
    lineChartSpec(
      frame('Samples used per epoch', 'samples'),
      perEpoch((m) => m.samplesUsed),
    ),
  ];
}

function table(caption: string, head: readonly string[], body: readonly string[]): string {
  return `<table>
<caption>${escapeXml(caption)}</caption>
<thead><tr>${head.map((h) => `<th scope="col">${escapeXml(h)}</th>`).join('')}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>`;
}

function row(cells: readonly string[], baseline = false): string {
  const [name, ...rest] = cells;
  return `<tr${baseline ? ' class="baseline"' : ''}><th scope="row">${escapeXml(name ?? '')}</th>${rest
    .map((cell) => `<td>${escapeXml(cell)}</td>`)
    .join('')}</tr>`;
}

function perTypeTable(runs: readonly ReportRun[], baselines: readonly ReportBaseline[]): string {
  const first = runs.find((run) => run.testColumns.length > 0);
  if (!first) return '';
  const labels = first.testColumns.map((c) => c.label);
  const cells = (columns: readonly AccuracyColumn[]) =>
    labels.map((label) => percent(columns.find((c) => c.label === label)?.accuracy ?? Number.NaN));
  return table(
    'Test accuracy per question type (%)',
    ['run', ...labels],
    [
      ...runs
        .filter((run) => run.testColumns.length > 0)
        .map((run) => row([run.name, ...cells(run.testColumns)])),
      ...baselines.map((b) => row([`${b.name} (no training)`, ...cells(b.testColumns)], true)),
    ],
  );
}

function costTable(runs: readonly ReportRun[], clock: TimeClock): string {
  const costed = runs.filter((run) => run.cost);
  const base = costed[0]?.cost;
  if (!base) return '';
  const cpu = clock === 'cpu';
  const seconds = (c: RunCost) => (cpu ? (c.trainCpuSeconds ?? Number.NaN) : c.trainSeconds);
  return table(
    `What each run cost (time ratio: against the first run${cpu ? ', of CPU seconds' : ''})`,
    [
      'run',
      'train seconds',
      ...(cpu ? ['train CPU seconds'] : []),
      'time ratio',
      'tokens kept / sample (train)',
      'tokens kept at test',
      'samples used / epoch',
      'best epoch (val)',
    ],
    costed.map(({ name, cost }) => {
      const c = cost as RunCost;
      return row([
        name,
        c.trainSeconds.toFixed(1),
        ...(cpu ? [seconds(c).toFixed(1)] : []),
        seconds(base) > 0 ? (seconds(c) / seconds(base)).toFixed(2) : '–',
        `${c.meanTokensKept.toFixed(1)} / ${c.tokensTotal.toFixed(0)}`,
        c.testTokensKept === undefined ? '–' : c.testTokensKept.toFixed(1),
        `${c.meanSamplesPerEpoch.toFixed(1)} / ${c.datasetSize}`,
        `${c.bestEpoch + 1}`,
      ]);
    }),
  );
}

function perTemplateTable(runs: readonly ReportRun[], baselines: readonly ReportBaseline[]) {
  const { withTemplates, templates } = templateRows(runs, baselines);
  if (!runs.some((run) => run.perTemplate?.length)) return '';
  const names = withTemplates.map((r) =>
    baselines.includes(r as ReportBaseline) ? `${r.name} (no training)` : r.name,
  );
  return table(
    'Test accuracy per question template (%)',
    ['template', 'type', 'questions', ...names],
    [...templates].map(([template, info], i) =>
      row([
        `${i + 1}. ${template}`,
        info.type ?? '',
        `${info.total}`,
        ...withTemplates.map((r) => percent(accuracyOf(r, template))),
      ]),
    ),
  );
}
