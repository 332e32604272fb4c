import { type AvqaRecord, questionOnlyBaseline } from '@sparsify/avqa-datasets';
import fc from 'fast-check';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { Logger } from '../src/log/logger.js';
import { formatDuration, ProgressBar } from '../src/log/progress-bar.js';
import { RunEta } from '../src/log/run-eta.js';
import { blindBaselineColumns } from '../src/report/blind-baselines.js';
import { renderReport } from '../src/report/html-report.js';
import { questionOnlyByTemplate } from '../src/report/per-template.js';
import {
  barChartSpec,
  escapeXml,
  lineChartSpec,
  renderSvg,
  scatterChartSpec,
} from '../src/report/svg-charts.js';
import { isOutOfMemory } from '../src/train/training-errors.js';
import { randomSource } from './fixtures.js';
import { reportFixture } from './report-fixture.js';

interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * Every item of every data mark (role 'mark') of a single-view chart, in plot coordinates,
 * with the plot's size: what Vega itself computed for the SVG it writes.
 */
async function markBounds(spec: TopLevelSpec) {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  await view.runAsync();
  // biome-ignore lint/suspicious/noExplicitAny: Vega's scenegraph is untyped.
  const frame = (view.scenegraph() as any).root.items[0];
  const boxes: Box[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: Vega's scenegraph is untyped.
  const walk = (mark: any, dx: number, dy: number) => {
    for (const item of mark.items ?? []) {
      if (mark.marktype === 'group') {
        if (mark.role === 'scope' || mark.role === 'mark')
          for (const child of item.items ?? []) walk(child, dx + (item.x ?? 0), dy + (item.y ?? 0));
      } else if (mark.role === 'mark') {
        const b = item.bounds;
        boxes.push({ x1: b.x1 + dx, y1: b.y1 + dy, x2: b.x2 + dx, y2: b.y2 + dy });
      }
    }
  };
  for (const mark of frame.items) walk(mark, 0, 0);
  view.finalize();
  return { width: frame.width as number, height: frame.height as number, boxes };
}

/** A box sticking out of [0, width] x [0, height] by more than half a stroke. */
const outside = (b: Box, width: number, height: number) =>
  b.x1 < -1.5 || b.y1 < -1.5 || b.x2 > width + 1.5 || b.y2 > height + 1.5;

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

describe('charts (Vega-Lite)', () => {
  it('every line and dot lies inside its plot, for any data (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            series: fc.constantFrom('dense', 'Sparsify'),
            style: fc.constantFrom('train', 'val'),
            x: fc.integer({ min: 1, max: 40 }),
            y: finite,
          }),
          { minLength: 1, maxLength: 40 },
        ),
        async (points) => {
          const { width, height, boxes } = await markBounds(
            lineChartSpec({ title: 't', xTitle: 'epoch', yTitle: 'y' }, points),
          );
          expect(boxes.length).toBeGreaterThanOrEqual(points.length);
          expect(boxes.filter((b) => outside(b, width, height))).toEqual([]);
        },
      ),
      {
        numRuns: 25,
        // Found by a fresh clone's run: two values 3e-9 apart at -1e6 were drawn outside the plot.
        examples: [
          [
            [
              { series: 'dense', style: 'train', x: 1, y: -999999.9999999849 },
              { series: 'dense', style: 'train', x: 1, y: -999999.9999999878 },
            ],
          ],
        ],
      },
    );
  });

  it('every bar and point lies inside its plot, negatives included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(finite, { minLength: 1, maxLength: 13 }),
        fc.array(finite, { minLength: 1, maxLength: 13 }),
        async (a, b) => {
          const bars = [
            ...a.map((value, i) => ({ category: `type ${i}`, series: 'dense', value })),
            ...b.map((value, i) => ({ category: `type ${i}`, series: 'Sparsify', value })),
          ];
          const barChart = await markBounds(
            barChartSpec({ title: 't', xTitle: '%', yTitle: '' }, bars),
          );
          expect(barChart.boxes).toHaveLength(bars.length);
          expect(barChart.boxes.filter((x) => outside(x, barChart.width, barChart.height))).toEqual(
            [],
          );
          const scatter = await markBounds(
            scatterChartSpec(
              { title: 't', xTitle: 's', yTitle: '%' },
              a.map((x, i) => ({ series: 's', x, y: b[i % b.length] as number })),
            ),
          );
          expect(scatter.boxes.filter((x) => outside(x, scatter.width, scatter.height))).toEqual(
            [],
          );
        },
      ),
      { numRuns: 20 },
    );
  });

  it('a flat series far above another is drawn, not cut (the old report lost dense samples/epoch)', async () => {
    const points = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((x) => [
      { series: 'dense', x, y: 1344 },
      { series: 'Sparsify', x, y: x === 1 || x === 8 ? 1344 : 900 },
    ]);
    const { width, height, boxes } = await markBounds(
      lineChartSpec({ title: 'Samples', xTitle: 'epoch', yTitle: 'samples' }, points),
    );
    // A line's items are its vertices: 16 of them, and 16 dots.
    expect(boxes.length).toBe(32);
    expect(boxes.filter((b) => outside(b, width, height))).toEqual([]);
  });

  it('a log2 x scale puts each doubling one step apart, inside the plot; x <= 0 is refused', async () => {
    const frame = { title: 'Curve', xTitle: 'videos', yTitle: '%', xScale: 'log2' as const };
    const points = [480, 960, 1920, 3840].map((x, i) => ({ series: 'dense', x, y: 46 + 4 * i }));
    const { width, height, boxes } = await markBounds(lineChartSpec(frame, points));
    expect(boxes.filter((b) => outside(b, width, height))).toEqual([]);
    // The four dots (the line's own items come first): centres equally spaced in x.
    const centres = boxes.slice(-4).map((b) => (b.x1 + b.x2) / 2);
    const steps = centres.slice(1).map((c, i) => c - (centres[i] as number));
    for (const step of steps) expect(step).toBeCloseTo(steps[0] as number, 3);
    expect(steps[0]).toBeGreaterThan(0);
    const svg = await renderSvg(lineChartSpec(frame, points));
    for (const tick of ['480', '960', '1920', '3840']) expect(svg).toContain(`>${tick}<`);
    expect(() => lineChartSpec(frame, [{ series: 'a', x: 0, y: 1 }])).toThrow(/log2 x scale/);
  });

  it('renders SVG with no script, no external reference, names escaped', async () => {
    const svg = await renderSvg(
      lineChartSpec({ title: 'Loss <&>', xTitle: 'epoch', yTitle: 'loss' }, [
        { series: 'a<b>', x: 1, y: 2 },
        { series: 'a<b>', x: 2, y: Number.NaN },
      ]),
    );
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg).toContain('aria-label="Loss &#60;&#38;&#62;"');
    expect(svg).toContain('a&lt;b&gt;');
    expect(svg).not.toMatch(/<script|href="http|NaN/);
  });
});

