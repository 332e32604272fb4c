/**
 * The merge plan's options and their checks, kept out of merge-plan.ts so that file reads
 * as the algorithm alone.
 */

export interface KeySelectionOptions {
  /** c in the fence Q3 + c * IQR: 1.5 is the authors' outlier fence, 0 the paper's upper quartile. Default 1.5. */
  iqrMultiplier?: number;
  /** Fewest key tokens per sample: a count (integer >= 1) or a fraction in (0, 1) of the candidates. Default 1. */
  minKeep?: number;
  /** Most key tokens per sample: a count or a fraction in (0, 1) of the candidates. Default: all but one. */
  maxKeep?: number;
}

/** What `selectKeyTokens` returns. */
export interface KeySelection {
  /** Positions of the key tokens, ascending. */
  keyIndices: Int32Array;
  /** The fence Q3 + c * IQR the scores were compared with (NaN when there were no candidates). */
  fence: number;
  /** How many candidates lay strictly above the fence, before clamping. */
  aboveFence: number;
}

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

/** The protected positions as a set, each checked to be a token position. */
export function protectedSet(options: MergePlanOptions, tokenCount: number): Set<number> {
  const tokens = new Set(options.protectedTokens ?? []);
  for (const token of tokens) {
    if (!Number.isInteger(token) || token < 0 || token >= tokenCount) {
      throw new Error(`protectedTokens: ${token} is not a token position in [0, ${tokenCount})`);
    }
  }
  return tokens;
}

/** Whether Sim is the cosine (true) or the paper's dot product (false). */
export function usesCosine(options: MergePlanOptions): boolean {
  const similarity = options.similarity ?? 'dot';
  if (similarity !== 'dot' && similarity !== 'cosine') {
    throw new Error(`similarity must be 'dot' or 'cosine', got '${options.similarity}'`);
  }
  return similarity === 'cosine';
}

/** The shape checks of `computeMergePlan`'s input (row-major arrays, see `MergePlanInput`). */
export function validatePlanInput(input: {
  batchSize: number;
  tokenCount: number;
  keyDim: number;
  scores: ArrayLike<number>;
  keys: ArrayLike<number>;
  sizes?: ArrayLike<number> | null;
  padMask?: ArrayLike<number> | null;
  sources?: readonly (readonly Int32Array[])[] | null;
  groups?: ArrayLike<number> | null;
}): void {
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
  expect('groups', input.groups, batchSize * tokenCount);
  if (input.groups != null) {
    for (let i = 0; i < input.groups.length; i++) {
      if (!Number.isInteger(input.groups[i]!)) {
        throw new Error(
          `computeMergePlan: groups[${i}] is ${input.groups[i]}, expected an integer group id`,
        );
      }
    }
  }
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
