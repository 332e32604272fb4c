/** Inline SVG charts: no script, no server, no external file, so report.html opens anywhere. */

export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const WIDTH = 460;
const HEIGHT = 260;
const MARGIN = { left: 52, right: 12, top: 28, bottom: 40 };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round tick values covering [low, high]. */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return [0, 1];
  if (high - low < 1e-12) return [low];
  const raw = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

function formatTick(value: number): string {
  return Math.abs(value) >= 1000 ? value.toExponential(1) : String(Number(value.toPrecision(3)));
}

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(title)}">`,
    `<text x="${WIDTH / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 4}" text-anchor="middle" font-size="11">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(12 ${HEIGHT / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeXml(yLabel)}</text>`,
    body,
    '</svg>',
  ].join('\n');
}

function legend(names: readonly string[]): string {
  return names
    .map((name, i) => {
      const x = MARGIN.left + 8 + i * 110;
      const color = COLORS[i % COLORS.length];
      return `<rect x="${x}" y="${MARGIN.top + 2}" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="${MARGIN.top + 11}" font-size="10">${escapeXml(name)}</text>`;
    })
    .join('');
}

/** Line chart of several series sharing x and y axes. */
export function lineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly Series[],
): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  if (xs.length === 0 || ys.length === 0)
    return frame(title, xLabel, yLabel, '<text x="60" y="120">no data</text>');
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs));
  const yTicks = niceTicks(Math.min(0, ...ys), Math.max(...ys) * 1.05 || 1);
  const [x0, x1] = [Math.min(...xs, ...xTicks), Math.max(...xs, ...xTicks)];
  const [y0, y1] = [Math.min(...yTicks), Math.max(...yTicks)];
  const px = (x: number) =>
    MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * (WIDTH - MARGIN.left - MARGIN.right);
  const py = (y: number) =>
    HEIGHT - MARGIN.bottom - ((y - y0) / (y1 - y0 || 1)) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const axes = [
    ...yTicks.map(
      (t) =>
        `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${MARGIN.left - 4}" y="${py(t) + 3}" text-anchor="end" font-size="10">${formatTick(t)}</text>`,
    ),
    ...xTicks.map(
      (t) =>
        `<text x="${px(t)}" y="${HEIGHT - MARGIN.bottom + 14}" text-anchor="middle" font-size="10">${formatTick(t)}</text>`,
    ),
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>`,
  ];
  const lines = series.map((s, i) => {
    const color = COLORS[i % COLORS.length];
    const finite = s.points.filter((p) => Number.isFinite(p[1]));
    const path = finite.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
    const dots = finite
      .map(
        (p) =>
          `<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${color}"/>`,
      )
      .join('');
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${path}"/>${dots}`;
  });
  return frame(
    title,
    xLabel,
    yLabel,
    [...axes, ...lines, legend(series.map((s) => s.name))].join('\n'),
  );
}

/** Grouped bar chart: one group per category, one bar per series. */
export function barChart(
  title: string,
  yLabel: string,
  categories: readonly string[],
  series: ReadonlyArray<{ name: string; values: readonly number[] }>,
): string {
  const values = series.flatMap((s) => s.values).filter(Number.isFinite);
  const yTicks = niceTicks(0, Math.max(1e-9, ...values) * 1.05);
  const y1 = Math.max(...yTicks);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const groupWidth = plotWidth / Math.max(1, categories.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, series.length);
  const py = (y: number) => HEIGHT - MARGIN.bottom - (y / (y1 || 1)) * plotHeight;
  const parts = yTicks.map(
    (t) =>
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${MARGIN.left - 4}" y="${py(t) + 3}" text-anchor="end" font-size="10">${formatTick(t)}</text>`,
  );
  categories.forEach((category, c) => {
    const gx = MARGIN.left + c * groupWidth + groupWidth * 0.1;
    series.forEach((s, i) => {
      const value = s.values[c] ?? 0;
      const y = py(Number.isFinite(value) ? value : 0);
      parts.push(
        `<rect x="${(gx + i * barWidth).toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${(HEIGHT - MARGIN.bottom - y).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"><title>${escapeXml(`${s.name} ${category}: ${formatTick(value)}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(gx + groupWidth * 0.4).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 12}" text-anchor="middle" font-size="9">${escapeXml(category)}</text>`,
    );
  });
  parts.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>`,
    legend(series.map((s) => s.name)),
  );
  return frame(title, '', yLabel, parts.join('\n'));
}
