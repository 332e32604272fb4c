import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { musicAvqaQuestionType } from '../../src/index.js';
import { describeWithRealData, musicAvqaFile } from '../music-avqa-data.js';

describeWithRealData('musicAvqaQuestionType on the real MUSIC-AVQA v1 validation list', () => {
  it('reads the 9 question types from the `type` field', async () => {
    const valPath = musicAvqaFile('v1/json_update/avqa-val.json');
    const records = JSON.parse(await readFile(valPath, 'utf8')) as unknown[];
    expect(musicAvqaQuestionType(records[0])).toBe('Audio-Visual/Existential');
    const counts = new Map<string, number>();
    records.forEach((record, i) => {
      const type = musicAvqaQuestionType(record, i);
      counts.set(type, (counts.get(type) ?? 0) + 1);
    });
    expect([...counts.keys()].sort()).toEqual([
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
    expect([...counts.values()].reduce((sum, count) => sum + count, 0)).toBe(records.length);
    expect(records.length).toBe(4568);
  });
});

describe('musicAvqaQuestionType', () => {
  it('accepts `type` as a real list and rejects anything else, naming the record', () => {
    expect(musicAvqaQuestionType({ type: '["Audio", "Counting"]' })).toBe('Audio/Counting');
    expect(musicAvqaQuestionType({ type: ['Visual', 'Location'] })).toBe('Visual/Location');
    expect(() => musicAvqaQuestionType({ type: 'Visual' }, 7)).toThrow(
      "record 7: field 'type' must be a JSON list",
    );
    expect(() => musicAvqaQuestionType({}, 1)).toThrow("record 1: field 'type'");
  });
});
