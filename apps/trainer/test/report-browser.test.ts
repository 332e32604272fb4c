import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { renderReport } from '../src/report/html-report.js';
import { chartProblems } from './chart-geometry.js';
import { reportFixture } from './report-fixture.js';

// Debian's chromium (.ci/run installs it when absent), or the one SPARSIFY_CHROMIUM names.
const CANDIDATES = process.env.SPARSIFY_CHROMIUM
  ? [process.env.SPARSIFY_CHROMIUM]
  : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const executable = CANDIDATES.find((path) => existsSync(path));
const MISSING = `no Chromium at ${CANDIDATES.join(' or ')} (apt-get install chromium, or set SPARSIFY_CHROMIUM)`;
const DOCS_PLOTS = join(import.meta.dirname, '../../../docs/results');

let browser: Browser | undefined;
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
  if (!executable) return;
  browser = await chromium.launch({
    executablePath: executable,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The browser, or a skip that says why (a failure under CI, where .ci/run installs it). */
function needBrowser(ctx: TestContext): Browser {
  if (browser) return browser;
  if (process.env.CI === 'true') throw new Error(`${MISSING}; CI must run this test`);
  return ctx.skip(MISSING);
}

/** Opens `html` from disk, recording every request that is not for a local file. */
async function openFromDisk(b: Browser, name: string, html: string) {
  const path = join(dir, name);
  writeFileSync(path, html);
  const page = await b.newPage({ viewport: { width: 1200, height: 900 } });
  const remote: string[] = [];
  page.on('request', (request) => {
    if (!/^(file|data|about):/.test(request.url())) remote.push(request.url());
  });
  await page.goto(pathToFileURL(path).href);
  return { page, remote };
}

describe('the report in headless Chromium', () => {
  it('opens from disk; no mark outside its plot, no legend over a line, no axis labels overlapping', async (ctx) => {
    const b = needBrowser(ctx);
    const { runs, baselines } = reportFixture({ templates: 33 });
    const html = await renderReport('Dense vs Sparsify', runs, {
      baselines,
      notes: ['Blind baselines on the same test split.'],
    });
    const { page, remote } = await openFromDisk(b, 'report.html', html);
    const geometry = await page.evaluate(chartProblems);
    expect(geometry.problems).toEqual([]);
    // Per type, per template, loss, accuracy, tokens, seconds, samples.
    expect(geometry.charts).toBe(7);
    // 13 columns x 4 rows of bars, 33 templates x 3 rows, 5 line charts' lines and dots.
    expect(geometry.marks).toBeGreaterThan(13 * 4 + 33 * 3 + 5 * 16);
    expect(geometry.labels).toBeGreaterThan(13 + 33);
    expect(await page.locator('table').count()).toBe(3);
    expect(await page.locator('pre').count()).toBe(0);
    expect(remote).toEqual([]);
    await page.close();
  });

  it('finds a mark moved out of its plot, a legend moved over it and labels on top of each other', async (ctx) => {
    const b = needBrowser(ctx);
    const { runs } = reportFixture({ templates: 0 });
    const html = await renderReport('Broken on purpose', runs);
    const { page } = await openFromDisk(b, 'broken.html', html);
    expect((await page.evaluate(chartProblems)).problems).toEqual([]);
    await page.evaluate(() => {
      const svg = document.querySelector('svg[aria-label="Loss"]') as SVGSVGElement;
      const dot = svg.querySelector('g.mark-symbol.role-mark > path') as SVGElement;
      dot.setAttribute('transform', 'translate(-40,-40)');
      const legend = svg.querySelector('g.role-legend > g') as SVGElement;
      legend.setAttribute('transform', 'translate(200,100)');
      const [first, second] = Array.from(svg.querySelectorAll('g.role-axis-label > text'));
      second?.setAttribute('transform', first?.getAttribute('transform') ?? '');
    });
    const problems = (await page.evaluate(chartProblems)).problems.join('\n');
    expect(problems).toMatch(/Loss: mark .* outside the plot/);
    expect(problems).toMatch(/Loss: legend .* over the plot/);
    expect(problems).toMatch(/Loss: axis labels .* overlap/);
    await page.close();
  });

  it('the plots committed under docs/results pass the same checks', async (ctx) => {
    const b = needBrowser(ctx);
    const files = existsSync(DOCS_PLOTS)
      ? readdirSync(DOCS_PLOTS).filter((name) => name.endsWith('.svg'))
      : [];
    if (files.length === 0) ctx.skip(`no SVG plots in ${DOCS_PLOTS}`);
    const html = `<!doctype html><html><body>${files
      .map((name) => `<figure>${readFileSync(join(DOCS_PLOTS, name), 'utf8')}</figure>`)
      .join('\n')}</body></html>`;
    const { page, remote } = await openFromDisk(b, 'docs-plots.html', html);
    const geometry = await page.evaluate(chartProblems);
    expect(geometry.problems).toEqual([]);
    expect(geometry.charts).toBe(files.length);
    expect(remote).toEqual([]);
    await page.close();
  });
});
