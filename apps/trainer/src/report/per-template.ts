import { type AvqaRecord, questionOnlyBaseline } from '@sparsify/avqa-datasets';
import type { TemplateScore } from './html-report.js';

/** A template's accuracy beside what answering from the question alone scores on it. */
export interface TemplateAccuracy {
  /** The template text as stored (`question_content`, placeholders unfilled). */
  template: string;
  /** Its official type, e.g. `Audio-Visual/Temporal`. */
  type: string;
  questions: number;
  /** 0..1 */
  accuracy: number;
  /** 0..1: the question-only baseline (fitted on train) on the same questions. */
  questionOnly: number;
}

/**
 * Accuracy per template of `predictions` (aligned with `test`) and of the question-only
 * baseline, so a reader sees which skills a model learned beyond the question prior.
 * Ordered by type, then template.
 */
export function perTemplateAccuracy(
  train: readonly AvqaRecord[],
  test: readonly AvqaRecord[],
  predictions: ArrayLike<number>,
): TemplateAccuracy[] {
  if (predictions.length !== test.length) {
    throw new Error(
      `perTemplateAccuracy: ${predictions.length} predictions for ${test.length} questions`,
    );
  }
  const groups = [...templateGroups(test)];
  const blind = questionOnlyByTemplate(train, test);
  const rows = groups.map(([template, indices], g): TemplateAccuracy => {
    const correct = indices.filter((i) => predictions[i] === (test[i] as AvqaRecord).label).length;
    const baseline = blind[g] as TemplateScore;
    return {
      template,
      type: (test[indices[0] as number] as AvqaRecord).type,
      questions: indices.length,
      accuracy: correct / indices.length,
      questionOnly: baseline.correct / baseline.total,
    };
  });
  return rows.sort((a, b) => a.type.localeCompare(b.type) || a.template.localeCompare(b.template));
}

/**
 * Question-only accuracy on the test questions of each template (placeholders unfilled), in
 * order of first appearance: the baseline fitted on all of train, scored one template at a
 * time. It answers each question from train alone, so scoring it on a template's questions
 * gives exactly its accuracy on them.
 */
export function questionOnlyByTemplate(
  train: readonly AvqaRecord[],
  test: readonly AvqaRecord[],
): TemplateScore[] {
  return [...templateGroups(test)].map(([template, indices]) => {
    const records = indices.map((i) => test[i] as AvqaRecord);
    const { correct, total } = questionOnlyBaseline(train, records).overall;
    return { template, type: records[0]?.type, correct, total };
  });
}

/** The positions of the test questions of each template, in order of first appearance. */
function templateGroups(test: readonly AvqaRecord[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  test.forEach((record, i) => {
    const list = groups.get(record.question) ?? [];
    list.push(i);
    groups.set(record.question, list);
  });
  return groups;
}

/** A plain-text table: type, template, questions, model %, question-only %, difference. */
export function formatTemplateTable(rows: readonly TemplateAccuracy[]): string {
  const percent = (v: number) => (v * 100).toFixed(1).padStart(5);
  const width = Math.min(60, Math.max(8, ...rows.map((r) => r.template.trim().length)));
  const lines = [
    `${'type'.padEnd(28)} ${'template'.padEnd(width)} ${'n'.padStart(5)} ${'model'.padStart(6)} ${'q-only'.padStart(6)} ${'diff'.padStart(6)}`,
  ];
  for (const r of rows) {
    const text = r.template.trim();
    const shown = text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
    const diff = (r.accuracy - r.questionOnly) * 100;
    lines.push(
      `${r.type.padEnd(28)} ${shown} ${String(r.questions).padStart(5)} ${percent(r.accuracy)}% ${percent(r.questionOnly)}% ${(diff >= 0 ? '+' : '') + diff.toFixed(1).padStart(5)}`,
    );
  }
  return lines.join('\n');
}

/** The same as a markdown table. */
export function templateMarkdown(rows: readonly TemplateAccuracy[]): string {
  const percent = (v: number) => (v * 100).toFixed(1);
  return [
    '| type | template | questions | accuracy % | question-only % | difference |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.type} | ${r.template.trim().replace(/\|/g, '\\|')} | ${r.questions} | ${percent(r.accuracy)} | ${percent(r.questionOnly)} | ${((r.accuracy - r.questionOnly) * 100).toFixed(1)} |`,
    ),
  ].join('\n');
}
