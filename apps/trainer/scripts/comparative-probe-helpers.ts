/**
 * What the comparative probes (probe-comparative-*.ts, issue 21i) share: a ridge read-out
 * and where a scene's instrument stands, as the question generator names it.
 */
import type { SceneInstrument } from '@sparsify/avqa-datasets';

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
