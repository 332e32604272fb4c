import type { AvqaRecord } from '../annotations/avqa-record.js';
import { type AvqaEvaluation, evaluatePredictions } from '../eval/evaluate.js';

/**
 * Blind baselines that show how much of a benchmark can be answered without seeing or
 * hearing anything. Both are fitted on train and scored on test with the official scorer.
 */

/** Predicts, for every question, the most frequent train answer of its type. */
export function majorityAnswerBaseline(
  train: readonly AvqaRecord[],
  test: readonly AvqaRecord[],
): AvqaEvaluation {
  const byType = mostFrequent(train, (r) => r.type);
  return evaluatePredictions(
    test,
    test.map((r) => byType.get(r.type) ?? globalMajority(train)),
  );
}

/**
 * A question-only model at its best: the most frequent train answer for the exact question
 * text (placeholders filled), else for its template, else for its type.
 */
export function questionOnlyBaseline(
  train: readonly AvqaRecord[],
  test: readonly AvqaRecord[],
): AvqaEvaluation {
  const byText = mostFrequent(train, (r) => r.filledQuestion);
  const byTemplate = mostFrequent(train, (r) => r.question);
  const byType = mostFrequent(train, (r) => r.type);
  return evaluatePredictions(
    test,
    test.map(
      (r) =>
        byText.get(r.filledQuestion) ??
        byTemplate.get(r.question) ??
        byType.get(r.type) ??
        globalMajority(train),
    ),
  );
}

/** key -> most frequent answer label (ties: the smaller label, so results are deterministic). */
function mostFrequent(
  records: readonly AvqaRecord[],
  keyOf: (r: AvqaRecord) => string,
): Map<string, number> {
  const counts = new Map<string, Map<number, number>>();
  for (const record of records) {
    const key = keyOf(record);
    const byLabel = counts.get(key) ?? new Map<number, number>();
    counts.set(key, byLabel);
    byLabel.set(record.label, (byLabel.get(record.label) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const [key, byLabel] of counts) {
    let best = -1;
    let bestCount = -1;
    for (const [label, count] of byLabel) {
      if (count > bestCount || (count === bestCount && label < best)) {
        best = label;
        bestCount = count;
      }
    }
    out.set(key, best);
  }
  return out;
}

function globalMajority(records: readonly AvqaRecord[]): number {
  return mostFrequent(records, () => '').get('') ?? 0;
}
