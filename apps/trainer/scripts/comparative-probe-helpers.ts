/**
 * What the comparative probes (probe-comparative-*.ts, issue 21i) share: a ridge read-out,
 * where a scene's instrument stands, as the question generator names it, and the held-out
 * comparative questions of a split, template by template, in batches.
 */
import { QUESTION_TEMPLATES, type SceneInstrument } from '@sparsify/avqa-datasets';

/** Solves (X'X + lambda I) w = X'y by Gaussian elimination. */
export function ridge(rows: Float64Array[], y: number[], lambda: number): Float64Array {
  const d = rows[0]!.length;
  const a = Array.from({ length: d }, () => new Float64Array(d + 1));
  rows.forEach((x, n) => {
    for (let i = 0; i < d; i++) {
      const xi = x[i]!;
      for (let j = 0; j < d; j++) a[i]![j]! += xi * x[j]!;
      a[i]![d]! += xi * y[n]!;
    }
  });
  for (let i = 0; i < d - 1; i++) a[i]![i]! += lambda;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const k = a[r]![c]! / a[c]![c]!;
      for (let j = c; j <= d; j++) a[r]![j]! -= k * a[c]![j]!;
    }
  }
  return Float64Array.from({ length: d }, (_, i) => a[i]![d]! / a[i]![i]!);
}

export const dot = (w: Float64Array, x: Float64Array): number =>
  w.reduce((s, v, i) => s + v * x[i]!, 0);

/** The instrument's position word, from its horizontal centre. */
export const positionOf = (i: SceneInstrument): 'left' | 'middle' | 'right' =>
  i.x < 1 / 3 ? 'left' : i.x > 2 / 3 ? 'right' : 'middle';

/**
 * The indices in `scene.instruments` of a comparative question's two operands (-1 where none
 * matches), from its template id and values: Audio/Comparative names two classes, the
 * AV "object" templates a class and a position each, the others a position each.
 */
export function comparisonOperands(
  scene: { instruments: readonly SceneInstrument[] },
  id: string,
  values: readonly string[],
): [number, number] {
  const find = (name?: string, pos?: string) =>
    scene.instruments.findIndex(
      (i) =>
        (name === undefined || i.name === name) &&
        (pos === undefined || (i.visible && positionOf(i) === pos)),
    );
  return id.startsWith('a-comp')
    ? [find(values[0]), find(values[1])]
    : id.includes('object')
      ? [find(values[0], values[1]), find(values[2], values[3])]
      : [find(undefined, values[0]), find(undefined, values[1])];
}

/** What the probes need of a split's source (`splitSource` of commands/eval.ts). */
export interface ComparativeSource<B> {
  records: readonly { question: string }[];
  load(indices: Int32Array): Promise<B>;
}

/**
 * Per comparative template (in QUESTION_TEMPLATES order): its record indices in the source
 * and a generator of its batches of `size` records, loaded one at a time.
 */
export function comparativeBatches<B>(
  source: ComparativeSource<B>,
  byContent: ReadonlyMap<string, string>,
  size = 16,
): {
  template: (typeof QUESTION_TEMPLATES)[number];
  indices: number[];
  batches: () => AsyncGenerator<{ chunk: number[]; batch: B }>;
}[] {
  return QUESTION_TEMPLATES.filter((t) => t.id.includes('comp')).map((template) => {
    const indices = source.records.flatMap((r, i) =>
      byContent.get(r.question) === template.id ? [i] : [],
    );
    async function* batches() {
      for (let s = 0; s < indices.length; s += size) {
        const chunk = indices.slice(s, s + size);
        yield { chunk, batch: await source.load(Int32Array.from(chunk)) };
      }
    }
    return { template, indices, batches };
  });
}
