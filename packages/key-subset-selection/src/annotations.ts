/**
 * The key subset as data: the chosen records of an annotation list (MUSIC-AVQA's format is a
 * JSON list of flat records) and the subset's make-up per question type. Records stay generic
 * objects, so this package needs no dataset package.
 */

/**
 * Gives a record's question type, e.g. 'Audio-Visual/Temporal'. The caller supplies it (for
 * MUSIC-AVQA: `musicAvqaQuestionType` of @sparsify/avqa-datasets); this package knows no dataset.
 */
export type QuestionTypeOf<T> = (record: T, position: number) => string;

/** Checks that `indices` are distinct indices into `count` records and returns them ascending. */
function sortedDistinctIndices(indices: ArrayLike<number>, count: number): Int32Array {
  const sorted = Int32Array.from(indices, (index, j) => {
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new RangeError(
        `subset index ${index} (position ${j}) is not a record index in [0, ${count})`,
      );
    }
    return index;
  }).sort();
  for (let j = 1; j < sorted.length; j++) {
    if (sorted[j] === sorted[j - 1])
      throw new RangeError(`subset index ${sorted[j]} appears twice`);
  }
  return sorted;
}

/** The chosen records, in the order of the input list (not the order of `indices`). */
export function selectRecords<T>(records: readonly T[], indices: ArrayLike<number>): T[] {
  return Array.from(sortedDistinctIndices(indices, records.length), (index) => records[index]!);
}

/** The chosen records as annotation-file text (a JSON list, 2-space indent, as MUSIC-AVQA ships). */
export function formatSubsetAnnotations<T>(
  records: readonly T[],
  indices: ArrayLike<number>,
): string {
  return `${JSON.stringify(selectRecords(records, indices), null, 2)}\n`;
}

export interface TypeComposition {
  type: string;
  /** Records of this type in the whole list. */
  total: number;
  /** Records of this type in the subset. */
  selected: number;
  /** selected / total: how much of this type the subset keeps. */
  keptFraction: number;
  /** selected / subset size: this type's share of the subset. */
  subsetShare: number;
  /** total / list size: this type's share of the whole list. */
  fullShare: number;
}

export interface SubsetComposition {
  total: number;
  selected: number;
  /** One row per type present in the list, sorted by type name. */
  types: TypeComposition[];
}

/** The subset's make-up per question type, next to the full list's. */
export function subsetComposition<T>(
  records: readonly T[],
  indices: ArrayLike<number>,
  typeOf: QuestionTypeOf<T>,
): SubsetComposition {
  const chosen = sortedDistinctIndices(indices, records.length);
  const totals = new Map<string, number>();
  const types = records.map((record, position) => {
    const type = typeOf(record, position);
    totals.set(type, (totals.get(type) ?? 0) + 1);
    return type;
  });
  const selectedCounts = new Map<string, number>();
  for (const index of chosen) {
    const type = types[index]!;
    selectedCounts.set(type, (selectedCounts.get(type) ?? 0) + 1);
  }
  const rows = [...totals.keys()].sort().map((type): TypeComposition => {
    const total = totals.get(type)!;
    const selected = selectedCounts.get(type) ?? 0;
    return {
      type,
      total,
      selected,
      keptFraction: selected / total,
      subsetShare: chosen.length === 0 ? 0 : selected / chosen.length,
      fullShare: total / records.length,
    };
  });
  return { total: records.length, selected: chosen.length, types: rows };
}

/** The composition as a Markdown table (for reports). */
export function formatComposition(composition: SubsetComposition): string {
  const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
  const lines = [
    '| type | total | selected | kept | share of subset | share of all |',
    '|---|---:|---:|---:|---:|---:|',
    ...composition.types.map(
      (row) =>
        `| ${row.type} | ${row.total} | ${row.selected} | ${percent(row.keptFraction)} | ${percent(row.subsetShare)} | ${percent(row.fullShare)} |`,
    ),
    `| all | ${composition.total} | ${composition.selected} | ${percent(composition.selected / composition.total)} | 100.0% | 100.0% |`,
  ];
  return `${lines.join('\n')}\n`;
}
