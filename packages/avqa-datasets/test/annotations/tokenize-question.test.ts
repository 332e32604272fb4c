import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fillQuestion, tokenizeQuestion } from '../../src/annotations/tokenize-question.js';

describe('tokenizeQuestion', () => {
  it('drops the last character of the last word, "?" or full-width "？"', () => {
    expect(tokenizeQuestion('Is there a voiceover?', [])).toEqual([
      'Is',
      'there',
      'a',
      'voiceover',
    ]);
    expect(tokenizeQuestion('How many sounding <Object> in the video\uff1f', ['banjo'])).toEqual([
      'How',
      'many',
      'sounding',
      'banjo',
      'in',
      'the',
      'video',
    ]);
  });

  it('strips trailing spaces first and fills placeholders in order, case kept', () => {
    expect(
      tokenizeQuestion('Are there <Object> and <Object> sound? ', ['flute', 'clarinet']),
    ).toEqual(['Are', 'there', 'flute', 'and', 'clarinet', 'sound']);
    expect(tokenizeQuestion('What is the <TH> instrument that comes in?', ['first'])).toEqual([
      'What',
      'is',
      'the',
      'first',
      'instrument',
      'that',
      'comes',
      'in',
    ]);
  });

  it('replaces a placeholder that ends the question', () => {
    expect(tokenizeQuestion('Which <Object> makes the sound <FL>?', ['guzheng', 'first'])).toEqual([
      'Which',
      'guzheng',
      'makes',
      'the',
      'sound',
      'first',
    ]);
  });

  it('has one token per space-separated word whatever the words', () => {
    const word = fc.stringMatching(/^[A-Za-z_]{1,8}$/);
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 14 }),
        fc.constantFrom('?', '\uff1f'),
        fc.constantFrom('', ' ', '  '),
        (words, mark, trailing) => {
          const tokens = tokenizeQuestion(`${words.join(' ')}${mark}${trailing}`, []);
          expect(tokens).toEqual(words);
        },
      ),
    );
  });
});

describe('fillQuestion', () => {
  it('keeps punctuation and removes trailing spaces', () => {
    expect(
      fillQuestion('Is the <Object> on the <LR> louder than the <Object> on the <LRer>? ', [
        'cello',
        'left',
        'cello',
        'right',
      ]),
    ).toBe('Is the cello on the left louder than the cello on the right?');
  });
});
