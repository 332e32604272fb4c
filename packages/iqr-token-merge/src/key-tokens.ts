/**
 * Key-token selection by the interquartile rule of Sparsify (one sample, CPU arrays).
 *
 * A token is key when its importance exceeds the upper fence Q3 + c * IQR. The count is
 * then clamped to [minKeep, maxKeep] and the key tokens are the top-count tokens by
 * score. Every token above the fence outranks every token at or below it, so when the
 * clamp does not bind the result is exactly the fence rule; when it binds (e.g. all
 * scores equal, so nothing lies above the fence) the top scores fill or trim the set.
 * Ties are broken towards the lower token index, so the choice is deterministic.
 */
import { quartiles } from './quantile.js';

export interface KeySelectionOptions {
  /** c in the fence Q3 + c * IQR: 1.5 is the authors' outlier fence, 0 the paper's upper quartile. Default 1.5. */
  iqrMultiplier?: number;
  /** Fewest key tokens per sample: a count (integer >= 1) or a fraction in (0, 1) of the candidates. Default 1. */
  minKeep?: number;
  /** Most key tokens per sample: a count or a fraction in (0, 1) of the candidates. Default: all but one. */
  maxKeep?: number;
}

export interface KeySelection {
  /** Positions of the key tokens, ascending. */
  keyIndices: Int32Array;
  /** The fence Q3 + c * IQR the scores were compared with (NaN when there were no candidates). */
  fence: number;
  /** How many candidates lay strictly above the fence, before clamping. */
  aboveFence: number;
}

/**
 * Chooses the key tokens among `candidates` (token positions into `scores`; padding and
 * protected tokens are left out by the caller). With n candidates the kept count lies in
 * [1, n - 1] for n >= 2, so a sample never keeps nothing and always merges something;
 * a single candidate is kept.
 */
export function selectKeyTokens(
  scores: ArrayLike<number>,
  candidates: ArrayLike<number>,
  options: KeySelectionOptions = {},
): KeySelection {
  const iqrMultiplier = options.iqrMultiplier ?? 1.5;
  const count = candidates.length;
  if (count === 0) return { keyIndices: new Int32Array(0), fence: Number.NaN, aboveFence: 0 };
  const candidateScores = new Float64Array(count);
  for (let i = 0; i < count; i++) candidateScores[i] = scores[candidates[i]!]!;
  const { q3, iqr } = quartiles(candidateScores);
  const fence = q3 + iqrMultiplier * iqr;
  let aboveFence = 0;
  for (const score of candidateScores) if (score > fence) aboveFence++;

  const upperLimit = Math.max(count - 1, 1);
  const lower = clamp(resolveKeepBound(options.minKeep ?? 1, count, 'minKeep'), 1, upperLimit);
  const maxKeep =
    options.maxKeep === undefined
      ? upperLimit
      : resolveKeepBound(options.maxKeep, count, 'maxKeep');
  const upper = clamp(maxKeep, lower, upperLimit);
  const keptCount = clamp(aboveFence, lower, upper);

  const byScore = Array.from(candidates, (token) => token);
  byScore.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const keyIndices = Int32Array.from(byScore.slice(0, keptCount)).sort();
  return { keyIndices, fence, aboveFence };
}

/**
 * ToMe-style selection: the `count` candidates with the highest scores (ties to the lower
 * position), ascending. A count of at least the number of candidates keeps them all, so
 * nothing merges (ToMe's r = 0).
 */
export function selectTopTokens(
  scores: ArrayLike<number>,
  candidates: ArrayLike<number>,
  count: number,
): Int32Array {
  const byScore = Array.from(candidates, (token) => token);
  byScore.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return Int32Array.from(byScore.slice(0, Math.max(0, count))).sort();
}

/** A bound given as a count (>= 1) or a fraction in (0, 1) of `candidates`, as a count. */
export function resolveKeepBound(bound: number, candidates: number, name: string): number {
  validateKeepBound(bound, name);
  // A fraction of a minimum rounds up and of a maximum rounds down, so both stay honoured.
  if (bound >= 1) return bound;
  return name === 'minKeep' ? Math.ceil(bound * candidates) : Math.floor(bound * candidates);
}

export function validateKeepBound(bound: number, name: string): void {
  const isFraction = bound > 0 && bound < 1;
  const isCount = Number.isInteger(bound) && bound >= 1;
  if (!isFraction && !isCount) {
    throw new Error(`${name} must be a count (integer >= 1) or a fraction in (0, 1), got ${bound}`);
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
