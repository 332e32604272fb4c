import { describe, expect, it } from 'vitest';
import { applyDuplicatePolicy } from '../../src/annotations/duplicate-question-ids.js';
import type { AnnotationSet } from '../../src/annotations/parse-annotations.js';
import { AVQA_TYPES, type AvqaType } from '../../src/annotations/question-types.js';
import { readAnnotationFile } from '../../src/annotations/read-annotation-file.js';
import { ANSWER_VOCABULARY } from '../../src/vocab/official-vocabulary.js';
import { describeWithRealData, musicAvqaFile } from '../music-avqa-data.js';

// Each file is parsed once with every copy kept; the policies are applied to that.
const keepAllSets = new Map<string, Promise<AnnotationSet>>();
function readKeepAll(path: string): Promise<AnnotationSet> {
  let set = keepAllSets.get(path);
  if (set === undefined) {
    set = readAnnotationFile(musicAvqaFile(path), { duplicates: 'keep-all' });
    keepAllSets.set(path, set);
  }
  return set;
}

// Counted independently with python3 over the JSON files (json.load, type via json.loads).
// Per type in the paper's column order: A-Count, A-Comp, V-Count, V-Loc, AV-Exist, AV-Count, AV-Loc, AV-Comp, AV-Temp.
const FILES: {
  path: string;
  records: number;
  perType: number[];
  duplicates: number;
  answers: number;
}[] = [
  {
    path: 'v1/json/avqa-val.json',
    records: 4595,
    perType: [515, 299, 600, 614, 499, 635, 462, 557, 414],
    duplicates: 27,
    answers: 41,
  },
  {
    path: 'v1/json/avqa-test.json',
    records: 9185,
    perType: [1022, 601, 1199, 1228, 995, 1274, 927, 1115, 824],
    duplicates: 55,
    answers: 41,
  },
  {
    path: 'v1/json/avqa-train_fake.json',
    records: 6233,
    perType: [442, 1250, 442, 713, 356, 1136, 749, 494, 651],
    duplicates: 56,
    answers: 37,
  },
  {
    path: 'v1/json/avqa-val_real.json',
    records: 3698,
    perType: [449, 123, 536, 510, 449, 472, 353, 486, 320],
    duplicates: 17,
    answers: 41,
  },
  {
    path: 'v1/json/avqa-val_fake.json',
    records: 897,
    perType: [66, 176, 64, 104, 50, 163, 109, 71, 94],
    duplicates: 10,
    answers: 34,
  },
  {
    path: 'v1/json/avqa-test_real.json',
    records: 7402,
    perType: [894, 247, 1072, 1024, 894, 949, 712, 972, 638],
    duplicates: 37,
    answers: 41,
  },
  {
    path: 'v1/json/avqa-test_fake.json',
    records: 1783,
    perType: [128, 354, 127, 204, 101, 325, 215, 143, 186],
    duplicates: 18,
    answers: 36,
  },
  {
    path: 'v1/json_update/avqa-val.json',
    records: 4568,
    perType: [511, 295, 600, 613, 495, 633, 461, 549, 411],
    duplicates: 0,
    answers: 41,
  },
  {
    path: 'v1/json_update/avqa-test.json',
    records: 9129,
    perType: [1017, 594, 1197, 1225, 988, 1265, 920, 1101, 822],
    duplicates: 0,
    answers: 41,
  },
  {
    path: 'v2/test_balance.json',
    records: 10819,
    perType: [1382, 643, 1505, 1338, 1223, 1740, 920, 1101, 967],
    duplicates: 0,
    answers: 42,
  },
  {
    path: 'v2/test_bias.json',
    records: 9119,
    perType: [1022, 607, 1222, 1230, 901, 1292, 920, 1101, 824],
    duplicates: 0,
    answers: 42,
  },
  {
    path: 'related/music_avqa_val.json',
    records: 4571,
    perType: [516, 312, 648, 600, 512, 617, 451, 489, 426],
    duplicates: 0,
    answers: 40,
  },
  {
    path: 'related/music_avqa_test.json',
    records: 9125,
    perType: [1027, 555, 1228, 1234, 994, 1255, 883, 1115, 834],
    duplicates: 0,
    answers: 41,
  },
];

