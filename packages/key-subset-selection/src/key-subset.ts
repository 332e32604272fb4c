import type { KeptHistory } from './kept-history.js';

/** Options of the key-subset selection (symbols as in SPARSIFY.md, Level 3). */
export interface KeySubsetOptions {
  /** Subset size n as a count of samples. Give exactly one of `count` and `fraction`. */
  count?: number;
  /** Subset size as a fraction of the samples in (0, 1]; n = round(fraction * size). */
  fraction?: number;
  /** k: epochs per group. Default 5. */
  k?: number;
  /** r: decay ratio between consecutive groups' weights. Default 0.618. */
  r?: number;
  /**
   * Which group gets weight r^0 = 1: 'earliest' (the authors' code: the first group weighs
   * most) or 'latest' (the paper's text: recently hard samples matter more). Default 'earliest'.
   */
  decayFrom?: 'earliest' | 'latest';
  /**
   * What c_g(i) counts: 'kept' epochs (the authors' code: hard, or easy and drawn by
   * InfoBatch) or 'hard' epochs (the paper's D1: not below the mean score). Default 'kept'.
   */
  mode?: 'kept' | 'hard';
  /** E: how many recorded epochs to use, from epoch 0. Default all recorded epochs. */
  epochs?: number;
}

export interface KeySubset {
  /** The n selected sample indices, best first (score descending, then lower index first). */
  indices: Int32Array;
  /** score(i) of every sample. */
  scores: Float64Array;
  /** Per group g = 1..G: its decay weight w_g times its size correction k / |group|. */
  groupWeights: Float64Array;
  /**
   * The tie at the cut: `tied` samples share the score of the last one chosen, and `chosen`
   * of them fit in n (by lower index). When `tied > chosen`, the index order of the data, not
   * the score, picked part of the subset. Null for n = 0.
   */
  cutoff: { score: number; tied: number; chosen: number } | null;
}

function resolveSubsetSize(options: KeySubsetOptions, size: number): number {
  const { count, fraction } = options;
  if ((count === undefined) === (fraction === undefined)) {
    throw new TypeError('selectKeySubset: give exactly one of `count` and `fraction`');
  }
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 0 || count > size) {
      throw new RangeError(
        `selectKeySubset: count must be an integer in [0, ${size}], got ${count}`,
      );
    }
    return count;
  }
  if (!(fraction! > 0 && fraction! <= 1)) {
    throw new RangeError(`selectKeySubset: fraction must be in (0, 1], got ${fraction}`);
  }
  return Math.round(fraction! * size);
}

/**
 * score(i) = sum_g w_g * (k / |group g|) * c_g(i), over groups of k consecutive recorded
 * epochs starting at epoch 0 (the last group may be shorter; its count is scaled up to k
 * epochs). w_g = r^(g-1) numbering groups from the earliest, or from the latest.
 */