describe('report', () => {
  it('is one self-contained page: HTML tables, every chart, blind baselines beside the runs', async () => {
    const { runs, baselines } = reportFixture({ templates: 0 });
    const html = await renderReport('Dense vs Sparsify', runs, { baselines });
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
    expect(html).not.toMatch(/<script|<link|<pre|src="|href="http|@import|url\(/);
    expect(html.match(/<table>/g)).toHaveLength(2);
    expect(html).toContain('<th scope="row">question-only (no training)</th>');
    // The time ratio against the first run, from the cost fields.
    expect(html).toContain(
      `<td>${(runs[1]!.cost!.trainSeconds / runs[0]!.cost!.trainSeconds).toFixed(2)}</td>`,
    );
    expect(html).not.toContain('per question template');
  });

  it('shows per-template accuracy beside the baseline when the runs have it', async () => {
    const { runs, baselines } = reportFixture({ templates: 5 });
    const html = await renderReport('Dense vs Sparsify', runs, { baselines });
    expect(html).toContain('aria-label="Test accuracy per question template"');
    expect(html.match(/<table>/g)).toHaveLength(3);
    const template = runs[0]!.perTemplate![2]!;
    const percent = ((template.correct / template.total) * 100).toFixed(2);
    expect(html).toContain(
      `3. ${escapeXml(template.template)}</th><td>${template.type}</td><td>${template.total}</td><td>${percent}</td>`,
    );
  });
});

describe('blind baselines per template', () => {
  it('question-only per template adds up to its overall accuracy, each template once', () => {
    // Five templates, each filled several ways: question-only falls back from the filled text to the template.
    const templated = (records: readonly AvqaRecord[]) =>
      records.map((r, i) => ({
        ...r,
        question: `template ${i % 5}`,
        filledQuestion: `template ${i % 5}, filled ${i % 3}`,
      }));
    const train = templated(randomSource('train', 80, 1).records);
    const test = templated(randomSource('test', 60, 2).records);
    const perTemplate = questionOnlyByTemplate(train, test);
    const overall = questionOnlyBaseline(train, test).overall;
    expect(perTemplate.reduce((sum, t) => sum + t.correct, 0)).toBe(overall.correct);
    expect(perTemplate.reduce((sum, t) => sum + t.total, 0)).toBe(test.length);
    expect(new Set(perTemplate.map((t) => t.template)).size).toBe(perTemplate.length);
    expect(perTemplate.length).toBeGreaterThan(1);
    const [baseline] = blindBaselineColumns(train, test);
    expect(baseline?.perTemplate).toEqual(perTemplate);
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
    expect(bar.render(24)).toMatch(/epoch 1\/2 \[#{6}\.{18}\] {2}25% 1\/4 \d+s<\d+s loss 2.000/);
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

  it('fills a terminal of any reported width; 0 or undefined columns mean 80', () => {
    const lineFor = (columns: number | undefined) => {
      const bar = new ProgressBar('dense: epoch 3/8', 168, {
        write: () => {},
        isTTY: false,
        columns: () => columns,
      });
      bar.tick(42, 'loss 2.113');
      return bar.render();
    };
    const barOf = (line: string) => /\[([#.]+)\]/.exec(line)?.[1] ?? '';
    expect(lineFor(0)).toBe(lineFor(80));
    expect(lineFor(undefined)).toBe(lineFor(80));
    expect(lineFor(Number.NaN)).toBe(lineFor(80));
    expect(lineFor(80).length).toBeLessThanOrEqual(79);
    expect(barOf(lineFor(80)).length).toBeGreaterThan(8);
    // Wide: the bar stops growing; narrow: it shrinks to its minimum (the area cuts the rest).
    expect(barOf(lineFor(300))).toHaveLength(30);
    expect(barOf(lineFor(40))).toHaveLength(8);
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 400 }), (columns) => {
        expect(lineFor(columns).length).toBeLessThanOrEqual(columns - 1);
      }),
    );
  });

  it('estimates the whole run: every epoch of every run, at the mean rate so far', () => {
    let now = 0;
    const eta = new RunEta(() => now);
    expect(eta.remaining()).toBeNaN();
    eta.plan(8);
    eta.plan(8); // two runs in lockstep
    now = 30_000;
    eta.advance(1); // one epoch of one run in 30 s
    expect(eta.fraction()).toBeCloseTo(1 / 16);
    expect(eta.remaining()).toBeCloseTo(15 * 30);
    now = 60_000;
    eta.advance(0.5);
    eta.advance(0.5);
    expect(eta.remaining()).toBeCloseTo(14 * 30);
    // A resumed run: epochs done before this process count as done but were not timed.
    let later = 0;
    const resumed = new RunEta(() => later);
    resumed.plan(8, 6);
    later = 10_000;
    resumed.advance(0.5);
    expect(resumed.remaining()).toBeCloseTo(1.5 * 20);
    expect(() => resumed.plan(2, 3)).toThrow(RangeError);
  });

  it('an epoch bar shows the time left for all planned epochs, not only its own', () => {
    const written: string[] = [];
    const logger = new Logger({ err: { write: (t) => written.push(t), isTTY: false } });
    logger.planEpochs(2);
    logger.planEpochs(2);
    const bar = logger.progress('dense: epoch 1/2', 4, { epoch: true });
    bar.tick(2);
    expect(logger.runEta.fraction()).toBeCloseTo(0.5 / 4);
    expect(written.join('')).toMatch(/dense: epoch 1\/2 \[[#.]+\] {2}50% 2\/4 \d+s<\d+s all <\d+s/);
    const validation = logger.progress('  validation', 10);
    validation.tick(10);
    expect(logger.runEta.fraction()).toBeCloseTo(0.5 / 4);
    expect(written.at(-1)).not.toContain('all <');
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
