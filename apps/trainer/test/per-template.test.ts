import type { AvqaRecord } from '@sparsify/avqa-datasets';
import { describe, expect, it } from 'vitest';
import { formatTemplateTable, perTemplateAccuracy } from '../src/report/per-template.js';

function record(question: string, filled: string, label: number, type = 'Audio/Counting') {
  const [modality, questionType] = type.split('/');
  return {
    question,
    filledQuestion: filled,
    label,
    type,
    modality,
    questionType,
  } as unknown as AvqaRecord;
}

describe('perTemplateAccuracy', () => {
  it("scores the model and the question-only baseline on each template's questions", () => {
    const train = [
      record('How many <Object>?', 'How many drums?', 1),
      record('How many <Object>?', 'How many drums?', 1),
      record('Is <Object> left?', 'Is drum left?', 0, 'Visual/Location'),
    ];
    const test = [
      record('How many <Object>?', 'How many drums?', 1),
      record('How many <Object>?', 'How many drums?', 2),
      record('Is <Object> left?', 'Is drum left?', 1, 'Visual/Location'),
      record('Is <Object> left?', 'Is flute left?', 0, 'Visual/Location'),
    ];
    const rows = perTemplateAccuracy(train, test, [2, 2, 1, 1]);
    expect(rows.map((r) => [r.template, r.type, r.questions])).toEqual([
      ['How many <Object>?', 'Audio/Counting', 2],
      ['Is <Object> left?', 'Visual/Location', 2],
    ]);
    // Model: 1 of 2 on each. Question-only: answers 1 to "How many drums?" (1 of 2 right);
    // answers 0 to both location questions (the exact text, then the template): 1 of 2.
    expect(rows.map((r) => [r.accuracy, r.questionOnly])).toEqual([
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    expect(formatTemplateTable(rows)).toContain('Visual/Location');
    expect(() => perTemplateAccuracy(train, test, [1])).toThrow(/1 predictions for 4/);
  });
});
