/**
 * Paired comparisons over seeds: the mean of per-seed differences with a Student-t
 * interval. Seeds share the data and the test set, so a difference per seed removes what
 * the two methods have in common; the interval is over the seeds, so it says how much a
 * new seed could move the mean.
 */
export interface PairedSummary {
  /** Seeds (pairs). */
  count: number;
  mean: number;
  /** Two-sided interval at `confidence` (NaN bounds for fewer than 2 pairs). */
  low: number;
  high: number;
  confidence: number;
  min: number;
  max: number;
  wins: number;
  losses: number;
  ties: number;
}

/** Summary of per-seed values (differences, or ratios) with a t interval over the seeds. */
export function pairedSummary(values: readonly number[], confidence = 0.95): PairedSummary {
  const count = values.length;
  if (count === 0) throw new Error('pairedSummary: no values');
  if (values.some((v) => !Number.isFinite(v)))
    throw new Error(`pairedSummary: values must be finite, got [${values.join(', ')}]`);
  const mean = values.reduce((a, b) => a + b, 0) / count;
  let low = Number.NaN;
  let high = Number.NaN;
  if (count >= 2) {
    const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (count - 1);
    const half = tCriticalValue(confidence, count - 1) * Math.sqrt(variance / count);
    low = mean - half;
    high = mean + half;
  }
  return {
    count,
    mean,
    low,
    high,
    confidence,
    min: Math.min(...values),
    max: Math.max(...values),
    wins: values.filter((v) => v > 0).length,
    losses: values.filter((v) => v < 0).length,
    ties: values.filter((v) => v === 0).length,
  };
}

/**
 * The t such that P(|T| <= t) = confidence for Student's t with `df` (integer) degrees of
 * freedom, e.g. 2.306 for 0.95 and 8. Exact: P(|T| <= t) has a finite series in
 * theta = atan(t / sqrt(df)) (Abramowitz & Stegun 26.7.3-4), monotone in theta, which is
 * bisected on (0, pi/2).
 */
export function tCriticalValue(confidence: number, df: number): number {
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`tCriticalValue: confidence must be in (0, 1), got ${confidence}`);
  if (!(Number.isInteger(df) && df >= 1))
    throw new RangeError(`tCriticalValue: df must be a positive integer, got ${df}`);
  let lowTheta = 0;
  let highTheta = Math.PI / 2;
  for (let i = 0; i < 100; i++) {
    const theta = (lowTheta + highTheta) / 2;
    if (centralProbability(theta, df) < confidence) lowTheta = theta;
    else highTheta = theta;
  }
  return Math.sqrt(df) * Math.tan((lowTheta + highTheta) / 2);
}

/** P(|T| <= sqrt(df) tan(theta)). */
function centralProbability(theta: number, df: number): number {
  const sin = Math.sin(theta);
  const cos2 = Math.cos(theta) ** 2;
  if (df % 2 === 0) {
    // sin(theta) [1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ... up to cos^(df-2)]
    let term = 1;
    let sum = 1;
    for (let k = 2; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * cos2;
      sum += term;
    }
    return sin * sum;
  }
  // (2/pi) [theta + sin(theta) cos(theta) (1 + 2/3 cos^2 + (2*4)/(3*5) cos^4 + ...)]
  if (df === 1) return (2 * theta) / Math.PI;
  let term = 1;
  let sum = 1;
  for (let k = 3; k <= df - 2; k += 2) {
    term *= ((k - 1) / k) * cos2;
    sum += term;
  }
  return (2 / Math.PI) * (theta + sin * Math.cos(theta) * sum);
}
