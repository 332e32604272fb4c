/**
 * The figures and plots of docs/results.md, computed from the measurements committed in the
 * lab notebook (docs/notebook/2026-11-to-12-results-log.md): its per-seed and per-epoch
 * tables are the only run data in the repository (run folders are not committed). Prints
 * every number of the results table with where it comes from, checks the summaries it
 * recomputes against the ones the notebook printed, and writes the plots to docs/results/.
 *
 *   pnpm --filter @sparsify/trainer results            # print and write the plots
 *   pnpm --filter @sparsify/trainer results --check    # fail if a committed plot differs
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pairedSummary } from '../src/report/paired-stats.js';
import {
  barChartSpec,
  lineChartSpec,
  renderSvg,
  scatterChartSpec,
} from '../src/report/svg-charts.js';
import { writeFileAtomic } from '../src/run/atomic-write.js';

const ROOT = join(import.meta.dirname, '../../..');
const NOTEBOOK = 'docs/notebook/2026-11-to-12-results-log.md';
/** The per-run table of the trade-off curve (perceiving recipe, issue 21). */
const TRADE_OFF_NOTEBOOK = 'docs/notebook/2026-12-05-trade-off-curve.md';
/** The trade-off curve again at 3,840 QA videos, per run (issue 21). */
const TRADE_OFF_3840_NOTEBOOK = 'docs/notebook/2026-12-06-trade-off-at-3840.md';
/** Sparsify with a ninth epoch and dense with four, at 3,840 QA videos, per run (plan 13). */
const EPOCHS_CURVE_3840_NOTEBOOK = 'docs/notebook/2026-12-06-sparsify-on-dense-epochs-curve.md';
/** The adopted model (7,680 QA videos, comparison head): Sparsify and dense at 4 epochs (plan 16). */
const HALF_EPOCHS_7680_NOTEBOOK = 'docs/notebook/2026-12-07-dense-half-epochs-at-7680.md';
const TRADE_OFF_7680_NOTEBOOK = 'docs/notebook/2026-12-07-trade-off-at-7680.md';
/** Dense held out against the count of QA videos, per run (issue 21). */
const SCALING_NOTEBOOK = 'docs/notebook/2026-12-05-video-scaling.md';
const PLOTS = 'docs/results';

type Table = string[][];

/** The text under `heading` (a whole line) up to the next heading of the same or a higher level. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`${NOTEBOOK}: no heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  const end = lines.findIndex(
    (line, i) => i > start && /^#+ /.test(line) && (/^#+/.exec(line)?.[0].length ?? 9) <= level,
  );
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Markdown tables in `text`, each as rows of trimmed cells (the header first, no separator). */
function tables(text: string): Table[] {
  const found: Table[] = [];
  let current: Table | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('|')) {
      const cells = line
        .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
        .split('|')
        .map((cell) => cell.trim());
      if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue;
      current ??= [];
      current.push(cells);
    } else if (current) {
      found.push(current);
      current = null;
    }
  }
  if (current) found.push(current);
  return found;
}

/** The table of `text` whose header starts with `first`. */
function tableStarting(text: string, first: string, where: string): Table {
  const table = tables(text).find((t) => t[0]?.[0] === first);
  if (!table) throw new Error(`${NOTEBOOK}, ${where}: no table whose header starts "${first}"`);
  return table;
}

function num(cell: string | undefined, where: string): number {
  const value = Number((cell ?? '').replace(/[*%,]/g, '').replace(/^\+/, ''));
  if (cell === undefined || cell.trim() === '' || !Number.isFinite(value))
    throw new Error(`${NOTEBOOK}, ${where}: "${cell}" is not a number`);
  return value;
}

function column(table: Table, header: string, where: string): number {
  const index = table[0]?.indexOf(header) ?? -1;
  if (index < 0) throw new Error(`${NOTEBOOK}, ${where}: no column "${header}"`);
  return index;
}

function rowNamed(table: Table, name: string, where: string): string[] {
  const row = table.find((r) => r[0] === name);
  if (!row) throw new Error(`${NOTEBOOK}, ${where}: no row "${name}"`);
  return row;
}

const signed = (v: number, digits = 2) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
const interval = (s: { low: number; high: number }, digits = 2) =>
  `[${signed(s.low, digits)}, ${signed(s.high, digits)}]`;
const plain = (s: { low: number; high: number }, digits = 2) =>
  `[${s.low.toFixed(digits)}, ${s.high.toFixed(digits)}]`;

