import { type AvqaVocabularies, OFFICIAL_VOCABULARIES } from '../vocab/vocabulary.js';
import { AnnotationError } from './annotation-error.js';
import type { AvqaRecord } from './avqa-record.js';
import {
  applyDuplicatePolicy,
  type DuplicatePolicy,
  type DuplicateQuestionId,
  findDuplicateQuestionIds,
} from './duplicate-question-ids.js';
import { findAvqaType } from './question-types.js';
import { fillQuestion, tokenizeQuestion } from './tokenize-question.js';
import { videoIdProblem } from './video-id.js';

/**
 * What to do with a record whose question has a word, or whose answer is, outside the
 * vocabularies (the official loader would crash on a dict lookup):
 * 'error' (default) throws naming the record; 'skip' leaves the record out and counts it.
 */
export type UnknownPolicy = 'error' | 'skip';

export interface ParseAnnotationsOptions {
  /** Name used in errors and reports, usually the file path. Default 'annotations'. */
  source?: string;
  /** Default: the official 93-word / 42-answer vocabularies. */
  vocabularies?: AvqaVocabularies;
  unknown?: UnknownPolicy;
  duplicates?: DuplicatePolicy;
}

export interface SkippedRecords {
  /** Records left out because a question token is outside the question vocabulary. */
  unknownWord: number;
  /** Records left out because the answer is outside the answer vocabulary. */
  unknownAnswer: number;
  /** Their indices in the source file. */
  indices: number[];
}

/** A parsed annotation file. */
export interface AnnotationSet {
  source: string;
  /** The records kept, in file order. */
  records: AvqaRecord[];
  /** Records in the file (before skipping unknowns and applying the duplicate policy). */
  fileRecordCount: number;
  /** Every question id held by more than one record (reported whatever the policy). */
  duplicates: DuplicateQuestionId[];
  duplicatePolicy: DuplicatePolicy;
  skipped: SkippedRecords;
  /** Kept records without a question_id. */
  missingQuestionIds: number;
}

const KNOWN_KEYS = new Set([
  'video_id',
  'question_id',
  'type',
  'question_content',
  'templ_values',
  'question_deleted',
  'anser',
]);

/** Validates and tokenises a parsed MUSIC-AVQA JSON file (v1, json_update or v2.0). */
export function parseAnnotations(
  json: unknown,
  options: ParseAnnotationsOptions = {},
): AnnotationSet {
  const source = options.source ?? 'annotations';
  const vocabularies = options.vocabularies ?? OFFICIAL_VOCABULARIES;
  const unknown = options.unknown ?? 'error';
  const duplicatePolicy = options.duplicates ?? 'keep-first';
  if (!Array.isArray(json)) {
    throw new AnnotationError(
      source,
      null,
      null,
      `expected a JSON list of records, got ${describe(json)}`,
    );
  }
  const skipped: SkippedRecords = { unknownWord: 0, unknownAnswer: 0, indices: [] };
  const parsed: AvqaRecord[] = [];
  json.forEach((raw: unknown, index) => {
    const record = parseRecord(raw, index, source, vocabularies, unknown);
    if (record === 'unknown-word' || record === 'unknown-answer') {
      if (record === 'unknown-word') skipped.unknownWord += 1;
      else skipped.unknownAnswer += 1;
      skipped.indices.push(index);
    } else {
      parsed.push(record);
    }
  });
  const duplicates = findDuplicateQuestionIds(parsed);
  const records = applyDuplicatePolicy(parsed, duplicates, duplicatePolicy, source);
  return {
    source,
    records,
    fileRecordCount: json.length,
    duplicates,
    duplicatePolicy,
    skipped,
    missingQuestionIds: records.filter((record) => record.questionId === null).length,
  };
}

function parseRecord(
  raw: unknown,
  index: number,
  source: string,
  vocabularies: AvqaVocabularies,
  unknown: UnknownPolicy,
): AvqaRecord | 'unknown-word' | 'unknown-answer' {
  const fail = (field: string | null, detail: string): never => {
    throw new AnnotationError(source, index, field, detail);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(null, `expected an object, got ${describe(raw)}`);
  }
  const fields = raw as Record<string, unknown>;

  const videoId = fields.video_id;
  if (typeof videoId !== 'string')
    return fail('video_id', `expected a string, got ${describe(videoId)}`);
  const unsafe = videoIdProblem(videoId);
  if (unsafe !== null) fail('video_id', `unsafe video id: ${unsafe}`);

  const questionId = optionalInteger(fields, 'question_id', fail);
  const questionDeleted = optionalInteger(fields, 'question_deleted', fail);

  const typePair = stringList(fields.type, 'type', fail);
  if (typePair.length !== 2)
    fail('type', `expected [modality, question type], got ${JSON.stringify(typePair)}`);
  const typeInfo = findAvqaType(typePair[0] as string, typePair[1] as string);
  if (typeInfo === undefined) {
    return fail(
      'type',
      `${JSON.stringify(typePair)} is not one of the 9 MUSIC-AVQA question types`,
    );
  }

  const question = fields.question_content;
  if (typeof question !== 'string' || question.trim() === '') {
    return fail('question_content', `expected a non-empty string, got ${describe(question)}`);
  }
  const templValues = stringList(fields.templ_values, 'templ_values', fail);

  const answerField = 'anser' in fields ? 'anser' : 'answer';
  const answer = fields[answerField];
  if (typeof answer !== 'string')
    return fail('anser', `expected a string, got ${describe(answer)}`);

  let tokens: string[];
  try {
    tokens = tokenizeQuestion(question, templValues);
  } catch (error) {
    return fail('templ_values', (error as Error).message);
  }
  const { questions, answers, maxQuestionTokens } = vocabularies;
  if (tokens.length > maxQuestionTokens) {
    fail('question_content', `${tokens.length} tokens, more than the maximum ${maxQuestionTokens}`);
  }
  const unknownWord = tokens.find((token) => !questions.has(token));
  if (unknownWord !== undefined) {
    if (unknown === 'skip') return 'unknown-word';
    fail('question_content', `token "${unknownWord}" is not in the ${questions.name} vocabulary`);
  }
  const label = answers.lookup(answer);
  if (label < 0) {
    if (unknown === 'skip') return 'unknown-answer';
    fail(answerField, `answer "${answer}" is not in the ${answers.name} vocabulary`);
  }
  const tokenIds = new Int32Array(maxQuestionTokens).fill(questions.index('<pad>'));
  tokens.forEach((token, position) => {
    tokenIds[position] = questions.index(token);
  });

  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!KNOWN_KEYS.has(key) && key !== answerField) extra[key] = value;
  }
  return {
    index,
    videoId,
    questionId,
    modality: typeInfo.modality,
    questionType: typeInfo.kind,
    type: typeInfo.type,
    question,
    filledQuestion: fillQuestion(question, templValues),
    tokens,
    tokenIds,
    answer,
    label,
    templValues,
    questionDeleted,
    extra,
  };
}

/** `type` and `templ_values` hold a JSON list in a string in most files, a real list in some. */
function stringList(
  value: unknown,
  field: string,
  fail: (field: string, detail: string) => never,
): string[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      return fail(field, `expected a JSON list in a string, got ${JSON.stringify(value)}`);
    }
  }
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    return fail(field, `expected a list of strings, got ${describe(value)}`);
  }
  return list as string[];
}

function optionalInteger(
  fields: Record<string, unknown>,
  field: string,
  fail: (field: string, detail: string) => never,
): number | null {
  const value = fields[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return fail(field, `expected an integer, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
