import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUESTION_VOCABULARY } from '../../src/vocab/official-vocabulary.js';
import {
  buildVocabularies,
  decodeQuestion,
  encodeQuestion,
  OFFICIAL_VOCABULARIES,
  padTokens,
  Vocabulary,
} from '../../src/vocab/vocabulary.js';

describe('Vocabulary', () => {
  it('looks words up in both directions and names itself on a miss', () => {
    const answers = OFFICIAL_VOCABULARIES.answers;
    expect(answers.size).toBe(42);
    expect(answers.index('yes')).toBe(7);
    expect(answers.word(7)).toBe('yes');
    expect(answers.lookup('Yes')).toBe(-1);
    expect(() => answers.index('Yes')).toThrow(
      '"Yes" is not in the answer vocabulary (42 entries)',
    );
    expect(() => answers.word(42)).toThrow(/index 42 is outside the answer vocabulary/);
  });

  it('refuses a word listed twice', () => {
    expect(() => new Vocabulary(['a', 'b', 'a'], 'test')).toThrow(
      'test vocabulary: "a" appears twice (indices 0 and 2)',
    );
  });
});

describe('encodeQuestion / decodeQuestion', () => {
  it('pads with <pad> (index 0) to 14', () => {
    const ids = encodeQuestion(['Is', 'there', 'a', 'voiceover']);
    expect(Array.from(ids)).toEqual([24, 36, 37, 38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(decodeQuestion(ids)).toEqual(padTokens(['Is', 'there', 'a', 'voiceover']));
  });

  it('round-trips any sequence of up to 14 official words', () => {
    const word = fc.constantFrom(...QUESTION_VOCABULARY.slice(1));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 14 }), (tokens) => {
        const ids = encodeQuestion(tokens);
        expect(ids).toHaveLength(14);
        expect(decodeQuestion(ids).slice(0, tokens.length)).toEqual(tokens);
        expect(Array.from(ids.subarray(tokens.length))).toEqual(
          new Array(14 - tokens.length).fill(0),
        );
      }),
    );
  });

  it('throws on unknown words and on questions longer than 14', () => {
    expect(() => encodeQuestion(['how', 'many'])).toThrow(
      '"how" is not in the question vocabulary',
    );
    expect(() => encodeQuestion(new Array(15).fill('How'))).toThrow(
      /15 tokens, more than the maximum 14/,
    );
    expect(() => padTokens(new Array(15).fill('How'))).toThrow(/cannot pad 15 tokens to 14/);
  });
});

describe('buildVocabularies', () => {
  it('orders words and answers by first occurrence after <pad>, like the official script', () => {
    const { questions, answers } = buildVocabularies([
      { tokens: ['Is', 'there', 'a', 'voiceover'], answer: 'no' },
      { tokens: ['Is', 'the', 'cello', 'playing'], answer: 'yes' },
      { tokens: ['Is', 'there', 'a', 'cello'], answer: 'no' },
    ]);
    expect(questions.words).toEqual([
      '<pad>',
      'Is',
      'there',
      'a',
      'voiceover',
      'the',
      'cello',
      'playing',
    ]);
    expect(answers.words).toEqual(['no', 'yes']);
  });
});
