/**
 * Charts as inline SVG, drawn by Vega-Lite (compiled to Vega, rendered headless with the
 * SVG string renderer: no canvas, no browser, no script in the output). Scales come from the
 * data, so every mark lies inside its plot; legends sit below the plot, never over it.
 */
import type { TopLevelSpec } from 'vega-lite';

/**
 * Vega and Vega-Lite, loaded on first use: both are ES modules with top-level await, which
 * `require()` cannot load, so importing them statically would break this package's CJS build
 * for every user, not only those who draw a report.
 */
let vegaModules: Promise<[typeof import('vega'), typeof import('vega-lite')]> | null = null;
function loadVega() {
  vegaModules ??= Promise.all([import('vega'), import('vega-lite')]);
  return vegaModules;
}

/** Size and titles of one chart. */
export interface ChartFrame {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Plot width in pixels (axes and legend come on top). */
  width?: number;
  /** Plot height in pixels; bar charts size it from their categories when absent. */
  height?: number;
  /**
   * Line charts: 'log2' draws x on a base-2 log scale with a tick at each x of the data, for
   * quantities that double (training videos); every x must then be > 0.
   */
  xScale?: 'linear' | 'log2';
}

/** One point of a line; points sharing `series` and `style` form one line. */
export interface LinePoint {
  series: string;
  /** A second grouping drawn as the dash pattern, e.g. 'train' and 'val'. */
  style?: string;
  x: number;
  y: number;
}

/** One bar: `category` is its row, `series` its colour within the row. */
export interface Bar {
  category: string;
  series: string;
  value: number;
}

/** One point of a scatter chart. */
export interface ScatterPoint {
  series: string;
  x: number;
  y: number;
}

/** Colours by series name; series not named take the default palette in order. */
export type SeriesColors = Readonly<Record<string, string>>;

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
/** Pixels kept free at each end of a continuous scale, so dots at the extremes stay inside. */
const EDGE = 8;

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif',
  title: { fontSize: 14, anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, labelOverlap: true, grid: true },
  legend: {
    orient: 'bottom',
    direction: 'horizontal',
    labelFontSize: 11,
    titleFontSize: 11,
    columns: 3,
    symbolType: 'stroke',
    // No limit: without a canvas Vega estimates text widths generously and would cut names.
    labelLimit: 0,
  },
  view: { stroke: '#888' },
} as const;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A value as drawn: magnitudes below 1e-100 become 0, because d3's tick generator cannot
 * step through a range of subnormal width (Vega then fails to draw the axis at all).
 */
function drawn(value: number): number {
  return Math.abs(value) < 1e-100 ? 0 : value;
}

/**
 * An explicit domain for data flatter than a float scale can place: at y = -1e6 two values
 * 3e-9 apart made Vega's pixel positions pure rounding error, outside the plot. Widened to at
 * least a millionth of the values' magnitude; wider data keep Vega's own domain.
 */
function resolvableDomain(values: readonly number[]): { domain?: [number, number] } {
  if (values.length === 0) return {};
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const minSpread = 1e-6 * Math.max(1, Math.abs(lo), Math.abs(hi));
  if (hi - lo >= minSpread) return {};
  const mid = lo + (hi - lo) / 2;
  return { domain: [mid - minSpread, mid + minSpread] };
}

