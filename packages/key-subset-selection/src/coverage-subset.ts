import { SplitMix32 } from '@sparsify/internal-random';
import { deriveSeed, sampleToFront } from './random.js';
import { typeQuotas } from './stratified-subset.js';

/** Options of `coverageSubset`. */
export interface CoverageSubsetOptions {
  /** n: how many samples to choose. */
  count: number;
  /**
   * Each sample's question type. Given, every type gets its share of n (largest remainders)
   * and is covered on its own; left out, all samples form one group.
   */
  types?: readonly string[];
  /** Seed of the draws within each stratum (any safe integer). Default 0. */
  seed?: number;
}

/**
 * Coverage-centric selection (CCS, Zheng et al., ICLR 2023) over key-subset scores, an
 * alternative to top-n that is not in the paper. At 25% of a small training set, top-n
 * keeps what the model never learned and loses to a random subset; CCS keeps the spread of
 * difficulty instead. Per group (type):
 *
 * 1. Leave out the top stratum: the samples with the group's highest score (with the
 *    authors' scores, those kept in every epoch, i.e. never learned).
 * 2. Strata = the remaining samples of equal score.
 * 3. Fill the quota from the smallest stratum up, each taking min(its size, what is left /
 *    strata left) drawn at random, so small strata are kept whole and the rest share evenly.
 * 4. If the strata run out (a group almost all at its top score), draw the rest from the
 *    top stratum.
 *
 * Returns the chosen indices in ascending order.
 */
export function coverageSubset(
  scores: ArrayLike<number>,
  options: CoverageSubsetOptions,
): Int32Array {
  const { count, types, seed = 0 } = options;
  const size = scores.length;
  if (!Number.isInteger(count) || count < 0 || count > size) {
    throw new RangeError(`coverageSubset: count must be an integer in [0, ${size}], got ${count}`);
  }
  if (types && types.length !== size) {
    throw new RangeError(`coverageSubset: ${size} scores but ${types.length} types`);
  }
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(scores[i]))
      throw new RangeError(`coverageSubset: score ${i} is ${scores[i]}`);
  }
  const random = new SplitMix32(deriveSeed(seed, 3));
  const chosen: number[] = [];
  for (const { members, quota } of typeQuotas(types ?? new Array(size).fill(''), count)) {
    chosen.push(...coverGroup(scores, members, quota, random));
  }
  return Int32Array.from(chosen).sort();
}

function coverGroup(
  scores: ArrayLike<number>,
  members: readonly number[],
  quota: number,
  random: SplitMix32,
): number[] {
  if (quota === 0) return [];
  const top = Math.max(...members.map((i) => scores[i]!));
  const strata = new Map<number, number[]>();
  for (const i of members) {
    const stratum = strata.get(scores[i]!) ?? [];
    stratum.push(i);
    strata.set(scores[i]!, stratum);
  }
  const topStratum = Int32Array.from(strata.get(top)!);
  strata.delete(top);
  // Smallest first; equal sizes by score, so the order never depends on Map insertion.
  const ordered = [...strata.entries()].sort(
    ([scoreA, a], [scoreB, b]) => a.length - b.length || scoreA - scoreB,
  );
  const chosen: number[] = [];
  let left = quota;
  ordered.forEach(([, stratum], position) => {
    const take = Math.min(stratum.length, Math.floor(left / (ordered.length - position)));
    chosen.push(...sampleToFront(Int32Array.from(stratum), take, random));
    left -= take;
  });
  if (left > 0) chosen.push(...sampleToFront(topStratum, left, random));
  return chosen;
}
