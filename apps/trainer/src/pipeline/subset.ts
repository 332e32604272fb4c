import type { AvqaRecord } from '@sparsify/avqa-datasets';
import { readAnnotationFile } from '@sparsify/avqa-datasets';
import { ConfigError } from '../config/config-error.js';
import type { SubsetSpec } from '../config/train-config.js';
import { Rng } from '../rng.js';
import type { BatchSource } from './types.js';

/** A view of `source` holding only the records at `positions` (in that order). */
export function restrictSource(
  source: BatchSource,
  positions: readonly number[],
  name = source.name,
): BatchSource {
  const records = positions.map((p) => {
    const record = source.records[p];
    if (!record)
      throw new RangeError(`subset position ${p} is outside the ${source.records.length} records`);
    return record;
  });
  return {
    name,
    records,
    load: (indices) => source.load(Array.from(indices, (i) => positions[i] as number)),
  };
}

/** A seeded random subset of `fraction` of the positions (the baseline a key subset must beat). */
export function randomSubsetPositions(size: number, fraction: number, seed: number): number[] {
  const count = Math.max(1, Math.round(fraction * size));
  const rng = new Rng(seed ^ 0x5eed5);
  return rng
    .shuffled(Array.from({ length: size }, (_, i) => i))
    .slice(0, count)
    .sort((a, b) => a - b);
}

/**
 * A seeded random draw with `counts[type]` positions of each question type: the control for
 * a subset chosen per type, which separates what the per-type quota buys from what the
 * selection within a type buys. Ascending positions.
 */
export function randomPositionsPerType(
  types: readonly string[],
  counts: ReadonlyMap<string, number>,
  seed: number,
): number[] {
  const rng = new Rng(seed ^ 0x7e5ed);
  const chosen: number[] = [];
  for (const type of [...counts.keys()].sort()) {
    const positions = types.flatMap((t, i) => (t === type ? [i] : []));
    const count = counts.get(type) ?? 0;
    if (count > positions.length) {
      throw new RangeError(
        `${count} questions of type ${type} asked for, ${positions.length} exist`,
      );
    }
    chosen.push(...rng.shuffled(positions).slice(0, count));
  }
  return chosen.sort((a, b) => a - b);
}

/** Positions of the subset file's records among the training records, matched by question id (or video + question). */
export async function subsetFilePositions(
  file: string,
  records: readonly AvqaRecord[],
): Promise<number[]> {
  let subset: AvqaRecord[];
  try {
    subset = (await readAnnotationFile(file)).records;
  } catch (error) {
    throw new ConfigError('--subset', `cannot read ${file}: ${(error as Error).message}`);
  }
  const key = (r: AvqaRecord) =>
    r.questionId !== null ? `q${r.questionId}` : `v${r.videoId}|${r.question}`;
  const position = new Map(records.map((r, i) => [key(r), i]));
  const positions: number[] = [];
  for (const record of subset) {
    const p = position.get(key(record));
    if (p === undefined) {
      throw new ConfigError(
        '--subset',
        `${file}: record ${record.index} (question_id ${record.questionId ?? 'none'}, video ${record.videoId}) is not in the training set`,
      );
    }
    positions.push(p);
  }
  if (positions.length === 0) throw new ConfigError('--subset', `${file} holds no records`);
  return positions;
}

export async function applySubset(
  source: BatchSource,
  subset: SubsetSpec | null,
  seed: number,
): Promise<BatchSource> {
  if (!subset) return source;
  const positions =
    subset.kind === 'file'
      ? await subsetFilePositions(subset.file, source.records)
      : randomSubsetPositions(source.records.length, subset.fraction, seed);
  return restrictSource(source, positions, `${source.name} (subset of ${positions.length})`);
}