function colorScale(names: readonly string[], colors: SeriesColors = {}) {
  let next = 0;
  return {
    domain: [...names],
    range: names.map((name) => colors[name] ?? PALETTE[next++ % PALETTE.length]),
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Lines with a dot per point: colour by series, dash by style. */
export function lineChartSpec(
  frame: ChartFrame,
  points: readonly LinePoint[],
  colors?: SeriesColors,
): TopLevelSpec {
  const values = points
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .map((p) => ({ ...p, x: drawn(p.x), y: drawn(p.y) }));
  const styles = unique(values.map((p) => p.style ?? ''));
  const withStyle = styles.length > 1 || styles[0] !== '';
  const series = unique(values.map((p) => p.series));
  const integerX = values.every((p) => Number.isInteger(p.x));
  const logX = frame.xScale === 'log2';
  if (logX && values.some((p) => p.x <= 0))
    throw new Error(`lineChartSpec "${frame.title}": a log2 x scale needs every x > 0`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: frame.title,
    title: frame.title,
    width: frame.width ?? 420,
    height: frame.height ?? 220,
    data: { values: values.map((p) => ({ ...p, style: p.style ?? '' })) },
    mark: { type: 'line', point: { size: 28, filled: true }, strokeWidth: 2 },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: frame.xTitle,
        scale: logX
          ? { type: 'log', base: 2, padding: EDGE }
          : {
              zero: false,
              nice: !integerX,
              padding: EDGE,
              ...resolvableDomain(values.map((p) => p.x)),
            },
        axis: logX
          ? { values: [...new Set(values.map((p) => p.x))].sort((a, b) => a - b), format: 'd' }
          : integerX
            ? { tickMinStep: 1, format: 'd' }
            : {},
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: frame.yTitle,
        scale: { zero: false, padding: EDGE, ...resolvableDomain(values.map((p) => p.y)) },
      },
      color: { field: 'series', type: 'nominal', title: null, scale: colorScale(series, colors) },
      ...(withStyle
        ? {
            strokeDash: {
              field: 'style',
              type: 'nominal',
              title: null,
              scale: { domain: styles, range: styles.map((_, i) => (i === 0 ? [1, 0] : [5, 3])) },
              // The dash legend has no colour of its own: draw its samples in grey.
              legend: {
                symbolSize: 400,
                encode: {
                  symbols: { update: { stroke: { value: '#555' }, strokeWidth: { value: 2 } } },
                },
              },
            },
          }
        : {}),
      detail: { field: 'style' },
      tooltip: [{ field: 'series' }, { field: 'style' }, { field: 'x' }, { field: 'y' }],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * Grouped horizontal bars: one row per category (in the order given), one bar per series
 * within it. Rows keep each category label on its own line, so labels never collide.
 */
export function barChartSpec(
  frame: ChartFrame,
  bars: readonly Bar[],
  colors?: SeriesColors,
): TopLevelSpec {
  const values = bars
    .filter((b) => Number.isFinite(b.value))
    .map((b) => ({ ...b, value: drawn(b.value) }));
  const categories = unique(bars.map((b) => b.category));
  const series = unique(bars.map((b) => b.series));
  const rowHeight = Math.max(18, series.length * 6 + 6);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: frame.title,
    title: frame.title,
    width: frame.width ?? 420,
    height: frame.height ?? Math.max(60, categories.length * rowHeight),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: {
        field: 'category',
        type: 'nominal',
        title: frame.yTitle || null,
        sort: categories,
        scale: { paddingInner: 0.25, paddingOuter: 0.15 },
        axis: { grid: false, labelLimit: 220 },
      },
      yOffset: { field: 'series', type: 'nominal', sort: series },
      x: {
        field: 'value',
        type: 'quantitative',
        title: frame.xTitle,
        scale: { nice: true },
      },
      color: { field: 'series', type: 'nominal', title: null, scale: colorScale(series, colors) },
      tooltip: [{ field: 'series' }, { field: 'category' }, { field: 'value', format: '.2f' }],
    },
    config: { ...CONFIG, legend: { ...CONFIG.legend, symbolType: 'square' } },
  } as TopLevelSpec;
}

/** A horizontal reference line across a chart, labelled at its right end. */
export interface ReferenceLine {
  label: string;
  y: number;
}

/**
 * Dots, one per point, coloured by series (e.g. accuracy against training time per seed),
 * with optional reference lines (e.g. a blind baseline).
 */
export function scatterChartSpec(
  frame: ChartFrame,
  points: readonly ScatterPoint[],
  colors?: SeriesColors,
  references: readonly ReferenceLine[] = [],
): TopLevelSpec {
  const values = points
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .map((p) => ({ ...p, x: drawn(p.x), y: drawn(p.y) }));
  const series = unique(values.map((p) => p.series));
  const lines = references.filter((r) => Number.isFinite(r.y));
  const y = {
    field: 'y',
    type: 'quantitative',
    title: frame.yTitle,
    scale: {
      zero: false,
      padding: EDGE,
      ...resolvableDomain([...values.map((p) => p.y), ...lines.map((r) => r.y)]),
    },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: frame.title,
    title: frame.title,
    width: frame.width ?? 420,
    height: frame.height ?? 240,
    layer: [
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 50, opacity: 0.85 },
        encoding: {
          x: {
            field: 'x',
            type: 'quantitative',
            title: frame.xTitle,
            scale: { zero: false, padding: EDGE, ...resolvableDomain(values.map((p) => p.x)) },
          },
          y,
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: colorScale(series, colors),
          },
          shape: { field: 'series', type: 'nominal', title: null },
          tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'y' }],
        },
      },
      ...(lines.length > 0
        ? [
            {
              data: { values: lines },
              mark: { type: 'rule', color: '#777', strokeDash: [5, 3] },
              encoding: { y },
            },
            {
              data: { values: lines },
              mark: {
                type: 'text',
                align: 'right',
                baseline: 'bottom',
                dy: -3,
                color: '#555',
                fontSize: 11,
              },
              encoding: { y, x: { value: { expr: 'width - 4' } }, text: { field: 'label' } },
            },
          ]
        : []),
    ],
    config: { ...CONFIG, legend: { ...CONFIG.legend, symbolType: 'circle' } },
  } as TopLevelSpec;
}

/** The SVG markup of a Vega-Lite spec (no script, no external reference). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const title = typeof spec.title === 'string' ? spec.title : '';
  const [{ Error: ERROR_LEVEL, logger, parse, View }, { compile }] = await loadVega();
  const errors: string[] = [];
  // Vega logs a failed dataflow step and goes on; the chart would then be incomplete.
  const log = logger(ERROR_LEVEL);
  log.error = (...args: readonly unknown[]) => {
    errors.push(args.map(String).join(' '));
    return log;
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none', logger: log });
  try {
    const svg = await view.toSVG().catch((error: unknown) => {
      throw new Error(`chart "${title}" could not be drawn: ${errors[0] ?? String(error)}`);
    });
    if (errors.length > 0) throw new Error(`chart "${title}" could not be drawn: ${errors[0]}`);
    // The chart's title as its accessible name, for screen readers and for finding it.
    return svg.replace(
      '<svg ',
      `<svg role="img" aria-label="${escapeXml(title)}" data-chart="${escapeXml(title)}" `,
    );
  } finally {
    view.finalize();
  }
}
