/**
 * MUSIC-AVQA's question type of a raw annotation record, as one string: the `type` field is
 * a string holding a JSON list such as "[\"Audio-Visual\", \"Temporal\"]" (a real list is
 * accepted too); the parts are joined by '/'. Takes `unknown` so any raw record (e.g. the
 * list a key-subset file is cut from) can be typed without parsing the whole annotation.
 */
export function musicAvqaQuestionType(record: unknown, position = 0): string {
  const field = (record as { type?: unknown } | null)?.type;
  let parts: unknown = field;
  if (typeof field === 'string') {
    try {
      parts = JSON.parse(field);
    } catch {
      parts = undefined;
    }
  }
  if (
    !Array.isArray(parts) ||
    parts.length === 0 ||
    !parts.every((part) => typeof part === 'string')
  ) {
    throw new TypeError(
      `record ${position}: field 'type' must be a JSON list of strings like "[\\"Audio\\", \\"Counting\\"]", got ${JSON.stringify(field)}`,
    );
  }
  return parts.join('/');
}
