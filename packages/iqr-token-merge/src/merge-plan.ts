/**
 * The merge plan: which tokens survive and where every other token goes, computed once
 * per batch on CPU arrays (selection is not differentiable), then applied to any tensor
 * aligned with the tokens (features, positions, ...) by `applyMergePlan`. This is the
 * role `bipartite_soft_matching` plays in ToMe's merge.py, with Sparsify's rule.
 *
 * Per sample:
 *  1. candidates = real (non-padding), non-protected tokens;
 *  2. key tokens = IQR rule on their scores (`selectKeyTokens`);
 *  3. every other candidate joins the key token j maximising Sim(i, j) = k_i . k_j
 *     (or the cosine), ties to the lower position;
 *  4. outputs = key and protected tokens in their original order; a protected token is
 *     kept alone (it neither merges nor absorbs, like ToMe's class token);
 *  5. an output's size is the sum of its members' sizes and its source list the union
 *     of their source lists, so repeated merges stay exact.
 */
import { type KeySelectionOptions, selectKeyTokens, selectTopTokens } from './key-tokens.js';
import { nearestKeys } from './nearest-key.js';

export type SimilarityMeasure = 'dot' | 'cosine';

export interface MergePlanOptions extends KeySelectionOptions {
  /**
   * ToMe's r: merge exactly r tokens per sample (min(r, candidates - 1)) instead of the IQR
   * fence; 0 merges nothing. Excludes `target`, `iqrMultiplier`, `minKeep` and `maxKeep`.
   */
  r?: number;
  /**
   * Output length per sample, protected tokens included (at least one other token is kept);
   * a sample already no longer than this is left as it is. Excludes `r` and the IQR options.
   */
  target?: number;
  /** Sim(i, j): 'dot' = k_i . k_j as in the paper, 'cosine' = ToMe's normalised form. Default 'dot'. */
  similarity?: SimilarityMeasure;
  /** Token positions that are always kept and never merged (e.g. [0] for a class token). */
  protectedTokens?: readonly number[];
}

/** Row-major CPU arrays describing one batch of B samples of N tokens. */
export interface MergePlanInput {
  batchSize: number;
  tokenCount: number;
  /** Importance [B, N]. */
  scores: ArrayLike<number>;
  /** Attention keys [B, N, keyDim] used for Sim(i, j). */
  keys: ArrayLike<number>;
  keyDim: number;
  /** [B, N] how many original tokens each token holds; null = all ones. */
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
  /** [B * N] the output slot each input token joins; -1 for input padding slots. */
  destination: Int32Array;
  /** [B * N] each input's weight in its output, size_n / size_m (0 for padding). */
  weight: Float32Array;
  /** [B * M] the outputs' sizes; padding slots hold 0. */
  sizes: Float32Array;
  /** [B] real outputs per sample; slots from keptCounts[b] to M are padding. */
  keptCounts: Int32Array;
  /** Per sample, per output: the input position of the token that represents it. */
  keptIndices: Int32Array[];
  /** Per sample, per output: the original tokens it holds, ascending. */
  sources: Int32Array[][];
}

export function computeMergePlan(input: MergePlanInput, options: MergePlanOptions = {}): MergePlan {
  const { batchSize, tokenCount, keyDim } = input;
  validateInput(input);
  const protectedSet = new Set(options.protectedTokens ?? []);
  for (const token of protectedSet) {
    if (!Number.isInteger(token) || token < 0 || token >= tokenCount) {
      throw new Error(`protectedTokens: ${token} is not a token position in [0, ${tokenCount})`);
    }
  }
  const cosine = (options.similarity ?? 'dot') === 'cosine';
  if (!cosine && options.similarity !== undefined && options.similarity !== 'dot') {
    throw new Error(`similarity must be 'dot' or 'cosine', got '${options.similarity}'`);
  }

  const fixedCount = fixedKeepRule(options);

  const destinationPerSample: Int32Array[] = [];
  const keptIndices: Int32Array[] = [];
  for (let b = 0; b < batchSize; b++) {
    const isPadding = (n: number) =>
      input.padMask ? input.padMask[b * tokenCount + n]! > 0.5 : false;
    const candidates: number[] = [];
    const kept: number[] = [];
    for (let n = 0; n < tokenCount; n++) {
      if (isPadding(n)) continue;
      if (protectedSet.has(n)) kept.push(n);
      else candidates.push(n);
    }
    const sampleScores = sliceRow(input.scores, b * tokenCount, tokenCount);
    const keyIndices =
      fixedCount === null
        ? selectKeyTokens(sampleScores, candidates, options).keyIndices
        : selectTopTokens(sampleScores, candidates, fixedCount(candidates.length, kept.length));
    kept.push(...keyIndices);
    kept.sort((x, y) => x - y);
    const keptArray = Int32Array.from(kept);

    const destination = new Int32Array(tokenCount).fill(-1);
    keptArray.forEach((token, slot) => {
      destination[token] = slot;
    });
    const others = candidates.filter((token) => destination[token] === -1);
    const nearest = nearestKeys(input.keys, b * tokenCount, keyDim, keyIndices, others, cosine);
    others.forEach((token, i) => {
      destination[token] = destination[keyIndices[nearest[i]!]!]!;
    });
    destinationPerSample.push(destination);
    keptIndices.push(keptArray);
  }
  return assemblePlan(input, destinationPerSample, keptIndices);
}

