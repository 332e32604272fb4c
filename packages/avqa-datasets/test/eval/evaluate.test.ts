import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AvqaRecord } from '../../src/annotations/avqa-record.js';
import { parseAnnotations } from '../../src/annotations/parse-annotations.js';
import { AVQA_TYPES } from '../../src/annotations/question-types.js';
import { readAnnotationFile } from '../../src/annotations/read-annotation-file.js';
import { evaluatePredictions } from '../../src/eval/evaluate.js';
import { itWithRealData, musicAvqaFile } from '../music-avqa-data.js';

// One question per official template family, so each of the 9 types is present.
const QUESTIONS = [
  { type: '["Audio", "Counting"]', question_content: 'Is there a voiceover?', templ_values: '[]' },
  {
    type: '["Audio", "Comparative"]',
    question_content: 'Is the <Object> louder than the <Object>?',
    templ_values: '["guzheng", "piano"]',
  },
  {
    type: '["Visual", "Counting"]',
    question_content: 'How many instruments are sounding in the video?',
    templ_values: '[]',
  },
  {
    type: '["Visual", "Location"]',
    question_content: 'What kind of musical instrument is it?',
    templ_values: '[]',
  },
  {
    type: '["Audio-Visual", "Existential"]',
    question_content: 'Is the <Object> in the video always playing?',
    templ_values: '["flute"]',
  },
  {
    type: '["Audio-Visual", "Counting"]',
    question_content: 'How many sounding <Object> in the video?',
    templ_values: '["banjo"]',
  },
  {
    type: '["Audio-Visual", "Location"]',
    question_content: 'Where is the <FL> sounding instrument?',
    templ_values: '["first"]',
  },
  {
    type: '["Audio-Visual", "Comparative"]',
    question_content: 'Is the <Object> more rhythmic than the <Object>?',
    templ_values: '["drum", "cello"]',
  },
  {
    type: '["Audio-Visual", "Temporal"]',
    question_content: 'Which <Object> makes the sound <FL>?',
    templ_values: '["cello", "first"]',
  },
];

/** `perType[t]` questions of type t, each answered 'yes', with question ids 0, 1, ... */
function records(perType: readonly number[]): AvqaRecord[] {
  const raw = perType.flatMap((count, type) =>
    Array.from({ length: count }, () => ({
      video_id: '00000001',
      ...QUESTIONS[type],
      anser: 'yes',
    })),
  );
  return parseAnnotations(raw.map((record, questionId) => ({ ...record, question_id: questionId })))
    .records;
}

describe('evaluatePredictions', () => {
  it('pools a modality over its questions instead of averaging its types', () => {
    // Audio: 1 of 1 counting right, 0 of 3 comparative: pooled 25%, not the 50% mean.
    const all = records([1, 3, 0, 0, 0, 0, 0, 0, 0]);
    const result = evaluatePredictions(all, ['yes', 'no', 'no', 'no']);
    expect(result.byType['Audio/Counting']).toEqual({ correct: 1, total: 1, accuracy: 1 });
    expect(result.byType['Audio/Comparative']).toEqual({ correct: 0, total: 3, accuracy: 0 });
    expect(result.byModality.Audio).toEqual({ correct: 1, total: 4, accuracy: 0.25 });
    expect(result.byModality.Visual).toEqual({ correct: 0, total: 0, accuracy: null });
    expect(result.overall).toEqual({ correct: 1, total: 4, accuracy: 0.25 });
  });

  it('accepts labels and answer strings, aligned or keyed by question id', () => {
    const all = records([2, 1, 1, 1, 1, 1, 1, 1, 1]);
    const yes = 7;
    const aligned = evaluatePredictions(all, [
      yes,
      'no',
      'yes',
      'yes',
      3,
      'yes',
      yes,
      yes,
      'no',
      'yes',
    ]);
    const keyedMap = evaluatePredictions(
      all,
      new Map(
        all.map((record, position) => [
          record.questionId ?? -1,
          [yes, 'no', 'yes', 'yes', 3, 'yes', yes, yes, 'no', 'yes'][position] as number | string,
        ]),
      ),
    );
    const keyedObject = evaluatePredictions(
      all,
      Object.fromEntries(
        all.map((record, position) => [
          String(record.questionId),
          [yes, 'no', 'yes', 'yes', 3, 'yes', yes, yes, 'no', 'yes'][position] as number | string,
        ]),
      ),
    );
    expect(aligned.overall).toEqual({ correct: 7, total: 10, accuracy: 0.7 });
    expect(keyedMap).toEqual(aligned);
    expect(keyedObject).toEqual(aligned);
    expect(
      evaluatePredictions(
        all,
        Int32Array.from(all, () => yes),
      ).overall.accuracy,
    ).toBe(1);
  });

  it('reports missing predictions and counts them wrong (or throws when asked)', () => {
    const all = records([1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const result = evaluatePredictions(
      all,
      new Map([
        [0, 'yes'],
        [2, 'yes'],
      ]),
    );
    expect(result.missing).toEqual({ count: 1, recordIndices: [1], questionIds: [1] });
    expect(result.overall).toEqual({ correct: 2, total: 3, accuracy: 2 / 3 });
    expect(evaluatePredictions(all, ['yes', null, 'yes']).missing.count).toBe(1);
    expect(() => evaluatePredictions(all, { 0: 'yes' }, { onMissing: 'error' })).toThrow(
      '2 of 3 records have no prediction (first: record 1, question_id 1)',
    );
    expect(() => evaluatePredictions(all, ['yes'])).toThrow(
      /one entry per record: got 1 for 3 records/,
    );
  });

  it('counts every question once in its type, its modality and overall', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(3), { minLength: 9, maxLength: 9 }),
        fc.infiniteStream(fc.boolean()),
        (perType, rights) => {
          const all = records(perType);
          const predictions = all.map(() => (rights.next().value ? 'yes' : 'no'));
          const result = evaluatePredictions(all, predictions);
          const typeCounts = AVQA_TYPES.map((info) => result.byType[info.type]);
          expect(typeCounts.map((count) => count.total)).toEqual(perType);
          expect(typeCounts.reduce((sum, count) => sum + count.correct, 0)).toBe(
            result.overall.correct,
          );
          const modalityCorrect = Object.values(result.byModality).reduce(
            (sum, count) => sum + count.correct,
            0,
          );
          expect(modalityCorrect).toBe(result.overall.correct);
          expect(result.overall.correct).toBe(
            predictions.filter((answer) => answer === 'yes').length,
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  itWithRealData(
    'scores the always-"yes" baseline on json_update test as counted with python',
    async () => {
      const { records: test } = await readAnnotationFile(
        musicAvqaFile('v1/json_update/avqa-test.json'),
      );
      const result = evaluatePredictions(
        test,
        test.map(() => 'yes'),
      );
      expect(result.overall).toMatchObject({ correct: 2387, total: 9129 });
      expect(result.byModality.Audio).toMatchObject({ correct: 768, total: 1611 });
      expect(result.byModality.Visual).toMatchObject({ correct: 392, total: 2422 });
      expect(result.byModality['Audio-Visual']).toMatchObject({ correct: 1227, total: 5096 });
      expect(result.byType['Audio-Visual/Existential']).toMatchObject({ correct: 523, total: 988 });
      expect(
        evaluatePredictions(
          test,
          test.map((record) => record.label),
        ).overall.accuracy,
      ).toBe(1);
    },
  );
});
