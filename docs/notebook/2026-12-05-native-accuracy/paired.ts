// Tables and paired statistics of notebook 2026-12-05-native-accuracy, from the run folders'
// held-out evaluations and, for the wasm runs of notebook 2026-12-05-backbone-v2 (whose run
// folders are not in this worktree), that notebook's per-seed tables (rounded to 0.01).
// Run from apps/trainer (where tsx is installed):
//   node --conditions=source --import tsx ../../docs/notebook/2026-12-05-native-accuracy/paired.ts
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pairedSummary } from '../../../apps/trainer/src/report/paired-stats.ts';

const RUNS = fileURLToPath(new URL('../../../runs/exp/', import.meta.url));

const TYPES = [
  'Audio/Counting',
  'Audio/Comparative',
  'Visual/Counting',
  'Visual/Location',
  'Audio-Visual/Existential',
  'Audio-Visual/Counting',
  'Audio-Visual/Location',
  'Audio-Visual/Comparative',
  'Audio-Visual/Temporal',
] as const;
const HEADER =
  'A Count | A Comp | V Count | V Loc | AV Exist | AV Count | AV Loc | AV Comp | AV Temp | Overall';
type Row = number[]; // the 9 types, then overall, in percent

// notebook 2026-12-05-backbone-v2, sections 2-4 (wasm, seeds 42, 1, 2)
const WASM: Record<string, Record<number, Row>> = {
  dense: {
    42: [50.82, 48.63, 51.28, 53.03, 51.37, 35.76, 35.66, 50.31, 30.02, 44.84],
    1: [50.27, 49.04, 49.13, 48.1, 52.46, 37.4, 33.91, 48.77, 25.38, 43.33],
    2: [52.6, 48.91, 48.51, 52.31, 49.73, 37.3, 34.22, 50.82, 30.78, 44.61],
  },
  sparsify: {
    42: [51.23, 48.91, 49.95, 47.08, 52.6, 36.07, 31.86, 50.0, 26.46, 43.25],
    1: [52.46, 50.96, 44.92, 36.41, 52.05, 29.41, 29.51, 50.31, 20.63, 39.85],
    2: [51.78, 50.0, 48.51, 51.69, 48.5, 35.25, 35.35, 49.18, 26.24, 43.61],
  },
};

function heldout(run: string): { row: Row; questionOnly: Row } | null {
  const file = `${RUNS}${run}/evaluations/heldout-1000-best.json`;
  if (!existsSync(file)) return null;
  const e = JSON.parse(readFileSync(file, 'utf8'));
  if (e.heldoutVideos !== 1000 || e.evaluation.overall.total !== 8000)
    throw new Error(`${file}: not the 8,000-question held-out set`);
  // Rounded to 0.01 as `eval` prints them, so they pair with the wasm tables' values.
  const pick = (ev: {
    byType: Record<string, { accuracy: number }>;
    overall: { accuracy: number };
  }) =>
    [
      ...TYPES.map((t) => 100 * (ev.byType[t]?.accuracy ?? Number.NaN)),
      100 * ev.overall.accuracy,
    ].map((v) => Number(v.toFixed(2)));
  return { row: pick(e.evaluation), questionOnly: pick(e.questionOnly) };
}

const f = (x: number) => x.toFixed(2);
const s = (x: number) => (x >= 0 ? '+' : '') + (Math.abs(x) < 0.005 ? 0 : x).toFixed(2);
const ci = (d: number[]) => {
  const p = pairedSummary(d);
  return `${s(p.mean)} [${s(p.low)}, ${s(p.high)}] (n ${p.count}, ${p.wins} up / ${p.losses} down)`;
};
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) =>
  Math.sqrt(x.reduce((a, v) => a + (v - mean(x)) ** 2, 0) / (x.length - 1));
const colMeans = (rows: Row[]) => rows[0]!.map((_, i) => mean(rows.map((r) => r[i]!)));

let questionOnly: Row | null = null;
console.log(
  `\n### Per run, held out (8,000 questions)\n\n| run | ${HEADER} |\n|---|${'---:|'.repeat(10)}`,
);
const runs = ['dense', 'sparsify'].flatMap((p) =>
  [42, 1, 2].map((n) => `nat-${p}-s${n}`).concat([3, 4].map((n) => `bb3-${p}-s${n}`)),
);
for (const run of runs) {
  const h = heldout(run);
  if (h == null) continue;
  questionOnly = h.questionOnly;
  console.log(`| ${run} | ${h.row.map(f).join(' | ')} |`);
}
if (questionOnly != null) console.log(`| question-only | ${questionOnly.map(f).join(' | ')} |`);

