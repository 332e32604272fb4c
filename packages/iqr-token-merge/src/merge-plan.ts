/**
 * Level 2 of Sparsify, the whole choice in one place: which tokens survive and where every
 * other token goes (the role `bipartite_soft_matching` plays in ToMe's merge.py). Computed
 * once per batch on CPU arrays, since selection is not differentiable; merge-apply.ts then
 * applies the plan to tensors as x'_j = Σ_{i→j} s_i x_i / s'_j.
 *
 * Shapes: importance a [B, N], keys k [B, N, Dk], sizes s [B, N], padMask [B, N]
 * (1 = padding) -> a plan with M = the largest kept count, outputs [B, M].
 *
 * Per sample, numbered as the README's algorithm (step 1, the importance a, is importance.ts):
 *  2. candidates C = real (non-padding), non-protected tokens; Q1, Q3 of {a_i : i ∈ C};
 *  3. key tokens K = {i ∈ C : a_i > Q3 + c·IQR} (`selectKeyTokens`), or ToMe's fixed count
 *     (`r`, `target`: the top tokens by a_i); protected tokens are kept alone (they neither
 *     merge nor absorb, like ToMe's class token);
 *  4. every i ∈ C \ K joins j*(i) = argmax_{j ∈ K} Sim(i, j), Sim(i, j) = k_i · k_j (or the
 *     cosine), ties to the lower position (`nearestKeys`);
 *  5. outputs = K ∪ protected in their original order; s'_j = Σ_{i→j} s_i, and an output's
 *     source list is the union of its members' lists, so repeated merges stay exact;
 *  6. samples keep different counts: outputs are padded to the largest count M.
 * With `groups` (e.g. each token's time step) a token joins only a key of its own group, and a
 * group with candidates but no key keeps its most important one (`withKeyPerGroup`).
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
} from './merge-options.js';
import { nearestKeysTiled } from './nearest-key-tiled.js';
import { quartiles } from './quantile.js';

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
  /**
   * [B, N] an integer group per token (e.g. its time step): tokens merge only within their
   * group, and every group keeps at least one token. null = one group.
   */
  groups?: ArrayLike<number> | null;
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
  const {
    batchSize: B,
    tokenCount: N,
    keyDim,
    scores: a,
    keys: k,
    sizes: s,
    padMask,
    groups,
  } = input;
  validatePlanInput(input);
  const protectedTokens = protectedSet(options, N);
  const cosine = usesCosine(options);
  const fixedCount = fixedKeepRule(options);

  const keptCounts = new Int32Array(B);
  const keptIndices: Int32Array[] = [];
  const destination = new Int32Array(B * N).fill(-1);
  const aRow = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    // 2. candidates C; protected tokens are kept as they are
    const C: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < N; i++) {
      if (padMask && padMask[b * N + i]! > 0.5) continue;
      (protectedTokens.has(i) ? kept : C).push(i);
    }
    // 3. key tokens K
    for (let i = 0; i < N; i++) aRow[i] = a[b * N + i]!;
    const ruleKeys =
      fixedCount === null
        ? selectKeyTokens(aRow, C, options).keyIndices
        : selectTopTokens(aRow, C, fixedCount(C.length, kept.length));
    const group = groups ? (i: number) => groups[b * N + i]! : null;
    const K = group ? withKeyPerGroup(aRow, C, ruleKeys, group) : ruleKeys;
    // 5. outputs in their original order
    const outputs = Int32Array.from([...kept, ...K]).sort();
    const slot = destination.subarray(b * N, (b + 1) * N);
    outputs.forEach((token, j) => {
      slot[token] = j;
    });
    // 4. every other candidate joins its most similar key (of its own group)
    const others = C.filter((i) => slot[i] === -1);
    const joins: [number[], Int32Array][] = group ? byGroup(others, K, group) : [[others, K]];
    for (const [members, keys] of joins) {
      const nearest = nearestKeysTiled(k, b * N, keyDim, keys, members, cosine);
      members.forEach((i, t) => {
        slot[i] = slot[keys[nearest[t]!]!]!;
      });
    }
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
    for (let i = 0; i < N; i++) {
      const j = destination[b * N + i]!;
      if (j >= 0) outSizes[b * M + j]! += size(b, i);
    }
    for (let i = 0; i < N; i++) {
      const j = destination[b * N + i]!;
      if (j >= 0) weight[b * N + i] = size(b, i) / outSizes[b * M + j]!;
    }
    sources.push(
      input.sources
        ? composedSources(destination, b * N, N, keptCounts[b]!, input.sources[b]!)
        : memberLists(destination, b * N, N, keptCounts[b]!),
    );
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
 * The rule's keys K plus, for each group that has candidates and no key, its most important
 * candidate (ties to the lower position), ascending: without it that group's tokens would
 * have nothing to join.
 */
