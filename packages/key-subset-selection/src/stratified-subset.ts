/** One question type's members and its share of the subset. */
export interface TypeQuota {
  type: string;
  /** Sample indices of this type, ascending. */
  members: number[];
  /** How many of them the subset takes. */
  quota: number;
}

/**
 * Splits n between the types in proportion to their sizes: floors first, then one more to
 * the largest remainders (equal remainders: type name order) until the quotas sum to n.
 */
export function typeQuotas(types: readonly string[], count: number): TypeQuota[] {
  const byType = new Map<string, number[]>();
  types.forEach((type, i) => {
    const members = byType.get(type) ?? [];
    members.push(i);
    byType.set(type, members);
  });
  const total = types.length;
  const groups = [...byType.entries()].map(([type, members]) => {
    const exact = (count * members.length) / total;
    return { type, members, quota: Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let missing = count - groups.reduce((sum, g) => sum + g.quota, 0);
  for (const group of [...groups].sort(
    (a, b) => b.remainder - a.remainder || (a.type < b.type ? -1 : 1),
  )) {
    if (missing <= 0) break;
    group.quota++;
    missing--;
  }
  return groups.map(({ type, members, quota }) => ({ type, members, quota }));
}

/**
 * Top-n by key-subset score within each question type, each type keeping its share of
 * the training set (`typeQuotas`). An addition to the authors' recipe: on data where whole
 * types are easy (yes/no answers), the global top-n drops those types entirely. Ties go to
 * the lower index, as in selectKeySubset. Returns the chosen indices in ascending order.
 */
export function stratifiedTopN(
  scores: ArrayLike<number>,
  types: readonly string[],
  count: number,
): Int32Array {
  if (types.length !== scores.length) {
    throw new RangeError(`stratifiedTopN: ${scores.length} scores but ${types.length} types`);
  }
  const chosen: number[] = [];
  for (const { members, quota } of typeQuotas(types, count)) {
    const ranked = members
      .slice()
      .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
    chosen.push(...ranked.slice(0, quota));
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}
