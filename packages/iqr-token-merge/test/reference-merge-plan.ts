/**
 * The merge plan as computed before the 2026-12-05 speed-up: src/merge-plan.ts of commit
 * 29320b8 verbatim but for import paths. test/merge-plan-reference.test.ts holds the faster
 * plan to it, bit for bit.
 */
import {
  fixedKeepRule,
  type KeySelection,
  type KeySelectionOptions,
  type MergePlanOptions,
  protectedSet,
  resolveKeepBound,
  usesCosine,
  validatePlanInput,
} from '../src/merge-options.js';
import { nearestKeysTiled } from '../src/nearest-key-tiled.js';
import { quartiles } from '../src/quantile.js';

/** Row-major CPU arrays describing one batch of B samples of N tokens. */
export interface MergePlanInput {
  batchSize: number;
  tokenCount: number;
  /** Importance a [B, N]. */
  scores: ArrayLike<number>;
  /** Attention keys k [B, N, keyDim] used for Sim(i, j). */
  keys: ArrayLike<number>;
  keyDim: number;
  /** s [B, N] how many original tokens each token holds; null = all ones. */
  sizes?: ArrayLike<number> | null;
  /** [B, N] 1 = padding slot (ignored: not scored, not merged, not output); null = none. */
  padMask?: ArrayLike<number> | null;
  /** Per sample, per token: the original tokens it holds (from an earlier plan); null = itself. */
  sources?: readonly (readonly Int32Array[])[] | null;
}

export interface MergePlan {
  batchSize: number;
  /** N, the input length. */
  inputTokens: number;
  /** M, the output length: the largest kept count in the batch. */
  outputTokens: number;
  /** [B * N] the output slot j each input token joins; -1 for input padding slots. */
  destination: Int32Array;
  /** [B * N] each input's weight in its output, s_i / s'_j (0 for padding). */
  weight: Float32Array;
  /** [B * M] the outputs' sizes s'_j; padding slots hold 0. */
  sizes: Float32Array;
  /** [B] real outputs per sample; slots from keptCounts[b] to M are padding. */
  keptCounts: Int32Array;
  /** Per sample, per output: the input position of the token that represents it. */
  keptIndices: Int32Array[];
  /** Per sample, per output: the original tokens it holds, ascending. */
  sources: Int32Array[][];
}

export function computeMergePlan(input: MergePlanInput, options: MergePlanOptions = {}): MergePlan {
  const { batchSize: B, tokenCount: N, keyDim, scores: a, keys: k, sizes: s, padMask } = input;
  validatePlanInput(input);
  const protectedTokens = protectedSet(options, N);
  const cosine = usesCosine(options);
  const fixedCount = fixedKeepRule(options);

  const keptCounts = new Int32Array(B);
  const keptIndices: Int32Array[] = [];
  const destination = new Int32Array(B * N).fill(-1);
  for (let b = 0; b < B; b++) {
    // 2. candidates C; protected tokens are kept as they are
    const C: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < N; i++) {
      if (padMask && padMask[b * N + i]! > 0.5) continue;
      (protectedTokens.has(i) ? kept : C).push(i);
    }
    // 3. key tokens K
    const aRow = Float64Array.from({ length: N }, (_, i) => a[b * N + i]!);
    const K =
      fixedCount === null
        ? selectKeyTokens(aRow, C, options).keyIndices
        : selectTopTokens(aRow, C, fixedCount(C.length, kept.length));
    // 5. outputs in their original order
    const outputs = Int32Array.from([...kept, ...K]).sort();
    const slot = destination.subarray(b * N, (b + 1) * N);
    outputs.forEach((token, j) => {
      slot[token] = j;
    });
    // 4. every other candidate joins its most similar key
    const others = C.filter((i) => slot[i] === -1);
    const nearest = nearestKeysTiled(k, b * N, keyDim, K, others, cosine);
    others.forEach((i, t) => {
      slot[i] = slot[K[nearest[t]!]!]!;
    });
    keptCounts[b] = outputs.length;
    keptIndices.push(outputs);
  }

  // 5-6. sizes s'_j, weights s_i / s'_j and source lists, padded to M outputs
  const M = keptCounts.reduce((most, count) => Math.max(most, count), 0);
  const size = (b: number, i: number) => (s ? s[b * N + i]! : 1);
  const outSizes = new Float32Array(B * M);
  const weight = new Float32Array(B * N);
  const sources: Int32Array[][] = [];
  for (let b = 0; b < B; b++) {
    const members: number[][] = Array.from({ length: keptCounts[b]! }, () => []);
    for (let i = 0; i < N; i++) {
      const j = destination[b * N + i]!;
      if (j < 0) continue;
      outSizes[b * M + j]! += size(b, i);
      members[j]!.push(...(input.sources ? input.sources[b]![i]! : [i]));
    }
    for (let i = 0; i < N; i++) {
      const j = destination[b * N + i]!;
      if (j >= 0) weight[b * N + i] = size(b, i) / outSizes[b * M + j]!;
    }
    sources.push(members.map((originals) => Int32Array.from(originals).sort()));
  }
  return {
    batchSize: B,
    inputTokens: N,
    outputTokens: M,
    destination,
    weight,
    sizes: outSizes,
    keptCounts,
    keptIndices,
    sources,
  };
}