export function keySubsetScores(
  history: KeptHistory,
  options: KeySubsetOptions = {},
): { scores: Float64Array; groupWeights: Float64Array } {
  const k = options.k ?? 5;
  const r = options.r ?? 0.618;
  const decayFrom = options.decayFrom ?? 'earliest';
  const mode = options.mode ?? 'kept';
  const epochs = options.epochs ?? history.epochs;
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`selectKeySubset: k must be a positive integer, got ${k}`);
  if (!(r > 0 && Number.isFinite(r)))
    throw new RangeError(`selectKeySubset: r must be a positive number, got ${r}`);
  if (decayFrom !== 'earliest' && decayFrom !== 'latest') {
    throw new RangeError(
      `selectKeySubset: decayFrom must be 'earliest' or 'latest', got ${JSON.stringify(decayFrom)}`,
    );
  }
  if (mode !== 'kept' && mode !== 'hard') {
    throw new RangeError(
      `selectKeySubset: mode must be 'kept' or 'hard', got ${JSON.stringify(mode)}`,
    );
  }
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > history.epochs) {
    throw new RangeError(
      `selectKeySubset: epochs must be an integer in [1, ${history.epochs}] (recorded), got ${epochs}`,
    );
  }

  const groupCount = Math.ceil(epochs / k);
  const groupWeights = new Float64Array(groupCount);
  const scores = new Float64Array(history.size);
  const counts = new Uint32Array(history.size);
  for (let group = 0; group < groupCount; group++) {
    const first = group * k;
    const last = Math.min(first + k, epochs);
    const exponent = decayFrom === 'earliest' ? group : groupCount - 1 - group;
    groupWeights[group] = r ** exponent * (k / (last - first));
    counts.fill(0);
    for (let epoch = first; epoch < last; epoch++) {
      const bits = mode === 'kept' ? history.keptBits(epoch) : history.hardBits(epoch);
      for (let w = 0; w < bits.length; w++) {
        let word = bits[w]!;
        while (word !== 0) {
          const lowest = word & -word;
          counts[(w << 5) + 31 - Math.clz32(lowest)]!++;
          word ^= lowest;
        }
      }
    }
    const weight = groupWeights[group]!;
    for (let i = 0; i < counts.length; i++) scores[i]! += weight * counts[i]!;
  }
  return { scores, groupWeights };
}

/**
 * The key subset D3: the n samples with the highest score(i). Equal scores are broken by the
 * lower sample index first, so the selection is deterministic. The authors' code does the
 * same: `Counter.most_common` is a stable sort over the first epoch's record, which lists
 * every sample in ascending order.
 */
export function selectKeySubset(history: KeptHistory, options: KeySubsetOptions): KeySubset {
  const n = resolveSubsetSize(options, history.size);
  const { scores, groupWeights } = keySubsetScores(history, options);
  const indices = rankByScore(scores).slice(0, n);
  return { indices, scores, groupWeights, cutoff: tieAtCutoff(scores, indices) };
}

function tieAtCutoff(scores: Float64Array, chosenIndices: Int32Array): KeySubset['cutoff'] {
  if (chosenIndices.length === 0) return null;
  const score = scores[chosenIndices[chosenIndices.length - 1]!]!;
  let tied = 0;
  for (const value of scores) if (value === score) tied++;
  let chosen = 0;
  for (const index of chosenIndices) if (scores[index] === score) chosen++;
  return { score, tied, chosen };
}

/**
 * All indices by score descending, equal scores by index ascending. Scores take few distinct
 * values (combinations of small counts), so a counting sort over the distinct values beats a
 * comparison sort of a million indices.
 */
export function rankByScore(scores: Float64Array): Int32Array {
  const ascending = Float64Array.from(scores).sort();
  let distinctCount = 0;
  for (let j = 0; j < ascending.length; j++) {
    if (j === 0 || ascending[j] !== ascending[j - 1]) ascending[distinctCount++] = ascending[j]!;
  }
  const distinct = ascending.subarray(0, distinctCount);
  // bucket(i) = how many distinct scores exceed scores[i]: 0 for the best.
  const bucketOf = new Int32Array(scores.length);
  const bucketStart = new Int32Array(distinctCount + 1);
  for (let i = 0; i < scores.length; i++) {
    let low = 0;
    let high = distinctCount - 1;
    const score = scores[i]!;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (distinct[middle]! < score) low = middle + 1;
      else high = middle;
    }
    const bucket = distinctCount - 1 - low;
    bucketOf[i] = bucket;
    bucketStart[bucket + 1]!++;
  }
  for (let b = 0; b < distinctCount; b++) bucketStart[b + 1]! += bucketStart[b]!;
  // Placing indices in ascending order keeps each bucket in index order: ties go lower first.
  const ranking = new Int32Array(scores.length);
  for (let i = 0; i < scores.length; i++) ranking[bucketStart[bucketOf[i]!]!++] = i;
  return ranking;
}