/**
 * The recomputed summary must match the one `sparsify compare` printed into the notebook, up
 * to the rounding of the per-seed rows it is recomputed from (two decimals each).
 */
function agree(what: string, mine: string, notebook: string): void {
  const numbers = (text: string) => (text.match(/[-+]?\d+(\.\d+)?/g) ?? []).map(Number);
  const a = numbers(mine);
  const b = numbers(notebook);
  if (a.length !== b.length || a.some((v, i) => Math.abs(v - (b[i] as number)) > 0.015))
    throw new Error(`${what}: recomputed ${mine}, the notebook printed ${notebook}`);
}

const markdown = readFileSync(join(ROOT, NOTEBOOK), 'utf8');
const figures: string[][] = [];
const figure = (name: string, value: string, source: string) => figures.push([name, value, source]);

// Held out, dense vs Sparsify: 17 seeds, 8,000 questions.
const heldOutDemoWhere = 'Dense vs Sparsify, 17 seeds, 8,000 held-out questions';
const heldOutDemo = section(markdown, `### ${heldOutDemoWhere}`);
const perSeed = tableStarting(heldOutDemo, 'seed', heldOutDemoWhere).slice(1);
const dense = perSeed.map((r) => num(r[1], heldOutDemoWhere));
const sparsify = perSeed.map((r) => num(r[2], heldOutDemoWhere));
const denseSummary = pairedSummary(dense);
const sparsifySummary = pairedSummary(sparsify);
const sparsifyMinusDense = pairedSummary(sparsify.map((v, i) => v - (dense[i] as number)));
const pairedDemo = tableStarting(heldOutDemo, 'paired over the 17 seeds', heldOutDemoWhere);
const printedDiff = rowNamed(pairedDemo, 'Sparsify - dense, held out (points)', heldOutDemoWhere);
agree(
  'Sparsify - dense, held out',
  `${signed(sparsifyMinusDense.mean)} ${interval(sparsifyMinusDense)}`,
  `${printedDiff[1]} ${printedDiff[2]}`,
);
figure(
  'dense, held-out accuracy (17 seeds)',
  `${denseSummary.mean.toFixed(2)}% ${plain(denseSummary)}`,
  `${NOTEBOOK}, "${heldOutDemoWhere}", per-seed table`,
);
figure(
  'Sparsify, held-out accuracy (17 seeds)',
  `${sparsifySummary.mean.toFixed(2)}% ${plain(sparsifySummary)}`,
  'same table',
);
figure(
  'Sparsify - dense, held out (points)',
  `${printedDiff[1]} ${printedDiff[2]}, ${printedDiff[4]} wins / losses / ties`,
  `printed by \`sparsify compare\` (notebook, same section); recomputed from the rounded rows: ${signed(sparsifyMinusDense.mean)} ${interval(sparsifyMinusDense)}`,
);

// Blind baselines on the held-out set, as the notebook printed them.
const blind = /Blind on it: majority answer per type ([\d.]+)%, question-only ([\d.]+)%/.exec(
  section(markdown, '## Held-out test set: results'),
);
if (!blind) throw new Error(`${NOTEBOOK}: no "Blind on it" sentence in the held-out results`);
figure('question-only, held out', `${blind[2]}%`, `${NOTEBOOK}, "Held-out test set: results"`);
figure('majority answer per type, held out', `${blind[1]}%`, 'same sentence');

// Key subset vs random, held out: 17 seeds.
const keyWhere = 'Key subset, 17 seeds, 8,000 held-out questions';
const keySection = section(markdown, `### ${keyWhere}`);
const keyTable = tableStarting(keySection, 'seed', keyWhere);
const keyRows = keyTable.slice(1);
const pick = (header: string) =>
  keyRows.map((r) => num(r[column(keyTable, header, keyWhere)], keyWhere));
