/**
 * Quantiles with linear interpolation, the default of `numpy.quantile` and
 * `torch.quantile`: with the values sorted ascending as x_0..x_{n-1}, the q-quantile is
 * read at the fractional rank h = (n - 1) q and interpolated between x_floor(h) and
 * x_ceil(h). Matching the reference implementations matters because the IQR fence of
 * Sparsify was defined with torch's quantile.
 */

/** The q-quantile (0 <= q <= 1) of `sortedValues`, which must be sorted ascending. */
export function quantileOfSorted(sortedValues: ArrayLike<number>, q: number): number {
  const count = sortedValues.length;
  if (count === 0) throw new Error('quantileOfSorted: values are empty');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantileOfSorted: q must lie in [0, 1], got ${q}`);
  const rank = (count - 1) * q;
  const below = Math.floor(rank);
  const above = Math.min(below + 1, count - 1);
  const low = sortedValues[below]!;
  const high = sortedValues[above]!;
  // low + t (high - low) rather than (1 - t) low + t high: exact when low === high.
  return low + (rank - below) * (high - low);
}

/** The q-quantile (0 <= q <= 1) of `values` in any order; NaN is rejected. */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileOfSorted(sortedCopy(values, 'quantile'), q);
}

export interface Quartiles {
  /** First quartile (25th percentile). */
  q1: number;
  /** Third quartile (75th percentile). */
  q3: number;
  /** Interquartile range Q3 - Q1. */
  iqr: number;
}

/** Q1, Q3 and IQR = Q3 - Q1 of `values`, linearly interpolated as numpy / torch do. */
export function quartiles(values: ArrayLike<number>): Quartiles {
  const sorted = sortedCopy(values, 'quartiles');
  const q1 = quantileOfSorted(sorted, 0.25);
  const q3 = quantileOfSorted(sorted, 0.75);
  return { q1, q3, iqr: q3 - q1 };
}

function sortedCopy(values: ArrayLike<number>, caller: string): Float64Array {
  const sorted = Float64Array.from(values as ArrayLike<number>);
  for (const value of sorted) {
    if (Number.isNaN(value)) throw new Error(`${caller}: values contain NaN`);
  }
  return sorted.sort();
}