/**
 * Steps 2-3, the IQR fence, for one sample: K = {i ∈ C : a_i > Q3 + c·IQR}, then |K| clamped to
 * [minKeep, maxKeep] ∩ [1, |C| - 1] by taking the top-|K| tokens by a_i. Every token above the
 * fence outranks every token at or below it, so an unclamped K is exactly the fence rule.
 * Ties go to the lower position; a single candidate is kept.
 */
export function selectKeyTokens(
  a: ArrayLike<number>,
  C: ArrayLike<number>,
  options: KeySelectionOptions = {},
): KeySelection {
  const c = options.iqrMultiplier ?? 1.5;
  const n = C.length;
  if (n === 0) return { keyIndices: new Int32Array(0), fence: Number.NaN, aboveFence: 0 };
  const aC = Float64Array.from(C, (i) => a[i]!);
  const { q3, iqr } = quartiles(aC);
  const fence = q3 + c * iqr;
  const aboveFence = aC.filter((ai) => ai > fence).length;

  const most = Math.max(n - 1, 1);
  const lower = clamp(resolveKeepBound(options.minKeep ?? 1, n, 'minKeep'), 1, most);
  const maxKeep =
    options.maxKeep === undefined ? most : resolveKeepBound(options.maxKeep, n, 'maxKeep');
  const upper = clamp(maxKeep, lower, most);
  return { keyIndices: selectTopTokens(a, C, clamp(aboveFence, lower, upper)), fence, aboveFence };
}

/** ToMe's fixed count: the `count` candidates with the highest a_i (ties to the lower position), ascending. */
export function selectTopTokens(
  a: ArrayLike<number>,
  C: ArrayLike<number>,
  count: number,
): Int32Array {
  const byScore = Array.from(C, (i) => i).sort((x, y) => a[y]! - a[x]! || x - y);
  return Int32Array.from(byScore.slice(0, Math.max(0, count))).sort();
}

/**
 * Step 4 as defined: for each token i in `tokens`, the index into `keyTokens` of
 * argmax_j Sim(i, j), the first on ties. `keys` holds row-major float32 vectors of length
 * `dim`, token t at `(rowOffset + t) * dim`. For the cosine only k_j is normalised: dividing
 * every Sim(i, ·) by |k_i| > 0 does not move the argmax. The plan runs `nearestKeysTiled`,
 * which test/nearest-key.test.ts checks gives exactly these answers.
 */
export function nearestKeys(
  keys: ArrayLike<number>,
  rowOffset: number,
  dim: number,
  keyTokens: ArrayLike<number>,
  tokens: ArrayLike<number>,
  cosine: boolean,
): Int32Array {
  const raw = (t: number) =>
    Array.from({ length: dim }, (_, d) => keys[(rowOffset + t) * dim + d]!);
  const kj = Array.from(keyTokens, (j) => {
    const norm = Math.sqrt(raw(j).reduce((sum, v) => sum + v * v, 0));
    const scale = cosine ? 1 / Math.max(norm, 1e-12) : 1;
    return Float32Array.from(raw(j), (v) => Math.fround(v) * scale);
  });
  return Int32Array.from(tokens, (i) => {
    const ki = Float32Array.from(raw(i));
    let best = 0;
    let bestSim = Number.NEGATIVE_INFINITY;
    kj.forEach((kjRow, j) => {
      const sim = ki.reduce((sum, v, d) => sum + v * kjRow[d]!, 0);
      if (j === 0 || sim > bestSim) [best, bestSim] = [j, sim];
    });
    return best;
  });
}

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);
