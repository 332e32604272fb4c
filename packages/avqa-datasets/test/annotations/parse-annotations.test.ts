import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnnotationError } from '../../src/annotations/annotation-error.js';
import { parseAnnotations } from '../../src/annotations/parse-annotations.js';
import { ANSWER_VOCABULARY } from '../../src/vocab/official-vocabulary.js';

function rawRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    video_id: '00000028',
    question_id: 7,
    type: '["Audio-Visual", "Existential"]',
    question_content: 'Is the <Object> in the video always playing?',
    templ_values: '["ukulele"]',
    question_deleted: 0,
    anser: 'yes',
    ...overrides,
  };
}

function parseOne(overrides: Record<string, unknown>) {
  return parseAnnotations([rawRecord(), rawRecord(overrides)], { source: 'val.json' });
}

describe('parseAnnotations', () => {
  it('turns a v1 record into a typed, tokenised record', () => {
    const [record] = parseAnnotations([rawRecord()]).records;
    expect(record).toMatchObject({
      index: 0,
      videoId: '00000028',
      questionId: 7,
      modality: 'Audio-Visual',
      questionType: 'Existential',
      type: 'Audio-Visual/Existential',
      filledQuestion: 'Is the ukulele in the video always playing?',
      tokens: ['Is', 'the', 'ukulele', 'in', 'the', 'video', 'always', 'playing'],
      answer: 'yes',
      label: ANSWER_VOCABULARY.indexOf('yes'),
      templValues: ['ukulele'],
      questionDeleted: 0,
      extra: {},
    });
    expect(Array.from(record?.tokenIds ?? [])).toEqual([
      24, 7, 59, 6, 7, 8, 33, 34, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('accepts real lists, a missing question_id / question_deleted and extra keys (v2.0)', () => {
    const [record] = parseAnnotations([
      {
        video_id: 'Baz-4i7soZ0_flip',
        type: ['Audio-Visual', 'Temporal'],
        question_content: 'Which <Object> makes the sound <FL>? ',
        templ_values: ['xylophone', 'last'],
        anser: 'right',
        person: 'True',
      },
    ]).records;
    expect(record).toMatchObject({
      questionId: null,
      questionDeleted: null,
      tokens: ['Which', 'xylophone', 'makes', 'the', 'sound', 'last'],
      filledQuestion: 'Which xylophone makes the sound last?',
      extra: { person: 'True' },
    });
  });

  it.each([
    [{ video_id: 17 }, 'video_id', /expected a string, got 17/],
    [{ video_id: '../etc/passwd' }, 'video_id', /could escape the media root/],
    [{ video_id: '/abs/00000028' }, 'video_id', /path separator/],
    [{ video_id: 'a\\b' }, 'video_id', /path separator/],
    [{ question_id: '7' }, 'question_id', /expected an integer/],
    [{ type: '["Audio", "Location"]' }, 'type', /not one of the 9/],
    [{ type: '["Audio"' }, 'type', /JSON list in a string/],
    [{ templ_values: '[1]' }, 'templ_values', /list of strings/],
    [{ templ_values: '[]' }, 'templ_values', /more placeholders than templ_values/],
    [{ templ_values: '["ukulele", "piano"]' }, 'templ_values', /1 placeholders but 2 templ_values/],
    [{ question_content: '' }, 'question_content', /non-empty string/],
    [{ anser: undefined }, 'anser', /missing/],
    [{ anser: 'banana' }, 'anser', /"banana" is not in the answer vocabulary/],
    [
      { question_content: 'Is the <Object> playing loudly?' },
      'question_content',
      /"loudly" is not in the question vocabulary/,
    ],
  ])('names file, record and field for %j', (overrides, field, detail) => {
    let caught: unknown;
    try {
      parseOne(overrides);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AnnotationError);
    expect(caught).toMatchObject({ file: 'val.json', recordIndex: 1, field });
    expect((caught as Error).message).toMatch(`val.json, record 1, field "${field}": `);
    expect((caught as Error).message).toMatch(detail);
  });

  it('rejects a file that is not a list', () => {
    expect(() => parseAnnotations({ records: [] }, { source: 'x.json' })).toThrow(
      /x.json: expected a JSON list/,
    );
  });

  it('rejects questions longer than the maximum', () => {
    const long = `${'How many '.repeat(8).trim()}?`;
    expect(() => parseOne({ question_content: long, templ_values: '[]' })).toThrow(
      /16 tokens, more than the maximum 14/,
    );
  });

  it("skips unknown words and answers with 'skip' and counts them", () => {
    const set = parseAnnotations(
      [
        rawRecord(),
        rawRecord({ anser: 'banana' }),
        rawRecord({ question_content: 'Is it loud?', templ_values: '[]' }),
        rawRecord({ question_id: 8 }),
      ],
      { unknown: 'skip' },
    );
    expect(set.records.map((record) => record.index)).toEqual([0, 3]);
    expect(set.skipped).toEqual({ unknownWord: 1, unknownAnswer: 1, indices: [1, 2] });
    expect(set.fileRecordCount).toBe(4);
  });

  it('reports duplicates and applies each policy', () => {
    const raw = [
      rawRecord(),
      rawRecord({ question_id: 9 }),
      rawRecord({ anser: 'no' }),
      rawRecord({ question_id: undefined }),
    ];
    const kept = (policy: 'keep-first' | 'keep-all' | 'drop') =>
      parseAnnotations(raw, { duplicates: policy }).records.map((record) => record.index);
    expect(kept('keep-first')).toEqual([0, 1, 3]);
    expect(kept('keep-all')).toEqual([0, 1, 2, 3]);
    expect(kept('drop')).toEqual([1, 3]);
    expect(parseAnnotations(raw).duplicates).toEqual([
      { questionId: 7, indices: [0, 2], conflictingAnswers: true },
    ]);
    expect(() => parseAnnotations(raw, { duplicates: 'error', source: 'f.json' })).toThrow(
      /f.json: 1 question ids occur/,
    );
  });

  it('never invents a question id', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 20 }), (hasId) => {
        const raw = hasId.map((withId, index) =>
          rawRecord({ question_id: withId ? index : undefined }),
        );
        const set = parseAnnotations(raw);
        expect(set.records.map((record) => record.questionId)).toEqual(
          hasId.map((withId, index) => (withId ? index : null)),
        );
        expect(set.missingQuestionIds).toBe(hasId.filter((withId) => !withId).length);
      }),
    );
  });
});
