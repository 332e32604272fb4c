import type { ReportBaseline, ReportRun, TemplateScore } from '../src/report/html-report.js';
import type { EpochMetrics } from '../src/run/run-folder.js';

const LABELS = [
  'A Count',
  'A Comp',
  'A Avg',
  'V Count',
  'V Loc',
  'V Avg',
  'AV Exist',
  'AV Count',
  'AV Loc',
  'AV Comp',
  'AV Temp',
  'AV Avg',
  'Overall',
];

// Per-epoch shapes of the `pnpm start` run (docs/notebook): dense sees all 1,344 samples and
// 160 tokens; Sparsify masks to 20 tokens for 3 epochs, merges to 40, prunes samples.
const SPARSE_SAMPLES = [1344, 1010, 937, 918, 903, 901, 892, 1344];
const SPARSE_TOKENS = [20, 20, 20, 40, 40, 40, 40, 40];
const DENSE_SECONDS = [46.3, 37.9, 45.1, 40.4, 52.2, 47.7, 42.6, 42.9];
const SPARSE_SECONDS = [24.8, 19.4, 21.1, 21.3, 23.8, 24.4, 22.8, 35.1];
const DENSE_VAL = [33.9, 35.4, 38.5, 38.5, 38.5, 38.0, 41.7, 41.7];
const SPARSE_VAL = [30.7, 33.3, 39.6, 37.5, 39.1, 38.0, 39.6, 41.1];

function metrics(sparse: boolean): EpochMetrics[] {
  return SPARSE_SAMPLES.map((samples, epoch) => {
    const tokens = sparse ? (SPARSE_TOKENS[epoch] as number) : 160;
    return {
      epoch,
      lr: epoch < 6 ? 1e-3 : 1e-4,
      trainLoss: 3.6 - epoch * (sparse ? 0.2 : 0.25),
      trainAccuracy: 0.2 + epoch * (sparse ? 0.06 : 0.08),
      valLoss: 3.7 - epoch * 0.12,
      valAccuracy: ((sparse ? SPARSE_VAL : DENSE_VAL)[epoch] as number) / 100,
      samplesUsed: sparse ? samples : 1344,
      datasetSize: 1344,
      videoTokensKept: tokens / 2,
      audioTokensKept: tokens / 2,
      videoTokensTotal: 80,
      audioTokensTotal: 80,
      seconds: (sparse ? SPARSE_SECONDS : DENSE_SECONDS)[epoch] as number,
    };
  });
}

const columns = (values: readonly number[]) =>
  LABELS.map((label, i) => ({ label, accuracy: values[i] as number }));

/** Question templates with long texts, as the synthetic benchmark has. */
function templates(count: number, seed: number): TemplateScore[] {
  return Array.from({ length: count }, (_, i) => {
    const total = 8 + ((i * 7) % 23);
    return {
      template: `Template ${i + 1}: how many <Object> are sounding before the <Instrument> starts?`,
      type: ['Audio/Counting', 'Visual/Location', 'Audio-Visual/Temporal'][i % 3] as string,
      correct: (i * 5 + seed) % (total + 1),
      total,
    };
  });
}

/** A dense and a Sparsify run of 8 epochs and the two blind baselines, for report tests. */
export function reportFixture(options: { templates: number }): {
  runs: ReportRun[];
  baselines: ReportBaseline[];
} {
  const perTemplate = (seed: number) =>
    options.templates > 0 ? templates(options.templates, seed) : undefined;
  return {
    runs: [
      {
        name: 'dense',
        metrics: metrics(false),
        testColumns: columns([
          38.89, 54.29, 46.48, 60.87, 27.08, 43.62, 47.06, 32.61, 19.15, 51.06, 17.78, 32.88, 38.02,
        ]),
        cost: {
          trainSeconds: 355.1,
          meanTokensKept: 160,
          tokensTotal: 160,
          testTokensKept: 160,
          meanSamplesPerEpoch: 1344,
          datasetSize: 1344,
          bestEpoch: 6,
        },
        perTemplate: perTemplate(1),
      },
      {
        name: 'Sparsify',
        metrics: metrics(true),
        testColumns: columns([
          50.0, 54.29, 52.11, 39.13, 31.25, 35.11, 52.94, 34.78, 17.02, 53.19, 15.56, 33.79, 37.5,
        ]),
        cost: {
          trainSeconds: 192.7,
          meanTokensKept: 32.5,
          tokensTotal: 160,
          testTokensKept: 40,
          meanSamplesPerEpoch: 1031.1,
          datasetSize: 1344,
          bestEpoch: 7,
        },
        perTemplate: perTemplate(2),
      },
    ],
    baselines: [
      {
        name: 'question-only',
        testColumns: columns([
          36.1, 48.6, 42.3, 41.3, 12.5, 26.6, 50.0, 30.4, 17.0, 48.9, 13.3, 31.5, 34.9,
        ]),
        perTemplate: perTemplate(3),
      },
      {
        name: 'majority per type',
        testColumns: columns([
          30.6, 48.6, 39.4, 30.4, 10.4, 20.2, 50.0, 26.1, 12.8, 48.9, 11.1, 29.7, 29.4,
        ]),
      },
    ],
  };
}
