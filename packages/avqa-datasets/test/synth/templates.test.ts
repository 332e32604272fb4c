import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { COUNT_WORDS, INSTRUMENT_CLASSES } from '../../src/synth/instruments.js';
import { encodeQuestionType, QUESTION_TEMPLATES } from '../../src/synth/templates.js';
import { ANSWER_VOCABULARY } from '../../src/vocab/official-vocabulary.js';
import { itWithRealData, musicAvqaFile } from '../music-avqa-data.js';

type RawRecord = { type: string; question_content: string; templ_values: string; anser: string };

async function realRecords(): Promise<RawRecord[]> {
  const files = [
    'v1/json_update/avqa-val.json',
    'v1/json_update/avqa-test.json',
    'v1/json/avqa-train_fake.json',
  ];
  const lists = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(musicAvqaFile(f), 'utf8')) as RawRecord[]),
  );
  return lists.flat();
}

describe('the 33 official templates', () => {
  itWithRealData(
    'are exactly the (question_content, type) pairs of the released files',
    async () => {
      const real = new Set(
        (await realRecords()).map((r) => `${r.type}\u0000${r.question_content}`),
      );
      const ours = new Set(
        QUESTION_TEMPLATES.map((t) => `${encodeQuestionType(t.type)}\u0000${t.content}`),
      );
      expect(ours.size).toBe(33);
      expect([...ours].sort()).toEqual([...real].sort());
    },
  );

  it('have unique ids and cover the 9 types', () => {
    expect(new Set(QUESTION_TEMPLATES.map((t) => t.id)).size).toBe(33);
    expect(new Set(QUESTION_TEMPLATES.map((t) => t.type.join('/'))).size).toBe(9);
  });
});

describe('the 22 instrument classes', () => {
  itWithRealData('are the instruments among the official answers and <Object> values', async () => {
    const objectValues = new Set<string>();
    for (const r of await realRecords()) {
      const placeholders = r.question_content.match(/<[A-Za-z]+>/g) ?? [];
      const values = JSON.parse(r.templ_values) as string[];
      placeholders.forEach((p, i) => {
        if (p === '<Object>' && values[i]) objectValues.add(values[i]);
      });
    }
    expect([...objectValues].sort()).toEqual([...INSTRUMENT_CLASSES].sort());
    const nonInstruments = new Set([
      ...COUNT_WORDS,
      'more than ten',
      'yes',
      'no',
      'left',
      'right',
      'middle',
      'indoor',
      'outdoor',
      'simultaneously',
    ]);
    expect(ANSWER_VOCABULARY.filter((a) => !nonInstruments.has(a)).sort()).toEqual(
      [...INSTRUMENT_CLASSES].sort(),
    );
  });
});