const full = pick('full data (InfoBatch)');
const key = pick('key subset');
const random = pick('random subset');
const retention = pairedSummary(key.map((v, i) => (v / (full[i] as number)) * 100));
const keyMinusRandom = pairedSummary(key.map((v, i) => v - (random[i] as number)));
const keyPaired = tableStarting(keySection, 'paired over the 17 seeds (held out)', keyWhere);
const printedKey = rowNamed(keyPaired, 'key subset - random subset (points)', keyWhere);
agree(
  'key subset - random subset, held out',
  `${signed(keyMinusRandom.mean)} ${interval(keyMinusRandom)}`,
  `${printedKey[1]} ${printedKey[2]}`,
);
const fullSummary = pairedSummary(full);
const keySummary = pairedSummary(key);
const randomSummary = pairedSummary(random);
figure(
  'full data with InfoBatch (level 3 alone), held out, 15-epoch schedule',
  `${fullSummary.mean.toFixed(2)}% ${plain(fullSummary)}`,
  `${NOTEBOOK}, "${keyWhere}", per-seed table`,
);
figure(
  'key subset (25%), held out',
  `${keySummary.mean.toFixed(2)}% ${plain(keySummary)}`,
  'same table',
);
figure(
  'random subset (25%), held out',
  `${randomSummary.mean.toFixed(2)}% ${plain(randomSummary)}`,
  'same table',
);
figure(
  'key subset - random subset, held out (points)',
  `${printedKey[1]} ${printedKey[2]}, ${printedKey[4]} wins / losses / ties`,
  `printed by \`sparsify compare\` (notebook, same section); recomputed from the rounded rows: ${signed(keyMinusRandom.mean)} ${interval(keyMinusRandom)}`,
);
const printedRetention = rowNamed(keyPaired, 'key subset / full data (retention)', keyWhere);
agree(
  'key subset retention',
  `${retention.mean.toFixed(1)} ${plain(retention, 1)}`,
  `${printedRetention[1]} ${printedRetention[2]}`,
);
figure(
  'key subset retention (key / full data)',
  `${printedRetention[1]} ${printedRetention[2]}`,
  `printed by \`sparsify compare\`; recomputed from the rounded rows: ${retention.mean.toFixed(1)}% ${plain(retention, 1)}`,
);

// Time ratio: the lockstep runs (both runs a step at a time, so the machine's slow spells
// hit both alike).
const lockWhere = 'Lockstep: the two runs a step at a time (2026-11-29, late)';
const lockTable = tableStarting(section(markdown, `## ${lockWhere}`), 'run', lockWhere);
const ratioColumn = column(lockTable, 'ratio', lockWhere);
const codeColumn = column(lockTable, 'code', lockWhere);
const lockstepRatios = lockTable
  .slice(1)
  .filter((r) => (r[codeColumn] ?? '').startsWith('lockstep'))
  .map((r) => num(r[ratioColumn], lockWhere));
const ratio = pairedSummary(lockstepRatios);
figure(
  `Sparsify / dense training time, lockstep runs (${ratio.count})`,
  `${ratio.mean.toFixed(3)} ${plain(ratio, 3)}, range ${ratio.min.toFixed(2)}-${ratio.max.toFixed(2)}`,
  `${NOTEBOOK}, "${lockWhere}"`,
);

// Nine seeds on the 384-question test split: accuracy and seconds of each pair.
const nineWhere = 'Nine seeds at the `pnpm start` size';
const nineTable = tableStarting(section(markdown, `## ${nineWhere}`), 'Method', nineWhere);
const overallColumn = column(nineTable, 'Overall', nineWhere);
const secondsColumn = column(nineTable, 'train s', nineWhere);
const nine = nineTable
  .slice(1)
  .filter((r) => /^\d+$/.test(r[1] ?? ''))
  .map((r) => ({
    method: r[0] as string,
    seed: r[1] as string,
    overall: num(r[overallColumn], nineWhere),
    seconds: num(r[secondsColumn], nineWhere),
  }));
const questionOnlyTest = /question-only\s+baseline \(([\d.]+)%\)/.exec(
  section(markdown, `## ${nineWhere}`),
);
if (!questionOnlyTest) throw new Error(`${NOTEBOOK}, ${nineWhere}: no question-only baseline`);
figure(
  'question-only, 384 test questions',
  `${questionOnlyTest[1]}%`,
  `${NOTEBOOK}, "${nineWhere}"`,
);
const denseSeconds = new Map(
  nine.filter((r) => r.method === 'dense').map((r) => [r.seed, r.seconds]),
);

// `pnpm start`, per epoch: samples and tokens per sample (Sparsify); dense uses all of both.
const startWhere = '`pnpm start` (240 videos, 8 epochs, seed 42)';
const start = section(markdown, `## ${startWhere}`);
const epochTable = tableStarting(start, 'epoch', startWhere);
const epochs = (epochTable[0] ?? []).slice(1).map((e) => num(e, startWhere));
const perEpoch = (name: string) =>
  rowNamed(epochTable, name, startWhere)
    .slice(1)
    .map((v) => num(v, startWhere));