describeWithRealData('the released MUSIC-AVQA annotation files', () => {
  describe.each(FILES)('$path', ({ path, records, perType, duplicates, answers }) => {
    it('parses every record with the official vocabularies, counts per type and duplicates', async () => {
      const set = await readKeepAll(path);
      expect(set.fileRecordCount).toBe(records);
      expect(set.records).toHaveLength(records);
      expect(set.skipped.indices).toEqual([]);
      const counts = new Map<AvqaType, number>();
      for (const record of set.records) counts.set(record.type, (counts.get(record.type) ?? 0) + 1);
      expect(AVQA_TYPES.map((info) => counts.get(info.type) ?? 0)).toEqual(perType);
      expect(set.duplicates).toHaveLength(duplicates);
      // Every duplicated id in the original v1 files occurs exactly twice with two different answers.
      for (const duplicate of set.duplicates) {
        expect(duplicate.indices).toHaveLength(2);
        expect(duplicate.conflictingAnswers).toBe(true);
      }
      expect(new Set(set.records.map((record) => record.answer)).size).toBe(answers);
      // Aggregate first: one expect per record would dominate the run time.
      const lengths = set.records.map((record) => record.tokens.length);
      expect(Math.min(...lengths)).toBe(4);
      expect(Math.max(...lengths)).toBe(14);
      expect(set.records.filter((record) => record.tokenIds.length !== 14)).toEqual([]);
      expect(
        set.records.filter((record) => ANSWER_VOCABULARY[record.label] !== record.answer),
      ).toEqual([]);
    });

    it('keeps the first copy of each duplicated question id under keep-first', async () => {
      const set = await readKeepAll(path);
      const kept = applyDuplicatePolicy(set.records, set.duplicates, 'keep-first', path);
      expect(kept).toHaveLength(records - duplicates);
      const ids = kept.map((record) => record.questionId).filter((id) => id !== null);
      expect(new Set(ids).size).toBe(ids.length);
      const keptIndices = new Set(kept.map((record) => record.index));
      for (const duplicate of set.duplicates) {
        expect(duplicate.indices.map((index) => keptIndices.has(index))).toEqual([true, false]);
      }
    });
  });

  describe('quirks of the real files', () => {
    it('reads the full-width question mark and fills placeholders (v1 val record 3)', async () => {
      const { records } = await readKeepAll('v1/json/avqa-val.json');
      const record = records[3];
      expect(record?.question).toBe('How many sounding <Object> in the video\uff1f');
      expect(record?.tokens).toEqual(['How', 'many', 'sounding', 'banjo', 'in', 'the', 'video']);
      expect(record?.filledQuestion).toBe('How many sounding banjo in the video\uff1f');
      expect(record).toMatchObject({
        videoId: '00000132',
        questionId: 31,
        modality: 'Audio-Visual',
        questionType: 'Counting',
        answer: 'one',
        label: 8,
      });
    });

    it('keeps duplicate copies apart: v1 val question 291 is first "yes" then "no"', async () => {
      const keepAll = await readKeepAll('v1/json/avqa-val.json');
      expect(
        keepAll.records
          .filter((record) => record.questionId === 291)
          .map((record) => record.answer),
      ).toEqual(['yes', 'no']);
      const byDefault = await readAnnotationFile(musicAvqaFile('v1/json/avqa-val.json'));
      expect(byDefault.duplicatePolicy).toBe('keep-first');
      expect(
        byDefault.records
          .filter((record) => record.questionId === 291)
          .map((record) => record.answer),
      ).toEqual(['yes']);
      expect(byDefault.duplicates).toHaveLength(27);
      const dropped = applyDuplicatePolicy(keepAll.records, keepAll.duplicates, 'drop', 'val');
      expect(dropped).toHaveLength(4595 - 2 * 27);
      await expect(
        readAnnotationFile(musicAvqaFile('v1/json/avqa-val.json'), { duplicates: 'error' }),
      ).rejects.toThrow(
        /27 question ids occur more than once \(first: question_id 291 at records 26, 27\)/,
      );
    });

    it('parses every v2.0 variant: missing ids, real-list templ_values, extra keys, person, flipped and #0n videos', async () => {
      const balance = await readKeepAll('v2/test_balance.json');
      const bias = await readKeepAll('v2/test_bias.json');
      expect(balance.records).toHaveLength(10819);
      expect(bias.records).toHaveLength(9119);
      expect(balance.missingQuestionIds).toBe(1724);
      expect(bias.missingQuestionIds).toBe(600);
      expect(balance.records.filter((record) => record.questionDeleted === null)).toHaveLength(544);
      expect(bias.records.filter((record) => record.questionDeleted === null)).toHaveLength(131);
      const withUnmatchedAudio = balance.records.filter(
        (record) => 'unmatch_audio' in record.extra,
      );
      expect(withUnmatchedAudio).toHaveLength(226);
      expect(bias.records.filter((record) => 'unmatch_audio' in record.extra)).toHaveLength(29);
      expect(balance.records[104]?.extra).toEqual({
        unmatch_audio: '00008531',
        audio_instrument: 'pipa',
        video_instrument: 'trumpet',
      });
      expect(balance.records[104]).toMatchObject({
        videoId: 'sa00006547',
        questionId: null,
        templValues: [],
        answer: 'no',
      });
      expect(balance.records.filter((record) => record.extra.person === 'True')).toHaveLength(6);
      expect(bias.records.filter((record) => record.extra.person === 'True')).toHaveLength(2);
      expect(balance.records.filter((record) => record.videoId.endsWith('_flip'))).toHaveLength(69);
      expect(
        balance.records
          .filter((record) => record.videoId.includes('_#'))
          .map((record) => record.videoId),
      ).toEqual(['6cjIJVzP6eI_#03', '6cjIJVzP6eI_#05_flip', '6cjIJVzP6eI_#04', '6cjIJVzP6eI_#05']);
      // The v2.0 test sets use every one of the 42 official answers.
      expect(new Set(balance.records.map((record) => record.answer))).toEqual(
        new Set(ANSWER_VOCABULARY),
      );
    });

    it('reproduces the official token length histogram of v1 val (no 12-token template exists)', async () => {
      const { records } = await readKeepAll('v1/json/avqa-val.json');
      const histogram: Record<number, number> = {};
      for (const record of records)
        histogram[record.tokens.length] = (histogram[record.tokens.length] ?? 0) + 1;
      expect(histogram).toEqual({
        4: 372,
        5: 279,
        6: 342,
        7: 532,
        8: 1066,
        9: 779,
        10: 180,
        11: 162,
        13: 476,
        14: 407,
      });
    });
  });
});
