export {
  ANSWER_VOCABULARY,
  MAX_QUESTION_TOKENS,
  PAD_TOKEN,
  QUESTION_VOCABULARY,
} from './officialVocabulary.js';
export {
  type AvqaVocabularies,
  buildVocabularies,
  decodeQuestion,
  encodeQuestion,
  OFFICIAL_VOCABULARIES,
  padTokens,
  Vocabulary,
} from './vocabulary.js';
