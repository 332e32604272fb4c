/**
 * What a browser measures of the report's charts. `chartProblems` runs inside the page
 * (passed to page.evaluate, so it uses nothing from this module's scope): for every chart
 * it compares the boxes the browser laid out, getBoundingClientRect of each element.
 */
export interface ChartGeometry {
  charts: number;
  marks: number;
  labels: number;
  problems: string[];
}

export function chartProblems(): ChartGeometry {
  const problems: string[] = [];
  const box = (el: Element) => el.getBoundingClientRect();
  const inside = (a: DOMRect, b: DOMRect, slack: number) =>
    a.left >= b.left - slack &&
    a.right <= b.right + slack &&
    a.top >= b.top - slack &&
    a.bottom <= b.bottom + slack;
  // Boxes that share more than a hairline (antialiased edges touch).
  const overlap = (a: DOMRect, b: DOMRect) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const shown = (el: Element) =>
    el.getAttribute('opacity') !== '0' && getComputedStyle(el).display !== 'none';
  const describe = (b: DOMRect) =>
    `[${b.left.toFixed(1)}, ${b.top.toFixed(1)}, ${b.right.toFixed(1)}, ${b.bottom.toFixed(1)}]`;
  let marks = 0;
  let labels = 0;
  const svgs = Array.from(document.querySelectorAll('svg[data-chart]'));
  for (const svg of svgs) {
    const name = svg.getAttribute('data-chart');
    // Vega draws the plot's frame as the root group's background.
    const frame = svg.querySelector('g.role-frame.root > g > path.background');
    if (!frame) {
      problems.push(`${name}: no plot frame`);
      continue;
    }
    const plot = box(frame);
    const items = Array.from(svg.querySelectorAll('g.role-mark > *')).filter(shown);
    marks += items.length;
    if (items.length === 0) problems.push(`${name}: no marks`);
    for (const item of items) {
      const b = box(item);
      if (!inside(b, plot, 1.5))
        problems.push(`${name}: mark ${describe(b)} outside the plot ${describe(plot)}`);
    }
    for (const legend of Array.from(svg.querySelectorAll('g.role-legend'))) {
      const b = box(legend);
      if (overlap(b, plot)) problems.push(`${name}: legend ${describe(b)} over the plot`);
      for (const item of items) {
        if (overlap(b, box(item))) problems.push(`${name}: legend over a mark`);
      }
    }
    for (const label of Array.from(svg.querySelectorAll('g.role-legend-label > text'))) {
      if ((label.textContent ?? '').endsWith('…'))
        problems.push(`${name}: legend label "${label.textContent}" cut short`);
    }
    const texts = Array.from(svg.querySelectorAll('text')).filter(shown);
    const whole = box(svg);
    for (const text of texts) {
      if (!inside(box(text), whole, 1))
        problems.push(`${name}: text "${text.textContent}" cut at the chart's edge`);
    }
    const axisLabels = Array.from(svg.querySelectorAll('g.role-axis-label > text')).filter(shown);
    labels += axisLabels.length;
    for (let i = 0; i < axisLabels.length; i++) {
      for (let j = i + 1; j < axisLabels.length; j++) {
        const a = axisLabels[i] as Element;
        const b = axisLabels[j] as Element;
        if (overlap(box(a), box(b)))
          problems.push(`${name}: axis labels "${a.textContent}" and "${b.textContent}" overlap`);
      }
    }
  }
  return { charts: svgs.length, marks, labels, problems };
}
