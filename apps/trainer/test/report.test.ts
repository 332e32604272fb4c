import { describe, expect, it } from 'vitest';
import { formatDuration, ProgressBar } from '../src/log/progress-bar.js';
import { renderReport } from '../src/report/html-report.js';
import { barChart, lineChart, niceTicks } from '../src/report/svg-charts.js';
import type { EpochMetrics } from '../src/run/run-folder.js';
import { isOutOfMemory } from '../src/train/training-errors.js';

const epoch = (e: number, seconds: number): EpochMetrics => ({
  epoch: e,
  lr: 1e-3,
  trainLoss: 3 - e,
  trainAccuracy: 0.2 + e / 10,
  valLoss: 3.1 - e,
  valAccuracy: 0.25 + e / 10,
  samplesUsed: 100 - e * 10,
  datasetSize: 100,
  videoTokensKept: 40,
  audioTokensKept: 40,
  videoTokensTotal: 80,
  audioTokensTotal: 80,
  seconds,
});

describe('report', () => {
  it('draws one polyline per series and escapes names', () => {
    const svg = lineChart('Loss', 'epoch', 'loss', [
      {
        name: 'a<b>',
        points: [
          [1, 2],
          [2, 1],
        ],
      },
      {
        name: 'c',
        points: [
          [1, 3],
          [2, Number.NaN],
        ],
      },
    ]);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('a&#60;b&#62;');
    expect(svg).not.toContain('NaN');
  });

  it('draws one bar per run and category', () => {
    const svg = barChart(
      'Acc',
      '%',
      ['A Count', 'V Loc'],
      [
        { name: 'dense', values: [50, 40] },
        { name: 'sparse', values: [55, 35] },
      ],
    );
    expect(svg.match(/<rect[^>]*><title>/g)).toHaveLength(4);
  });

  it('ticks are round and cover the range', () => {
    const ticks = niceTicks(0.13, 0.87);
    expect(ticks[0]).toBeGreaterThanOrEqual(0.13);
    expect(ticks.at(-1)).toBeLessThanOrEqual(0.87);
    expect(ticks.every((t) => Number.isInteger(t * 10) || Number.isInteger(t * 100))).toBe(true);
  });

  it('a report of two runs is one self-contained page with every chart', () => {
    const html = renderReport('Dense vs Sparsify', [
      {
        name: 'dense',
        metrics: [epoch(0, 10), epoch(1, 10)],
        testColumns: [{ label: 'A Count', accuracy: 50 }],
      },
      {
        name: 'Sparsify',
        metrics: [epoch(0, 6), epoch(1, 5)],
        testColumns: [{ label: 'A Count', accuracy: 52 }],
      },
    ]);
    for (const title of [
      'Loss',
      'Accuracy',
      'Test accuracy per question type',
      'Tokens kept per sample',
      'Time per epoch',
      'Samples used per epoch',
    ]) {
      expect(html).toContain(`aria-label="${title}"`);
    }
    expect(html).not.toMatch(/<script|<link|src="/);
  });
});

describe('progress', () => {
  it('formats durations', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(Number.NaN)).toBe('--');
  });

  it('shows count, percentage and an ETA; redraws in place on a terminal only', () => {
    const written: string[] = [];
    const bar = new ProgressBar('epoch 1/2', 4, { write: (t) => written.push(t), isTTY: true });
    bar.tick(1, 'loss 2.000');
    expect(bar.render()).toMatch(/epoch 1\/2 \[#{6}\.{18}\] {2}25% 1\/4 \d+s<\d+s loss 2.000/);
    expect(written[0]?.startsWith('\r')).toBe(true);
    const logged: string[] = [];
    const quiet = new ProgressBar('x', 3, { write: (t) => logged.push(t), isTTY: false });
    quiet.tick();
    quiet.tick();
    quiet.tick();
    quiet.finish();
    // First tick and the last: a log file gets no line per step.
    expect(logged).toHaveLength(2);
    expect(logged.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });
});

describe('errors', () => {
  it('recognises out-of-memory failures of the backends', () => {
    expect(isOutOfMemory(new RangeError('WebAssembly.Memory(): could not allocate memory'))).toBe(
      true,
    );
    expect(isOutOfMemory(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemory(new Error('loss is NaN'))).toBe(false);
  });
});