const sparseSamples = perEpoch('Sparsify samples');
const sparseTokens = perEpoch('Sparsify tokens');
const costTable = tableStarting(start, 'run', startWhere);
const denseCost = rowNamed(costTable, 'dense', startWhere);
const denseTokens = num(denseCost[3]?.split('/')[0], startWhere);
const denseSamples = num(denseCost[5]?.split('/')[0], startWhere);

// Per type, held out, means of 17 seeds: Sparsify - dense and key subset - random.
const meanTable = (text: string, first: string, where: string) => {
  const table = tableStarting(text, first, where);
  const headers = (table[0] ?? []).slice(1);
  return (name: string) => {
    const row = rowNamed(table, name, where);
    return headers.map((header, i) => ({ header, value: num(row[i + 1], where) }));
  };
};
const demoMeans = meanTable(heldOutDemo, 'Method, mean of 17 seeds (held out)', heldOutDemoWhere);
const keyMeans = meanTable(keySection, 'Method, mean of 17 seeds (held out)', keyWhere);
const difference = (a: { header: string; value: number }[], b: { value: number }[]) =>
  a.map((cell, i) => ({ category: cell.header, value: cell.value - (b[i]?.value ?? Number.NaN) }));

// Trade-off curves: every run of a notebook's per-run table, as (CPU seconds / dense's of the
// same seed, held-out accuracy - dense's of the same seed).
function tradeOffRuns(notebook: string, heading: string, what: string) {
  const where = `${notebook}, per-run table`;
  const table = tableStarting(
    section(readFileSync(join(ROOT, notebook), 'utf8'), heading),
    'point',
    where,
  );
  const runs = table.slice(1).map((row) => ({
    series: row[column(table, 'point', where)] ?? '',
    x: num(row[column(table, 'CPU / dense', where)], where),
    y: num(row[column(table, 'point - dense', where)], where),
  }));
  figure(`${what}: runs (point, seed) with held out and CPU seconds`, String(runs.length), where);
  return runs;
}
// A trade-off plot: every run against dense of its seed, dense itself the line at 0.
function tradeOffPlot(title: string, runs: ReturnType<typeof tradeOffRuns>, denseLabel = 'dense') {
  return scatterChartSpec(
    {
      title,
      xTitle: "training CPU seconds / dense's for the same seed",
      yTitle: "held-out accuracy - dense's (points)",
      width: 460,
    },
    runs,
    undefined,
    [{ label: denseLabel, y: 0 }],
  );
}
// The perceiving recipe at 240 videos (the first backbone).
const tradeOffRuns240 = tradeOffRuns(
  TRADE_OFF_NOTEBOOK,
  '### Per run and per point (printed by `runs/tc/gather.ts`)',
  'trade-off curve',
);
// The same axes at 3,840 QA videos (the model at ~59.5%): lighter settings than the preset,
// then dense's own time axis (dense for 4 epochs) and Sparsify given a ninth epoch.
const tradeOffRuns3840 = [
  ...tradeOffRuns(TRADE_OFF_3840_NOTEBOOK, '### Per run', 'trade-off curve at 3,840 videos'),
  ...tradeOffRuns(EPOCHS_CURVE_3840_NOTEBOOK, '### Per run', "dense's epochs at 3,840 videos"),
];
// The adopted model: Sparsify's preset and dense trained for half its epochs, then the
// preset with less masking (mask 0.25) or less merging (keep 0.5).
const tradeOffRuns7680 = [
  ...tradeOffRuns(
    HALF_EPOCHS_7680_NOTEBOOK,
    '### Per run',
    'trade-off at 7,680 videos with the comparison head',
  ),
  ...tradeOffRuns(
    TRADE_OFF_7680_NOTEBOOK,
    '### Per run',
    'mask ratio and merge keep at 7,680 videos',
  ),
];

// Dense against the count of QA videos: the mean over seeds of each held-out set, per count.
const scalingWhere = `${SCALING_NOTEBOOK}, per-run curve table`;
const scalingTable = tableStarting(
  section(readFileSync(join(ROOT, SCALING_NOTEBOOK), 'utf8'), '### The curve, per run'),
  'videos',
  scalingWhere,
);
const heldOutSets = scalingTable[0]?.slice(2) ?? [];
const scalingPoints = heldOutSets.flatMap((set, s) => {
  const byVideos = new Map<number, number[]>();
  for (const row of scalingTable.slice(1)) {
    const cell = row[s + 2];
    if (cell === '-') continue;
    const videos = num(row[0], scalingWhere);
    byVideos.set(videos, [...(byVideos.get(videos) ?? []), num(cell, scalingWhere)]);
  }
  return [...byVideos].map(([videos, values]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    figure(
      `dense at ${videos} videos, ${set}`,
      `${mean.toFixed(2)} (${values.length} seeds)`,
      scalingWhere,
    );
    return { series: set, style: 'mean over seeds', x: videos, y: mean };
  });
});
const scalingVideos = [...new Set(scalingPoints.map((p) => p.x))].sort((a, b) => a - b);

