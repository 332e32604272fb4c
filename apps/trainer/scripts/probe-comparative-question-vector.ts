/**
 * Does a trained run's pooled question vector (what the fusion gates with) hold what the
 * comparative answers need from the question alone? Logistic regression from the pooled
 * vector of each comparative template's training questions to the answer, scored on the
 * held-out questions of that template. "More rhythmic" is 77-86% answerable from the two
 * class names (probe-comparative-question-prior.ts); a vector blind to their order cannot
 * beat 50% on it.
 *   cd apps/trainer && SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1 \
 *     node --conditions=source --import tsx scripts/probe-comparative-question-vector.ts <run dir>
 */
import { OFFICIAL_VOCABULARIES, QUESTION_TEMPLATES } from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { splitSource } from '../src/commands/eval.js';
import { createLogger, prepareBackend } from '../src/commands/runtime.js';
import { loadRun } from '../src/train/load-run.js';

const runDir = process.argv[2] ?? '';
const logger = createLogger({ logFormat: 'text', quiet: true } as never);
await prepareBackend('wasm', true, logger);
const run = await loadRun(runDir, 'best', logger);
const held = await splitSource(runDir, run.config, run.dataset, 'heldout', 1000, logger);
const train = run.dataset.train;
const byContent = new Map(QUESTION_TEMPLATES.map((t) => [t.content, t.id]));
const YES = OFFICIAL_VOCABULARIES.answers.index('yes');

function vectors(records: typeof train.records, id: string) {
  const rows = records.filter((r) => byContent.get(r.question) === id);
  const ids = new Int32Array(rows.length * 14);
  rows.forEach((r, i) => {
    ids.set(r.tokenIds, i * 14);
  });
  const q = tf.tidy(() =>
    run.model.encoder.question
      .apply(tf.tensor2d(ids, [rows.length, 14], 'int32'))
      .pooled.arraySync(),
  ) as number[][];
  return { x: q, y: rows.map((r) => (r.label === YES ? 1 : 0)) };
}

function fit(x: number[][], y: number[]): number[] {
  const d = x[0]!.length;
  const mu = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[j]!, 0) / x.length);
  const sd = Array.from(
    { length: d },
    (_, j) => Math.sqrt(x.reduce((s, r) => s + (r[j]! - mu[j]!) ** 2, 0) / x.length) || 1,
  );
  const z = (r: number[]) => [...r.map((v, j) => (v - mu[j]!) / sd[j]!), 1];
  const w = new Array(d + 1).fill(0);
  for (let epoch = 0; epoch < 2000; epoch++) {
    const g = new Array(d + 1).fill(0);
    x.forEach((r, n) => {
      const f = z(r);
      const p = 1 / (1 + Math.exp(-f.reduce((s, v, i) => s + v * w[i], 0)));
      f.forEach((v, i) => {
        g[i] += ((p - y[n]!) * v) / x.length;
      });
    });
    for (let i = 0; i <= d; i++) w[i] -= 0.1 * (g[i] + 1e-2 * w[i]);
  }
  return [...w, ...mu, ...sd];
}

for (const t of QUESTION_TEMPLATES.filter((t) => t.id.includes('comp'))) {
  const tr = vectors(train.records, t.id);
  const te = vectors(held.records, t.id);
  const d = tr.x[0]!.length;
  const params = fit(tr.x, tr.y);
  const w = params.slice(0, d + 1),
    mu = params.slice(d + 1, 2 * d + 1),
    sd = params.slice(2 * d + 1);
  const right = te.x.filter((r, n) => {
    const s = r.reduce((acc, v, j) => acc + ((v - mu[j]!) / sd[j]!) * w[j]!, w[d]!);
    return s > 0 === (te.y[n] === 1);
  }).length;
  console.log(
    `${t.id}: train ${tr.x.length}, held out ${te.x.length}: ${((100 * right) / te.x.length).toFixed(1)}%`,
  );
}
