/**
 * Can the comparative answers that follow from the question alone (the class's typical note
 * rate decides 88-93% of "more rhythmic") be learned from the benchmark's training questions?
 * Logistic regression on the two named classes, fitted on the train split's questions of a
 * template and scored on the held-out ones: (1) antisymmetric, x = onehot(A) - onehot(B),
 * a learned score per class; (2) unordered-free, x = [onehot(A), onehot(B)], as a generic
 * model sees the pair. Both by plain gradient descent with a small L2 penalty.
 *   cd apps/trainer && node --conditions=source --import tsx scripts/probe-comparative-question-prior.ts [videos]
 */
import {
  INSTRUMENT_CLASSES,
  QUESTION_TEMPLATES,
  type RawAvqaRecord,
  synthesizeAnnotations,
  synthesizeHeldoutTest,
} from '@sparsify/avqa-datasets';

const VIDEOS = Number(process.argv[2] ?? 480);
const C = INSTRUMENT_CLASSES.length;
const index = new Map<string, number>(INSTRUMENT_CLASSES.map((c, i) => [c, i]));
const byContent = new Map(QUESTION_TEMPLATES.map((t) => [t.content, t.id]));

function encode(r: RawAvqaRecord, kind: 'anti' | 'concat'): Float64Array {
  const v = JSON.parse(r.templ_values as string) as string[];
  const [a, b] = [index.get(v[0]!)!, index.get(v[1]!)!];
  const x = new Float64Array(kind === 'anti' ? C : 2 * C + 1);
  if (kind === 'anti') {
    x[a]! += 1;
    x[b]! -= 1;
  } else {
    x[a] = 1;
    x[C + b] = 1;
    x[2 * C] = 1;
  }
  return x;
}

function fit(xs: Float64Array[], ys: number[]): Float64Array {
  const w = new Float64Array(xs[0]!.length);
  for (let epoch = 0; epoch < 3000; epoch++) {
    const g = new Float64Array(w.length);
    xs.forEach((x, n) => {
      const z = x.reduce((s, v, i) => s + v * w[i]!, 0);
      const p = 1 / (1 + Math.exp(-z));
      for (let i = 0; i < w.length; i++) g[i]! += ((p - ys[n]!) * x[i]!) / xs.length;
    });
    for (let i = 0; i < w.length; i++) w[i]! -= 0.5 * (g[i]! + 1e-3 * w[i]!);
  }
  return w;
}

const train = synthesizeAnnotations({ videos: VIDEOS, seed: 7, media: 'none' }).records.train;
const held = synthesizeHeldoutTest({ videos: VIDEOS, seed: 7 }, 1000).records;
for (const id of ['a-comp-rhythmic', 'a-comp-louder', 'a-comp-longer']) {
  const tr = train.filter((r) => byContent.get(r.question_content) === id);
  const te = held.filter((r) => byContent.get(r.question_content) === id);
  const out: string[] = [];
  for (const kind of ['anti', 'concat'] as const) {
    const w = fit(
      tr.map((r) => encode(r, kind)),
      tr.map((r) => (r.anser === 'yes' ? 1 : 0)),
    );
    const right = te.filter((r) => {
      const z = encode(r, kind).reduce((s, v, i) => s + v * w[i]!, 0);
      return z > 0 === (r.anser === 'yes');
    }).length;
    out.push(`${kind} ${((100 * right) / te.length).toFixed(1)}%`);
  }
  console.log(`${id}: train ${tr.length}, held out ${te.length}: ${out.join(', ')}`);
}
