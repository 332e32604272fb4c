import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { ANSWER_VOCABULARY, QUESTION_VOCABULARY } from '../../src/vocab/official-vocabulary.js';
import { describeWithRealData, musicAvqaFile } from '../music-avqa-data.js';

// The shipped constants were copied once from these files; this keeps them honest.
async function lines(relativePath: string): Promise<string[]> {
  const text = await readFile(musicAvqaFile(relativePath), 'utf8');
  return text.split('\n').filter((line, index, all) => !(line === '' && index === all.length - 1));
}

describeWithRealData('shipped vocabularies equal the official train-order files', () => {
  it('question vocabulary: 93 words, listed twice in ques_vocab.txt', async () => {
    const words = await lines('vocab/ques_vocab.txt');
    expect(words).toHaveLength(2 * 93);
    expect(words.slice(0, 93)).toEqual(QUESTION_VOCABULARY);
    expect(words.slice(93)).toEqual(QUESTION_VOCABULARY);
    expect(QUESTION_VOCABULARY[0]).toBe('<pad>');
  });

  it('answer vocabulary: 42 answers, index = label', async () => {
    expect(await lines('vocab/ans_vocab.txt')).toEqual(ANSWER_VOCABULARY);
    expect(ANSWER_VOCABULARY).toHaveLength(42);
  });
});