const plots: Record<string, Parameters<typeof renderSvg>[0]> = {
  'video-scaling.svg': lineChartSpec(
    {
      title: 'Dense, held out, against the QA videos it trained on (mean over seeds)',
      xTitle: 'QA videos (log scale; 5.6 training questions a video)',
      yTitle: 'held-out accuracy (%)',
      width: 460,
      xScale: 'log2',
    },
    [
      ...scalingPoints,
      ...[scalingVideos[0], scalingVideos.at(-1)].map((x) => ({
        series: "issue 21's target",
        style: 'target (60%)',
        x: x as number,
        y: 60,
      })),
    ],
    { "issue 21's target": '#888' },
  ),
  'accuracy-vs-time.svg': scatterChartSpec(
    {
      title: 'Test accuracy against training time, 9 seeds (384 questions)',
      xTitle: "training time / dense's time for the same seed",
      yTitle: 'overall test accuracy (%)',
      width: 460,
    },
    nine.map((r) => ({
      series: r.method,
      x: r.seconds / (denseSeconds.get(r.seed) ?? Number.NaN),
      y: r.overall,
    })),
    { dense: '#1f77b4', Sparsify: '#d62728' },
    [{ label: `question-only baseline ${questionOnlyTest[1]}%`, y: Number(questionOnlyTest[1]) }],
  ),
  'tokens-per-epoch.svg': lineChartSpec(
    {
      title: 'Tokens into the fusion per epoch: samples x tokens kept per sample',
      xTitle: 'epoch (pnpm start, seed 42)',
      yTitle: 'thousand tokens',
      width: 460,
    },
    epochs.flatMap((epoch, i) => [
      { series: 'dense', x: epoch, y: (denseSamples * denseTokens) / 1000 },
      {
        series: 'Sparsify',
        x: epoch,
        y: ((sparseSamples[i] as number) * (sparseTokens[i] as number)) / 1000,
      },
    ]),
    { dense: '#1f77b4', Sparsify: '#d62728' },
  ),
  'trade-off-curve.svg': tradeOffPlot(
    'Accuracy against CPU time, perceiving recipe, held out (one dot per run)',
    tradeOffRuns240,
  ),
  'trade-off-curve-3840.svg': tradeOffPlot(
    'Accuracy against CPU time at 3,840 QA videos, held out (one dot per run)',
    tradeOffRuns3840,
  ),
  'trade-off-curve-7680.svg': tradeOffPlot(
    'Accuracy against CPU time at 7,680 QA videos, comparison head (one dot per run)',
    tradeOffRuns7680,
    'dense, 8 epochs',
  ),
  'per-type-differences.svg': barChartSpec(
    {
      title: 'Differences per question type, held out (means of 17 seeds)',
      xTitle: 'accuracy difference (points)',
      yTitle: '',
      width: 460,
    },
    [
      ...difference(demoMeans('Sparsify'), demoMeans('dense')).map((d) => ({
        ...d,
        series: 'Sparsify - dense',
      })),
      ...difference(keyMeans('key subset'), keyMeans('random subset')).map((d) => ({
        ...d,
        series: 'key subset - random subset',
      })),
    ],
    { 'Sparsify - dense': '#d62728', 'key subset - random subset': '#2ca02c' },
  ),
};

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [name, spec] of Object.entries(plots)) {
  const path = join(ROOT, PLOTS, name);
  const svg = `${await renderSvg(spec)}\n`;
  if (check) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== svg) stale.push(name);
  } else {
    writeFileAtomic(path, svg);
  }
}

const widths = [0, 1, 2].map((c) => Math.max(...figures.map((f) => (f[c] ?? '').length)));
process.stdout.write(
  `${figures.map((f) => f.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')).join('\n')}\n`,
);
if (check && stale.length > 0) {
  process.stderr.write(`out of date in ${PLOTS}: ${stale.join(', ')} (run without --check)\n`);
  process.exit(1);
}
process.stderr.write(
  check ? `${PLOTS}: plots up to date\n` : `wrote ${Object.keys(plots).length} plots to ${PLOTS}\n`,
);
