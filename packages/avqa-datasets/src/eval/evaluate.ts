import type { AvqaRecord } from '../annotations/avqa-record.js';
import {
  AVQA_TYPES,
  type AvqaType,
  MODALITIES,
  type Modality,
} from '../annotations/question-types.js';

/** A predicted class label (index into the answer vocabulary) or an answer string. */
export type AvqaPrediction = number | string;

/**
 * Predictions either aligned with the records (entry i answers records[i]; null or
 * undefined = missing) or keyed by question id.
 */
export type AvqaPredictions =
  | ArrayLike<AvqaPrediction | null | undefined>
  | ReadonlyMap<number, AvqaPrediction>
  | Readonly<Record<string, AvqaPrediction>>;

export interface AccuracyCount {
  correct: number;
  total: number;
  /** correct / total, null when there is no question of this kind. */
  accuracy: number | null;
}

export interface AvqaEvaluation {
  byType: Record<AvqaType, AccuracyCount>;
  /** Pooled over all questions of the modality (not the mean of its type accuracies). */
  byModality: Record<Modality, AccuracyCount>;
  /** Correct over all questions. */
  overall: AccuracyCount;
  /** Records that had no prediction; they count as wrong (or throw with onMissing 'error'). */
  missing: { count: number; recordIndices: number[]; questionIds: (number | null)[] };
}

export interface EvaluateOptions {
  /** 'count-wrong' (default): a missing prediction is a wrong answer; 'error': throw. */
  onMissing?: 'count-wrong' | 'error';
}

/**
 * The official MUSIC-AVQA scorer: per type, a modality's accuracy pooled over its
 * questions, overall = correct / all questions (GeWu-Lab/MUSIC-AVQA main_avst.py `test`).
 */
export function evaluatePredictions(
  records: readonly AvqaRecord[],
  predictions: AvqaPredictions,
  options: EvaluateOptions = {},
): AvqaEvaluation {
  const predictionFor = predictionLookup(records, predictions);
  const byType = Object.fromEntries(AVQA_TYPES.map((info) => [info.type, emptyCount()])) as Record<
    AvqaType,
    AccuracyCount
  >;
  const byModality = Object.fromEntries(
    MODALITIES.map((modality) => [modality, emptyCount()]),
  ) as Record<Modality, AccuracyCount>;
  const overall = emptyCount();
  const missing: AvqaEvaluation['missing'] = { count: 0, recordIndices: [], questionIds: [] };
  records.forEach((record, position) => {
    const prediction = predictionFor(record, position);
    if (prediction === null || prediction === undefined) {
      missing.count += 1;
      missing.recordIndices.push(record.index);
      missing.questionIds.push(record.questionId);
    }
    const correct =
      prediction !== null && prediction !== undefined && isCorrect(record, prediction);
    for (const count of [byType[record.type], byModality[record.modality], overall]) {
      count.total += 1;
      if (correct) count.correct += 1;
    }
  });
  if (missing.count > 0 && options.onMissing === 'error') {
    throw new Error(
      `${missing.count} of ${records.length} records have no prediction (first: record ${missing.recordIndices[0]}, question_id ${missing.questionIds[0]})`,
    );
  }
  for (const count of [...Object.values(byType), ...Object.values(byModality), overall]) {
    count.accuracy = count.total === 0 ? null : count.correct / count.total;
  }
  return { byType, byModality, overall, missing };
}

function emptyCount(): AccuracyCount {
  return { correct: 0, total: 0, accuracy: null };
}

function isCorrect(record: AvqaRecord, prediction: AvqaPrediction): boolean {
  return typeof prediction === 'number'
    ? prediction === record.label
    : prediction === record.answer;
}

function predictionLookup(
  records: readonly AvqaRecord[],
  predictions: AvqaPredictions,
): (record: AvqaRecord, position: number) => AvqaPrediction | null | undefined {
  if (predictions instanceof Map) {
    return (record) =>
      record.questionId === null ? undefined : predictions.get(record.questionId);
  }
  if (isArrayLike(predictions)) {
    if (predictions.length !== records.length) {
      throw new Error(
        `predictions aligned with records must have one entry per record: got ${predictions.length} for ${records.length} records`,
      );
    }
    return (_record, position) => predictions[position];
  }
  const keyed = predictions as Readonly<Record<string, AvqaPrediction>>;
  return (record) =>
    record.questionId === null || !Object.hasOwn(keyed, String(record.questionId))
      ? undefined
      : keyed[String(record.questionId)];
}

function isArrayLike(
  value: AvqaPredictions,
): value is ArrayLike<AvqaPrediction | null | undefined> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}
