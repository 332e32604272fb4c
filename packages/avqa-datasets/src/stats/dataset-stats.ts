import type { AvqaRecord } from '../annotations/avqa-record.js';
import {
  type DuplicateQuestionId,
  findDuplicateQuestionIds,
} from '../annotations/duplicate-question-ids.js';
import {
  AVQA_TYPES,
  type AvqaType,
  MODALITIES,
  type Modality,
} from '../annotations/question-types.js';

export interface VideoOverlap {
  /** Videos of this split that also appear in the other split. */
  sharedVideos: number;
  /** sharedVideos / videos of this split. */
  fraction: number;
  /** Questions of this split about a shared video. */
  questionsOnSharedVideos: number;
}

export interface DatasetStats {
  questions: number;
  videos: number;
  byType: Record<AvqaType, number>;
  byModality: Record<Modality, number>;
  /** Answer -> count, most frequent first (ties in answer order). */
  answers: [answer: string, count: number][];
  /** Token count (unpadded) -> questions, ascending. */
  tokenLengths: [tokens: number, count: number][];
  minTokens: number;
  maxTokens: number;
  /** Question ids held by more than one of these records. */
  duplicates: DuplicateQuestionId[];
  questionsWithoutId: number;
  /** Split name -> how many of these videos also appear there. */
  videoOverlap: Record<string, VideoOverlap>;
}

export interface DatasetStatsOptions {
  /** Other splits to compare video ids with, e.g. { train, val } for a test file. */
  otherSplits?: Record<string, readonly AvqaRecord[]>;
  /**
   * Duplicates as reported by the loader (`AnnotationSet.duplicates`); by default they are
   * recomputed from `records`, which finds none once the loader has dropped the copies.
   */
  duplicates?: readonly DuplicateQuestionId[];
}

/** Counts per type and modality, answers, token lengths, duplicates and video overlap with other splits. */
export function datasetStats(
  records: readonly AvqaRecord[],
  options: DatasetStatsOptions = {},
): DatasetStats {
  const byType = Object.fromEntries(AVQA_TYPES.map((info) => [info.type, 0])) as Record<
    AvqaType,
    number
  >;
  const byModality = Object.fromEntries(MODALITIES.map((modality) => [modality, 0])) as Record<
    Modality,
    number
  >;
  const answerCounts = new Map<string, number>();
  const lengthCounts = new Map<number, number>();
  const videos = new Set<string>();
  for (const record of records) {
    byType[record.type] += 1;
    byModality[record.modality] += 1;
    answerCounts.set(record.answer, (answerCounts.get(record.answer) ?? 0) + 1);
    lengthCounts.set(record.tokens.length, (lengthCounts.get(record.tokens.length) ?? 0) + 1);
    videos.add(record.videoId);
  }
  const labelOf = new Map(records.map((record) => [record.answer, record.label]));
  const answers = [...answerCounts].sort(
    ([answerA, countA], [answerB, countB]) =>
      countB - countA || (labelOf.get(answerA) ?? 0) - (labelOf.get(answerB) ?? 0),
  );
  const tokenLengths = [...lengthCounts].sort(([a], [b]) => a - b);
  const videoOverlap: Record<string, VideoOverlap> = {};
  for (const [name, split] of Object.entries(options.otherSplits ?? {})) {
    const otherVideos = new Set(split.map((record) => record.videoId));
    const shared = [...videos].filter((video) => otherVideos.has(video));
    videoOverlap[name] = {
      sharedVideos: shared.length,
      fraction: videos.size === 0 ? 0 : shared.length / videos.size,
      questionsOnSharedVideos: records.filter((record) => otherVideos.has(record.videoId)).length,
    };
  }
  return {
    questions: records.length,
    videos: videos.size,
    byType,
    byModality,
    answers,
    tokenLengths,
    minTokens: tokenLengths[0]?.[0] ?? 0,
    maxTokens: tokenLengths.at(-1)?.[0] ?? 0,
    duplicates: options.duplicates ? [...options.duplicates] : findDuplicateQuestionIds(records),
    questionsWithoutId: records.filter((record) => record.questionId === null).length,
    videoOverlap,
  };
}

/** A plain-text report of `datasetStats`, for `sparsify data stats <file>`. */
export function formatDatasetStats(stats: DatasetStats, title = 'MUSIC-AVQA split'): string {
  const percent = (count: number, total: number) =>
    total === 0 ? '0.0' : ((100 * count) / total).toFixed(1);
  const lines = [`${title}: ${stats.questions} questions on ${stats.videos} videos`];
  if (stats.questionsWithoutId > 0)
    lines.push(`  ${stats.questionsWithoutId} questions without question_id`);
  lines.push('', 'Questions per type:');
  for (const modality of MODALITIES) {
    lines.push(
      `  ${modality.padEnd(26)} ${String(stats.byModality[modality]).padStart(6)}  ${percent(stats.byModality[modality], stats.questions).padStart(5)}%`,
    );
    for (const info of AVQA_TYPES.filter((candidate) => candidate.modality === modality)) {
      lines.push(
        `    ${info.kind.padEnd(24)} ${String(stats.byType[info.type]).padStart(6)}  ${percent(stats.byType[info.type], stats.questions).padStart(5)}%`,
      );
    }
  }
  lines.push('', `Answers (${stats.answers.length} distinct):`);
  for (const [answer, count] of stats.answers) {
    lines.push(
      `  ${answer.padEnd(26)} ${String(count).padStart(6)}  ${percent(count, stats.questions).padStart(5)}%`,
    );
  }
  lines.push('', `Question length in tokens (${stats.minTokens}..${stats.maxTokens}):`);
  for (const [tokens, count] of stats.tokenLengths) {
    lines.push(
      `  ${String(tokens).padStart(2)} tokens ${String(count).padStart(23)}  ${percent(count, stats.questions).padStart(5)}%`,
    );
  }
  const conflicting = stats.duplicates.filter((duplicate) => duplicate.conflictingAnswers).length;
  lines.push(
    '',
    `Duplicated question ids: ${stats.duplicates.length} (${conflicting} with conflicting answers)`,
  );
  for (const duplicate of stats.duplicates.slice(0, 10)) {
    lines.push(
      `  question_id ${duplicate.questionId} at records ${duplicate.indices.join(', ')}${duplicate.conflictingAnswers ? ' (answers differ)' : ''}`,
    );
  }
  if (stats.duplicates.length > 10) lines.push(`  ... and ${stats.duplicates.length - 10} more`);
  const overlaps = Object.entries(stats.videoOverlap);
  if (overlaps.length > 0) {
    lines.push('', 'Videos shared with other splits:');
    for (const [name, overlap] of overlaps) {
      lines.push(
        `  ${name.padEnd(26)} ${String(overlap.sharedVideos).padStart(6)} videos (${(100 * overlap.fraction).toFixed(1)}%), ${overlap.questionsOnSharedVideos} questions`,
      );
    }
  }
  return lines.join('\n');
}
