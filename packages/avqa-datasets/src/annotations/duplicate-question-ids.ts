import type { AvqaRecord } from './avqa-record.js';

/**
 * What to do when a question_id occurs more than once (the original v1 files hold 27 such
 * ids in val, 55 in test and 56 in train_fake, each twice and with conflicting answers;
 * json_update fixes val/test by hand, keeping sometimes the first copy and sometimes the
 * second, so no rule reproduces it):
 * - 'keep-first' (default): keep the first copy in file order, drop the later ones.
 * - 'keep-all': keep every copy, as the official training and test code does (it never
 *   deduplicates); use it to reproduce numbers published on the original files.
 * - 'drop': drop every copy of a duplicated id (their labels are unreliable).
 * - 'error': throw.
 * Every duplicate is reported in any case.
 */
export type DuplicatePolicy = 'keep-first' | 'keep-all' | 'drop' | 'error';

export interface DuplicateQuestionId {
  questionId: number;
  /** Record indices in the source file, in file order. */
  indices: number[];
  /** True when the copies do not all have the same answer. */
  conflictingAnswers: boolean;
}

/** Every question id held by more than one record, in order of first occurrence. */
export function findDuplicateQuestionIds(records: readonly AvqaRecord[]): DuplicateQuestionId[] {
  const byId = new Map<number, AvqaRecord[]>();
  for (const record of records) {
    if (record.questionId === null) continue;
    const copies = byId.get(record.questionId);
    if (copies === undefined) byId.set(record.questionId, [record]);
    else copies.push(record);
  }
  const duplicates: DuplicateQuestionId[] = [];
  for (const [questionId, copies] of byId) {
    if (copies.length < 2) continue;
    const first = copies[0] as AvqaRecord;
    duplicates.push({
      questionId,
      indices: copies.map((copy) => copy.index),
      conflictingAnswers: copies.some((copy) => copy.answer !== first.answer),
    });
  }
  return duplicates;
}

/** The records kept under `policy` (the duplicates must come from `findDuplicateQuestionIds(records)`). */
export function applyDuplicatePolicy(
  records: readonly AvqaRecord[],
  duplicates: readonly DuplicateQuestionId[],
  policy: DuplicatePolicy,
  source: string,
): AvqaRecord[] {
  if (duplicates.length === 0 || policy === 'keep-all') return [...records];
  if (policy === 'error') {
    const first = duplicates[0] as DuplicateQuestionId;
    throw new Error(
      `${source}: ${duplicates.length} question ids occur more than once (first: question_id ${first.questionId} at records ${first.indices.join(', ')})`,
    );
  }
  const dropped = new Set<number>();
  for (const duplicate of duplicates) {
    const droppedIndices = policy === 'drop' ? duplicate.indices : duplicate.indices.slice(1);
    for (const index of droppedIndices) dropped.add(index);
  }
  return records.filter((record) => !dropped.has(record.index));
}
