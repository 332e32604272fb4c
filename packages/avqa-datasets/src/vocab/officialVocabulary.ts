/**
 * The official MUSIC-AVQA vocabularies, in the order the official code derives them from
 * avqa-train.json (first occurrence while scanning the file). The order is the label
 * space of every published checkpoint, so it must never be re-sorted. Copied once from
 * ques_vocab.txt (which lists the 93 words twice; only the first copy is kept) and
 * ans_vocab.txt; `vocabularyFiles.test.ts` checks that these constants still equal the files.
 */

/** The padding token; index 0 of the question vocabulary. */
export const PAD_TOKEN = '<pad>';

/** Questions are padded (never truncated) to this many tokens, as in the official loader. */
export const MAX_QUESTION_TOKENS = 14;

/** The 93 question words (including `<pad>` at index 0). Case-sensitive. */
export const QUESTION_VOCABULARY: readonly string[] = Object.freeze([
  '<pad>', 'How', 'many', 'instruments', 'are', 'sounding', 'in', 'the', 'video', 'What',
  'kind', 'of', 'instrument', 'is', 'leftest', 'musical', 'it', 'did', 'not', 'sound',
  'from', 'beginning', 'to', 'end', 'Is', 'on', 'left', 'louder', 'than', 'right',
  'guzheng', 'types', 'accordion', 'always', 'playing', 'clarinet', 'there', 'a',
  'voiceover', 'this', 'cello', 'violin', 'flute', 'pipa', 'piano', 'Which', 'that',
  'sounds', 'at', 'same', 'time', 'as', 'acoustic_guitar', 'Where', 'first',
  'electric_bass', 'drum', 'more', 'rhythmic', 'ukulele', 'banjo', 'saxophone', 'trumpet',
  'erhu', 'middle', 'congas', 'entire', 'tuba', 'bagpipe', 'loudest', 'comes', 'xylophone',
  'bassoon', 'suona', 'second', 'appeared', 'performance', 'rightest', 'coming', 'third',
  'last', 'Are', 'and', 'makes', 'before', 'after', 'lowest', 'fourth', 'longer', 'fifth',
  'were', 'heard', 'throughout',
]);

/** The 42 answers; the index of an answer is its class label. */
export const ANSWER_VOCABULARY: readonly string[] = Object.freeze([
  'two', 'cello', 'congas', 'zero', 'no', 'pipa', 'six', 'yes', 'one', 'four', 'three',
  'seven', 'five', 'ukulele', 'right', 'piano', 'left', 'accordion', 'clarinet', 'guzheng',
  'more than ten', 'nine', 'indoor', 'saxophone', 'drum', 'violin', 'middle', 'outdoor',
  'bagpipe', 'bassoon', 'acoustic_guitar', 'banjo', 'electric_bass', 'ten', 'eight',
  'flute', 'simultaneously', 'trumpet', 'erhu', 'xylophone', 'tuba', 'suona',
]);
