/**
 * Two sets of saved evaluations (`<run>/evaluations/*.json`, one file per seed, in seed
 * order), scored on the same questions: each side's overall and per-type accuracy, the
 * paired difference B - A over seeds with its 95% t interval (the trainer's pairedSummary),
 * per type B - A and B against its own question-only baseline (paired, with intervals),
 * and the mean accuracy per template beside question-only. Prints markdown.
 *
 *   node --conditions=source --import tsx scripts/paired-evaluations.ts A1.json,A2.json B1.json,B2.json [pattern]
 *
 * With a pattern (a regular expression, e.g. '<Object>.*more rhythmic'), also the templates it
 * matches pooled per run (their questions together): each seed's accuracy and B - A.
 */
import { readFileSync } from 'node:fs';
import type { AvqaType } from '@sparsify/avqa-datasets';
import type { SavedEvaluation } from '../src/commands/eval.js';
import { pairedSummary } from '../src/report/paired-stats.js';

const [sideA, sideB, pattern] = process.argv.slice(2);
if (!sideA || !sideB)
  throw new Error('usage: paired-evaluations.ts A1.json,A2.json B1.json,B2.json');
const read = (list: string) =>
  list.split(',').map((file) => JSON.parse(readFileSync(file, 'utf8')) as SavedEvaluation);
const a = read(sideA);
const b = read(sideB);
if (a.length !== b.length)
  throw new Error(`${a.length} files against ${b.length}: pair them by seed`);
for (const [i, e] of a.entries()) {
  const ids = JSON.stringify([e.evaluation.overall.total, e.heldoutVideos, e.heldoutFirstVideo]);
  const other = b[i] as SavedEvaluation;
  const theirs = JSON.stringify([
    other.evaluation.overall.total,
    other.heldoutVideos,
    other.heldoutFirstVideo,
  ]);
  if (ids !== theirs) throw new Error(`pair ${i}: not the same held-out set (${ids} vs ${theirs})`);
}
const pct = (x: number | null | undefined) => 100 * (x ?? Number.NaN);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const f2 = (x: number) => x.toFixed(2);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const interval = (d: ReturnType<typeof pairedSummary>) =>
  `${signed(d.mean)} [${signed(d.low)}, ${signed(d.high)}]`;

const types = Object.keys(a[0]?.evaluation.byType ?? {}) as AvqaType[];
const column = (side: SavedEvaluation[], type: AvqaType | null) =>
  side.map((e) => pct(type ? e.evaluation.byType[type]?.accuracy : e.evaluation.overall.accuracy));
console.log('| seed | A | B | B - A |\n|---|---:|---:|---:|');
const oa = column(a, null);
const ob = column(b, null);
for (let i = 0; i < oa.length; i++)
  console.log(
    `| ${i + 1} | ${f2(oa[i] as number)} | ${f2(ob[i] as number)} | ${signed((ob[i] as number) - (oa[i] as number))} |`,
  );
const s = pairedSummary(ob.map((v, i) => v - (oa[i] as number)));
console.log(
  `| mean | ${f2(mean(oa))} | ${f2(mean(ob))} | ${interval(s)}, ${s.wins} wins / ${s.losses} losses |`,
);
console.log(
  '\n| type | question-only (A, B) | A | B | B - A (95% t over seeds) |\n|---|---:|---:|---:|---:|',
);
for (const type of types) {
  const qa = mean(a.map((e) => pct(e.questionOnly?.byType[type]?.accuracy)));
  const qb = mean(b.map((e) => pct(e.questionOnly?.byType[type]?.accuracy)));
  const ta = column(a, type);
  const tb = column(b, type);
  const d = pairedSummary(tb.map((v, i) => v - (ta[i] as number)));
  console.log(
    `| ${type} | ${f2(qa)}, ${f2(qb)} | ${f2(mean(ta))} | ${f2(mean(tb))} | ${interval(d)} |`,
  );
}
const qa = mean(a.map((e) => pct(e.questionOnly?.overall.accuracy)));
const qb = mean(b.map((e) => pct(e.questionOnly?.overall.accuracy)));
console.log(
  `| overall | ${f2(qa)}, ${f2(qb)} | ${f2(mean(oa))} | ${f2(mean(ob))} | ${signed(s.mean)} |`,
);

// "Above question-only" is a claim over seeds: each seed's own baseline (fitted on that run's
// training questions) is paired with its model, and a type counts only where the interval
// clears zero.
console.log('\n| type | B - question-only (95% t over seeds) | above? |\n|---|---:|---|');
for (const type of [...types, null]) {
  const qo = b.map((e) =>
    pct(type ? e.questionOnly?.byType[type]?.accuracy : e.questionOnly?.overall.accuracy),
  );
  const overQo = pairedSummary(column(b, type).map((v, i) => v - (qo[i] as number)));
  console.log(
    `| ${type ?? 'overall'} | ${interval(overQo)} | ${overQo.low > 0 ? 'yes' : 'not shown'} |`,
  );
}

console.log(
  '\n| template | questions | question-only (B) | A | B | B - A |\n|---|---:|---:|---:|---:|---:|',
);
for (const [k, t] of (b[0]?.byTemplate ?? []).entries()) {
  const at = (side: SavedEvaluation[]) => mean(side.map((e) => pct(e.byTemplate?.[k]?.accuracy)));
  for (const side of [a, b])
    for (const e of side)
      if (e.byTemplate?.[k]?.template !== t.template)
        throw new Error(`template ${k} differs across files`);
  const qo = mean(b.map((e) => pct(e.byTemplate?.[k]?.questionOnly)));
  console.log(
    `| ${t.type}: ${t.template.replaceAll('|', '/')} | ${t.questions} | ${f2(qo)} | ${f2(at(a))} | ${f2(at(b))} | ${signed(at(b) - at(a))} |`,
  );
}

if (pattern !== undefined) {
  const matches = new RegExp(pattern);
  const pooled = (e: SavedEvaluation) => {
    const rows = (e.byTemplate ?? []).filter((t) => matches.test(t.template));
    if (rows.length === 0) throw new Error(`no template matches /${pattern}/`);
    const correct = rows.reduce((sum, t) => sum + Math.round(t.accuracy * t.questions), 0);
    const total = rows.reduce((sum, t) => sum + t.questions, 0);
    return { value: (100 * correct) / total, total, count: rows.length };
  };
  const pa = a.map(pooled);
  const pb = b.map(pooled);
  console.log(
    `\n/${pattern}/: ${pb[0]?.count} templates, ${pb[0]?.total} questions pooled per run\n\n| seed | A | B | B - A |\n|---|---:|---:|---:|`,
  );
  for (const [i, x] of pa.entries()) {
    const y = pb[i]!.value;
    console.log(`| ${i + 1} | ${f2(x.value)} | ${f2(y)} | ${signed(y - x.value)} |`);
  }
  const d = pairedSummary(pb.map((y, i) => y.value - pa[i]!.value));
  console.log(
    `| mean | ${f2(mean(pa.map((x) => x.value)))} | ${f2(mean(pb.map((y) => y.value)))} | ${interval(d)} |`,
  );
}