/**
 * With `r` or `target`, how many of a sample's n candidates to keep given how many protected
 * tokens it keeps anyway; null for the IQR fence.
 */
export function fixedKeepRule(
  options: MergePlanOptions,
): ((candidates: number, protectedKept: number) => number) | null {
  const { r, target } = options;
  if (r === undefined && target === undefined) return null;
  if (r !== undefined && target !== undefined) {
    throw new Error(`give one of r (${r}) and target (${target}), not both`);
  }
  for (const name of ['iqrMultiplier', 'minKeep', 'maxKeep'] as const) {
    if (options[name] !== undefined) {
      throw new Error(
        `${name} sets the IQR fence, which ${r !== undefined ? 'r' : 'target'} replaces; give one or the other`,
      );
    }
  }
  if (r !== undefined) {
    if (!Number.isInteger(r) || r < 0) throw new Error(`r must be an integer >= 0, got ${r}`);
    return (candidates) => (r === 0 ? candidates : Math.max(candidates - r, 1));
  }
  if (!Number.isInteger(target) || target! < 1) {
    throw new Error(`target must be an integer >= 1, got ${target}`);
  }
  return (candidates, protectedKept) => Math.min(candidates, Math.max(target! - protectedKept, 1));
}

/** Sizes, weights and source lists from each sample's destinations. */
function assemblePlan(
  input: MergePlanInput,
  destinationPerSample: Int32Array[],
  keptIndices: Int32Array[],
): MergePlan {
  const { batchSize, tokenCount } = input;
  const keptCounts = Int32Array.from(keptIndices, (kept) => kept.length);
  const outputTokens = keptCounts.reduce((most, count) => Math.max(most, count), 0);
  const destination = new Int32Array(batchSize * tokenCount);
  const weight = new Float32Array(batchSize * tokenCount);
  const sizes = new Float32Array(batchSize * outputTokens);
  const sources: Int32Array[][] = [];
  for (let b = 0; b < batchSize; b++) {
    const sampleDestination = destinationPerSample[b]!;
    destination.set(sampleDestination, b * tokenCount);
    const members: number[][] = Array.from({ length: keptCounts[b]! }, () => []);
    for (let n = 0; n < tokenCount; n++) {
      const slot = sampleDestination[n]!;
      if (slot < 0) continue;
      sizes[b * outputTokens + slot]! += sizeOf(input, b, n);
      const ownSources = input.sources ? input.sources[b]![n]! : [n];
      members[slot]!.push(...ownSources);
    }
    for (let n = 0; n < tokenCount; n++) {
      const slot = sampleDestination[n]!;
      if (slot >= 0)
        weight[b * tokenCount + n] = sizeOf(input, b, n) / sizes[b * outputTokens + slot]!;
    }
    sources.push(members.map((originals) => Int32Array.from(originals).sort()));
  }
  return {
    batchSize,
    inputTokens: tokenCount,
    outputTokens,
    destination,
    weight,
    sizes,
    keptCounts,
    keptIndices,
    sources,
  };
}

function sizeOf(input: MergePlanInput, b: number, n: number): number {
  return input.sizes ? input.sizes[b * input.tokenCount + n]! : 1;
}

function sliceRow(values: ArrayLike<number>, offset: number, length: number): Float64Array {
  const row = new Float64Array(length);
  for (let i = 0; i < length; i++) row[i] = values[offset + i]!;
  return row;
}

function validateInput(input: MergePlanInput): void {
  const { batchSize, tokenCount, keyDim } = input;
  for (const [name, value] of Object.entries({ batchSize, tokenCount, keyDim })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`computeMergePlan: ${name} must be a positive integer, got ${value}`);
    }
  }
  const expect = (name: string, values: ArrayLike<number> | null | undefined, length: number) => {
    if (values != null && values.length !== length) {
      throw new Error(`computeMergePlan: ${name} has ${values.length} values, expected ${length}`);
    }
  };
  expect('scores', input.scores, batchSize * tokenCount);
  expect('keys', input.keys, batchSize * tokenCount * keyDim);
  expect('sizes', input.sizes, batchSize * tokenCount);
  expect('padMask', input.padMask, batchSize * tokenCount);
  for (let i = 0; i < input.scores.length; i++) {
    if (!Number.isFinite(input.scores[i]!)) {
      throw new Error(
        `computeMergePlan: scores[${i}] is ${input.scores[i]}, expected a finite number`,
      );
    }
  }
  if (input.sources != null) {
    if (input.sources.length !== batchSize || input.sources.some((s) => s.length !== tokenCount)) {
      throw new Error(
        `computeMergePlan: sources must list ${tokenCount} tokens for each of ${batchSize} samples`,
      );
    }
  }
}
