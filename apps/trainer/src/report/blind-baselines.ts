import {
  type AvqaRecord,
  majorityAnswerBaseline,
  questionOnlyBaseline,
} from '@sparsify/avqa-datasets';
import type { ReportBaseline } from './html-report.js';
import { questionOnlyByTemplate } from './per-template.js';
import { accuracyColumns } from './run-results.js';

/** Overall accuracy (0..1) of answering without looking or listening. */
export interface BlindBaselines {
  majority: number;
  questionOnly: number;
}

/**
 * What answering without looking scores on a split: the majority train answer of each
 * question type, and the most frequent train answer of the exact question text. A model
 * must beat the second to show it used the video and the audio.
 */
export function blindBaselines(
  train: readonly AvqaRecord[],
  test: readonly AvqaRecord[],
): BlindBaselines {
  return {
    majority: majorityAnswerBaseline(train, test).overall.accuracy ?? 0,
    questionOnly: questionOnlyBaseline(train, test).overall.accuracy ?? 0,
  };
}

export function formatBlind(blind: BlindBaselines, split = 'the same test split'): string {
  const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
  return `Blind baselines on ${split}: majority answer per type ${percent(blind.majority)}, question-only ${percent(blind.questionOnly)} overall`;
}

/**
 * The two blind baselines per column of the official table, for the report's bars and table;
 * question-only also per question template, shown when the runs have per-template accuracy.
 */
export function blindBaselineColumns(
  train: readonly AvqaRecord[],
  test: readonly AvqaRecord[],
): ReportBaseline[] {
  return [
    {
      name: 'question-only',
      testColumns: accuracyColumns(questionOnlyBaseline(train, test)),
      perTemplate: questionOnlyByTemplate(train, test),
    },
    {
      name: 'majority per type',
      testColumns: accuracyColumns(majorityAnswerBaseline(train, test)),
    },
  ];
}
