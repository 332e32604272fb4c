import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRealData, musicAvqaFile } from '../../../vitest.real-data.js';
import {
  formatComposition,
  selectRecords,
  subsetComposition,
  writeSubsetAnnotationFile,
} from '../src/index.js';

type Record = { question_id: number; type: string };

// MUSIC-AVQA's `type` field is a JSON list in a string; the dataset package reads it for real
// (musicAvqaQuestionType), this package only takes the accessor.
const questionType = (record: Record) => (JSON.parse(record.type) as string[]).join('/');

describeWithRealData('annotation subsets on the real MUSIC-AVQA v1 validation list', () => {
  let records: Record[];
  let directory: string;

  beforeAll(async () => {
    const valPath = musicAvqaFile('v1/json_update/avqa-val.json');
    records = JSON.parse(await readFile(valPath, 'utf8')) as Record[];
    directory = await mkdtemp(path.join(tmpdir(), 'key-subset-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('groups the list by the 9 question types of the accessor', () => {
    expect(questionType(records[0]!)).toBe('Audio-Visual/Existential');
    const composition = subsetComposition(records, [], questionType);
    expect(composition.types.map((row) => row.type)).toEqual([
      'Audio-Visual/Comparative',
      'Audio-Visual/Counting',
      'Audio-Visual/Existential',
      'Audio-Visual/Location',
      'Audio-Visual/Temporal',
      'Audio/Comparative',
      'Audio/Counting',
      'Visual/Counting',
      'Visual/Location',
    ]);
    expect(composition.types.reduce((sum, row) => sum + row.total, 0)).toBe(records.length);
    expect(records.length).toBe(4568);
  });

  it('writes the chosen records in list order as a parseable annotation file', async () => {
    const chosen = [4000, 3, 17, 2500, 0];
    const file = path.join(directory, 'key-subset.json');
    await writeSubsetAnnotationFile(file, records, chosen);
    const written = JSON.parse(await readFile(file, 'utf8')) as Record[];
    expect(written).toEqual([0, 3, 17, 2500, 4000].map((index) => records[index]));
    expect(await readdir(directory)).toEqual(['key-subset.json']);
  });

  it('reports the make-up of a subset per type', () => {
    const audioCounting = records.flatMap((record, index) =>
      questionType(record) === 'Audio/Counting' ? [index] : [],
    );
    const chosen = [...audioCounting.slice(0, 10), 1, 2];
    const composition = subsetComposition(records, chosen, questionType);
    const row = composition.types.find((type) => type.type === 'Audio/Counting')!;
    expect(row.selected).toBe(chosen.filter((index) => audioCounting.includes(index)).length);
    expect(row.total).toBe(audioCounting.length);
    expect(row.keptFraction).toBe(row.selected / row.total);
    expect(row.subsetShare).toBe(row.selected / chosen.length);
    expect(composition.types.reduce((sum, type) => sum + type.selected, 0)).toBe(chosen.length);
    expect(formatComposition(composition)).toContain(
      `| Audio/Counting | ${row.total} | ${row.selected} |`,
    );
  });
});

describe('annotation helpers on generic records', () => {
  it('accepts any record shape with a type accessor', () => {
    const records = [{ kind: 'a' }, { kind: 'b' }, { kind: 'a' }];
    const composition = subsetComposition(records, [2], (record) => record.kind);
    expect(composition.types).toEqual([
      { type: 'a', total: 2, selected: 1, keptFraction: 0.5, subsetShare: 1, fullShare: 2 / 3 },
      { type: 'b', total: 1, selected: 0, keptFraction: 0, subsetShare: 0, fullShare: 1 / 3 },
    ]);
    expect(selectRecords(records, [2, 0])).toEqual([records[0], records[2]]);
  });

  it("passes each record's position to the accessor, so its errors can name the record", () => {
    const typeOf = (record: { type?: string }, position: number) => {
      if (record.type === undefined) throw new TypeError(`record ${position}: field 'type'`);
      return record.type;
    };
    expect(() => subsetComposition([{ type: 'A' }, {}], [], typeOf)).toThrow(
      "record 1: field 'type'",
    );
  });

  it('rejects repeated or out-of-range subset indices', () => {
    expect(() => selectRecords(['a', 'b'], [1, 1])).toThrow('subset index 1 appears twice');
    expect(() => selectRecords(['a', 'b'], [2])).toThrow(
      'subset index 2 (position 0) is not a record index in [0, 2)',
    );
  });
});
