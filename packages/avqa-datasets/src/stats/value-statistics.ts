/** Mean and standard deviation of a stream's values: its normalisation, (x - mean) / std. */
export interface ValueStatistics {
  mean: number;
  std: number;
}

/**
 * Mean and standard deviation (population, floored at 1e-6) of every value of the given
 * arrays, summed in float64 in order: the normalisation statistics of a dataset's fbank or
 * features, computed on training videos only (as AST and the official code do).
 */
export function valueStatistics(
  streams: Iterable<ArrayLike<number> & Iterable<number>>,
): ValueStatistics {
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (const stream of streams) {
    for (const value of stream) {
      sum += value;
      sumSquares += value * value;
      count++;
    }
  }
  const mean = sum / Math.max(1, count);
  return {
    mean,
    std: Math.sqrt(Math.max(1e-12, sumSquares / Math.max(1, count) - mean * mean)),
  };
}

/**
 * (x - mean) / std of every value, as float32, into `out` (a new array unless given; pass
 * `values` itself to normalise in place).
 */
export function normaliseValues(
  values: Float32Array,
  { mean, std }: ValueStatistics,
  out: Float32Array = new Float32Array(values.length),
): Float32Array {
  if (out.length !== values.length)
    throw new Error(`normaliseValues: out holds ${out.length} values, input ${values.length}`);
  for (let i = 0; i < values.length; i++) out[i] = ((values[i] as number) - mean) / std;
  return out;
}
