import { readFileSync } from 'node:fs';
import type { AnnotationSet, AvqaPrediction } from '@sparsify/avqa-datasets';
import { ConfigError } from '../config/config-error.js';

/**
 * Predictions for an annotation file, aligned with the records it kept, from a JSON file in
 * one of two forms:
 * - an array with one entry per record of the annotation file, in file order (entry i answers
 *   the record at position i, whatever the duplicates policy kept): this scores every record,
 *   also v2.0 records without a question_id;
 * - an object keyed by question_id: every kept copy of a repeated id gets the same answer,
 *   and records without a question_id have none.
 * An answer is the answer string or its label (0..41); null means no prediction.
 */
export function readPredictionsFile(
  path: string,
  set: Pick<AnnotationSet, 'records' | 'fileRecordCount'>,
): (AvqaPrediction | null)[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('--predictions', `${path}: ${(error as Error).message}`);
  }
  const check = (value: unknown, where: string): AvqaPrediction | null => {
    if (value === null || typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    throw new ConfigError(
      '--predictions',
      `${path}: ${where} must be an answer string, a label (integer >= 0) or null, got ${JSON.stringify(value)}`,
    );
  };
  if (Array.isArray(json)) {
    if (json.length !== set.fileRecordCount) {
      throw new ConfigError(
        '--predictions',
        `${path}: an array of predictions needs one entry per record of the annotation file (${set.fileRecordCount}), got ${json.length}`,
      );
    }
    return set.records.map((record) => check(json[record.index], `entry ${record.index}`));
  }
  if (json === null || typeof json !== 'object') {
    throw new ConfigError(
      '--predictions',
      `${path}: expected an array (one entry per record) or an object keyed by question_id`,
    );
  }
  const keyed = json as Record<string, unknown>;
  return set.records.map((record) =>
    record.questionId === null || !Object.hasOwn(keyed, String(record.questionId))
      ? null
      : check(keyed[String(record.questionId)], `question_id ${record.questionId}`),
  );
}
