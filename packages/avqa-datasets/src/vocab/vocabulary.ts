import {
  ANSWER_VOCABULARY,
  MAX_QUESTION_TOKENS,
  PAD_TOKEN,
  QUESTION_VOCABULARY,
} from './official-vocabulary.js';

/**
 * A word -> index lookup that fails loudly. The official loader indexes a Python dict and
 * crashes on a word it has never seen; here the caller chooses (see `UnknownPolicy`).
 */
export class Vocabulary {
  readonly words: readonly string[];
  private readonly indexOf: ReadonlyMap<string, number>;

  constructor(
    words: readonly string[],
    readonly name: string,
  ) {
    const indexOf = new Map<string, number>();
    words.forEach((word, index) => {
      if (indexOf.has(word)) {
        throw new Error(
          `${name} vocabulary: "${word}" appears twice (indices ${indexOf.get(word)} and ${index})`,
        );
      }
      indexOf.set(word, index);
    });
    this.words = Object.freeze([...words]);
    this.indexOf = indexOf;
  }

  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.indexOf.has(word);
  }

  /** The index of `word`, or -1 when it is not in the vocabulary. */
  lookup(word: string): number {
    return this.indexOf.get(word) ?? -1;
  }

  /** The index of `word`; throws naming the vocabulary when it is unknown. */
  index(word: string): number {
    const index = this.indexOf.get(word);
    if (index === undefined)
      throw new Error(`"${word}" is not in the ${this.name} vocabulary (${this.size} entries)`);
    return index;
  }

  word(index: number): string {
    const word = this.words[index];
    if (word === undefined) {
      throw new Error(
        `index ${index} is outside the ${this.name} vocabulary (${this.size} entries)`,
      );
    }
    return word;
  }
}

/** The question and answer vocabularies a model was trained with. */
export interface AvqaVocabularies {
  questions: Vocabulary;
  answers: Vocabulary;
  /** Questions are padded with `questions.word(0)`-style `<pad>` to this length. */
  maxQuestionTokens: number;
}

/** The official 93-word / 42-answer vocabularies shipped with the package. */
export const OFFICIAL_VOCABULARIES: AvqaVocabularies = Object.freeze({
  questions: new Vocabulary(QUESTION_VOCABULARY, 'question'),
  answers: new Vocabulary(ANSWER_VOCABULARY, 'answer'),
  maxQuestionTokens: MAX_QUESTION_TOKENS,
});

/**
 * Derives vocabularies from a training split exactly as the official code does: `<pad>`
 * first, then every question token and every answer in order of first occurrence. Run on
 * the official avqa-train.json this reproduces `OFFICIAL_VOCABULARIES`; use it for other
 * training sets (for example the synthetic benchmark).
 */
export function buildVocabularies(
  samples: Iterable<{ tokens: readonly string[]; answer: string }>,
  maxQuestionTokens = MAX_QUESTION_TOKENS,
): AvqaVocabularies {
  const questionWords = new Set<string>([PAD_TOKEN]);
  const answers = new Set<string>();
  for (const sample of samples) {
    for (const token of sample.tokens) questionWords.add(token);
    answers.add(sample.answer);
  }
  return {
    questions: new Vocabulary([...questionWords], 'question'),
    answers: new Vocabulary([...answers], 'answer'),
    maxQuestionTokens,
  };
}

/**
 * Question token ids padded with `<pad>` to `maxQuestionTokens`, as the official loader
 * feeds the LSTM. Throws on an unknown word and on a question longer than the maximum
 * (the official collate would fail on it too).
 */
export function encodeQuestion(
  tokens: readonly string[],
  vocabularies: AvqaVocabularies = OFFICIAL_VOCABULARIES,
): Int32Array {
  const { questions, maxQuestionTokens } = vocabularies;
  if (tokens.length > maxQuestionTokens) {
    throw new Error(
      `question has ${tokens.length} tokens, more than the maximum ${maxQuestionTokens}: "${tokens.join(' ')}"`,
    );
  }
  const padIndex = questions.index(PAD_TOKEN);
  const ids = new Int32Array(maxQuestionTokens).fill(padIndex);
  tokens.forEach((token, position) => {
    ids[position] = questions.index(token);
  });
  return ids;
}

/** The words of padded token ids, `<pad>` included. */
export function decodeQuestion(
  ids: ArrayLike<number>,
  vocabularies: AvqaVocabularies = OFFICIAL_VOCABULARIES,
): string[] {
  return Array.from(ids, (id) => vocabularies.questions.word(id));
}

/** `tokens` padded with `<pad>` to `length` (the official loader's padding). */
export function padTokens(tokens: readonly string[], length = MAX_QUESTION_TOKENS): string[] {
  if (tokens.length > length) throw new Error(`cannot pad ${tokens.length} tokens to ${length}`);
  return [...tokens, ...Array<string>(length - tokens.length).fill(PAD_TOKEN)];
}