// A: native - wasm, per preset
const native: Record<string, Record<number, Row>> = { dense: {}, sparsify: {} };
for (const p of ['dense', 'sparsify']) {
  const seeds = [42, 1, 2].filter((n) => heldout(`nat-${p}-s${n}`) != null);
  if (seeds.length === 0) continue;
  for (const n of seeds) native[p]![n] = heldout(`nat-${p}-s${n}`)!.row;
  const d = seeds.map((n) => native[p]![n]![9]! - WASM[p]![n]![9]!);
  console.log(
    `\n### A, ${p}: native vs wasm (overall)\n\n| seed | wasm | native | native - wasm |\n|---|---:|---:|---:|`,
  );
  for (const [i, n] of seeds.entries())
    console.log(`| ${n} | ${f(WASM[p]![n]![9]!)} | ${f(native[p]![n]![9]!)} | ${s(d[i]!)} |`);
  const wasmAll = [42, 1, 2].map((n) => WASM[p]![n]![9]!);
  console.log(
    `| mean | ${f(mean(seeds.map((n) => WASM[p]![n]![9]!)))} | ${f(mean(seeds.map((n) => native[p]![n]![9]!)))} | ${ci(d)} |`,
  );
  console.log(
    `\nmean |native - wasm| = ${mean(d.map(Math.abs)).toFixed(3)}; sd of the 3 wasm runs = ${sd(wasmAll).toFixed(3)}`,
  );
  const perType = TYPES.map((_, i) =>
    mean(seeds.map((n) => native[p]![n]![i]! - WASM[p]![n]![i]!)),
  );
  console.log(
    `native - wasm per type (mean over seeds ${seeds.join(', ')}): ${HEADER.split(' | ')
      .slice(0, 9)
      .map((t, i) => `${t} ${s(perType[i]!)}`)
      .join(', ')}`,
  );
}
const both = [42, 1, 2].filter((n) => native.dense![n] != null && native.sparsify![n] != null);
if (both.length > 0) {
  const d = both.map((n) => native.sparsify![n]![9]! - native.dense![n]![9]!);
  console.log(
    `\n### A: Sparsify - dense on native, seeds ${both.join(', ')}: ${d.map(s).join(', ')}; ${both.length > 1 ? ci(d) : ''}`,
  );
  const w = both.map((n) => WASM.sparsify![n]![9]! - WASM.dense![n]![9]!);
  console.log(`(wasm, same seeds: ${w.map(s).join(', ')}; ${both.length > 1 ? ci(w) : ''})`);
}

// B: the wasm recipe over seeds 42, 1, 2 (backbone-v2 notebook) and 3, 4 (here)
const seedsB = [3, 4].filter(
  (n) => heldout(`bb3-dense-s${n}`) != null && heldout(`bb3-sparsify-s${n}`) != null,
);
if (seedsB.length > 0) {
  const dense: Row[] = [42, 1, 2]
    .map((n) => WASM.dense![n]!)
    .concat(seedsB.map((n) => heldout(`bb3-dense-s${n}`)!.row));
  const sp: Row[] = [42, 1, 2]
    .map((n) => WASM.sparsify![n]!)
    .concat(seedsB.map((n) => heldout(`bb3-sparsify-s${n}`)!.row));
  const seeds = [42, 1, 2, ...seedsB];
  console.log(
    `\n### B: wasm, seeds ${seeds.join(', ')}\n\n| seed | dense | Sparsify | Sparsify - dense |\n|---|---:|---:|---:|`,
  );
  const d = sp.map((r, i) => r[9]! - dense[i]![9]!);
  for (const [i, n] of seeds.entries())
    console.log(`| ${n} | ${f(dense[i]![9]!)} | ${f(sp[i]![9]!)} | ${s(d[i]!)} |`);
  console.log(
    `| mean | ${f(mean(dense.map((r) => r[9]!)))} | ${f(mean(sp.map((r) => r[9]!)))} | ${ci(d)} |`,
  );
  console.log(`\n| mean of seeds ${seeds.join(', ')} | ${HEADER} |\n|---|${'---:|'.repeat(10)}`);
  console.log(`| dense | ${colMeans(dense).map(f).join(' | ')} |`);
  console.log(`| Sparsify | ${colMeans(sp).map(f).join(' | ')} |`);
  console.log(
    `| Sparsify - dense | ${colMeans(sp)
      .map((v, i) => s(v - colMeans(dense)[i]!))
      .join(' | ')} |`,
  );
  if (questionOnly != null) console.log(`| question-only | ${questionOnly.map(f).join(' | ')} |`);
}
