/**
 * The official MUSIC-AVQA question tokenisation (GeWu-Lab/MUSIC-AVQA, dataloader_avst.py):
 *
 *   question = question_content.rstrip().split(' ')
 *   question[-1] = question[-1][:-1]          # drop '?' or the full-width '？'
 *   every word containing '<' is replaced by the next templ_values entry
 *
 * Splitting is on single spaces and case is kept, so "Is" and "is" are different words.
 * Unlike the official code, a placeholder count that does not match `templValues` is an
 * error here instead of an IndexError (too few values) or a silent leftover (too many).
 */
export function tokenizeQuestion(question: string, templValues: readonly string[]): string[] {
  const words = question.trimEnd().split(' ');
  const last = words.length - 1;
  words[last] = (words[last] as string).slice(0, -1);
  let nextValue = 0;
  const tokens = words.map((word) => {
    if (!word.includes('<')) return word;
    const value = templValues[nextValue];
    if (value === undefined) {
      throw new Error(
        `question "${question}" has more placeholders than templ_values (${templValues.length})`,
      );
    }
    nextValue += 1;
    return value;
  });
  if (nextValue !== templValues.length) {
    throw new Error(
      `question "${question}" has ${nextValue} placeholders but ${templValues.length} templ_values`,
    );
  }
  return tokens;
}

/**
 * The question as a reader sees it: placeholders (`<Object>`, `<LR>`, `<LRer>`, `<FL>`,
 * `<LL>`, `<TH>`, `<BA>`) filled in order, trailing spaces removed, punctuation kept.
 */
export function fillQuestion(question: string, templValues: readonly string[]): string {
  let nextValue = 0;
  return question.trimEnd().replace(/<[^<>\s]*>/g, (placeholder) => {
    const value = templValues[nextValue];
    nextValue += 1;
    return value ?? placeholder;
  });
}