function withKeyPerGroup(
  a: ArrayLike<number>,
  C: readonly number[],
  K: Int32Array,
  group: (i: number) => number,
): Int32Array {
  const covered = new Set(Array.from(K, group));
  const best = new Map<number, number>();
  for (const i of C) {
    const g = group(i);
    if (covered.has(g)) continue;
    const current = best.get(g);
    if (current === undefined || a[i]! > a[current]!) best.set(g, i);
  }
  if (best.size === 0) return K;
  return Int32Array.from([...K, ...best.values()]).sort();
}

/** Per group: its non-key tokens and its keys (each ascending). */
function byGroup(
  others: readonly number[],
  K: Int32Array,
  group: (i: number) => number,
): [number[], Int32Array][] {
  const keysOf = listsByGroup(K, group);
  return Array.from(listsByGroup(others, group), ([g, members]) => [
    members,
    Int32Array.from(keysOf.get(g)!),
  ]);
}

/** Tokens split by group, each list in the tokens' order. */
function listsByGroup(tokens: Iterable<number>, group: (i: number) => number) {
  const lists = new Map<number, number[]>();
  for (const token of tokens) {
    const g = group(token);
    const list = lists.get(g);
    if (list) list.push(token);
    else lists.set(g, [token]);
  }
  return lists;
}

/**
 * Each output's members (input positions), ascending: inputs are visited in order, so the
 * lists come out sorted without a sort.
 */
function memberLists(
  destination: Int32Array,
  offset: number,
  N: number,
  outputs: number,
): Int32Array[] {
  const counts = new Int32Array(outputs);
  for (let i = 0; i < N; i++) {
    const j = destination[offset + i]!;
    if (j >= 0) counts[j]!++;
  }
  const lists = Array.from(counts, (count) => new Int32Array(count));
  counts.fill(0);
  for (let i = 0; i < N; i++) {
    const j = destination[offset + i]!;
    if (j >= 0) lists[j]![counts[j]!++] = i;
  }
  return lists;
}

/** Each output's originals when the inputs already held several: the union of their lists. */
function composedSources(
  destination: Int32Array,
  offset: number,
  N: number,
  outputs: number,
  inputSources: readonly Int32Array[],
): Int32Array[] {
  const members: number[][] = Array.from({ length: outputs }, () => []);
  for (let i = 0; i < N; i++) {
    const j = destination[offset + i]!;
    if (j >= 0) members[j]!.push(...inputSources[i]!);
  }
  return members.map((originals) => Int32Array.from(originals).sort());
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
  let aboveFence = 0;
  for (const ai of aC) if (ai > fence) aboveFence++;

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
  const n = C.length;
  const take = Math.min(Math.max(0, count), n);
  if (take === 0) return new Int32Array(0);
  // Ties go to the lower position: visit the candidates in ascending order.
  let ascending = true;
  for (let k = 1; k < n && ascending; k++) ascending = C[k - 1]! < C[k]!;
  if (!ascending) C = Int32Array.from(C).sort();
  // The `take`-th largest score, then every candidate above it and, of those equal to it,
  // the lowest positions: the same set as sorting by score with ties to the lower position
  // (a typed-array sort, no comparator; -0 and +0 compare equal either way).
  const scores = Float64Array.from(C, (i) => a[i]!).sort();
  const threshold = scores[n - take]!;
  let above = 0;
  for (let k = 0; k < n; k++) if (a[C[k]!]! > threshold) above++;
  let ties = take - above;
  const chosen = new Int32Array(take);
  let filled = 0;
  for (let k = 0; k < n; k++) {
    const i = C[k]!;
    const score = a[i]!;
    if (score > threshold || (score === threshold && ties-- > 0)) chosen[filled++] = i;
  }
  return chosen.sort();
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
