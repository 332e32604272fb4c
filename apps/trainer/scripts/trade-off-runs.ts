/**
 * The per-run rows of a trade-off plot: each run of a point against the dense run of its seed,
 * as (held out, held out - dense's, training CPU seconds, CPU / dense's). Reads saved
 * evaluations and, beside each, the run's `metrics.jsonl` (CPU seconds: the sum of its epochs'
 * `cpuSeconds`) and `config.json` (the seed, which must match across a pair). Prints the
 * markdown rows that `scripts/results-figures.ts` plots (its `point`, `CPU / dense` and
 * `point - dense` columns).
 *
 *   node --conditions=source --import tsx scripts/trade-off-runs.ts D1.json,D2.json P1.json,P2.json 'point name'
 *
 * A file is either `RUN/evaluations/NAME.json` (beside it `RUN/metrics.jsonl`, `RUN/config.json`)
 * or a notebook copy `NAME.heldout-....json` (beside it `NAME.metrics.jsonl`, `NAME.config.json`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SavedEvaluation } from '../src/commands/eval.js';
import { trainCpuSeconds } from '../src/report/run-results.js';
import { parseMetrics } from '../src/run/run-folder.js';

const [denseList, pointList, pointName, ...rest] = process.argv.slice(2);
if (!denseList || !pointList || !pointName || rest.length > 0)
  throw new Error("usage: trade-off-runs.ts D1.json,D2.json P1.json,P2.json 'point name'");

/** The run's own file `suffix` (`metrics.jsonl`, `config.json`) for an evaluation file. */
function besideEvaluation(file: string, suffix: string): string {
  const path = /\/evaluations\/[^/]+\.json$/.test(file)
    ? join(dirname(dirname(file)), suffix)
    : file.replace(/\.heldout-[^/]*\.json$/, `.${suffix}`);
  if (path === file || !existsSync(path))
    throw new Error(`${file}: no ${suffix} beside it (looked for ${path})`);
  return path;
}

interface Run {
  file: string;
  seed: number;
  heldOut: number;
  cpuSeconds: number;
  questions: string;
}

function readRun(file: string): Run {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedEvaluation;
  const configFile = besideEvaluation(file, 'config.json');
  const seed = (JSON.parse(readFileSync(configFile, 'utf8')) as { seed?: unknown }).seed;
  if (typeof seed !== 'number') throw new Error(`${configFile}: field "seed" is not a number`);
  const metricsFile = besideEvaluation(file, 'metrics.jsonl');
  const metrics = parseMetrics(readFileSync(metricsFile, 'utf8'));
  const cpuSeconds = trainCpuSeconds(metrics);
  if (cpuSeconds === undefined)
    throw new Error(
      metrics.length === 0
        ? `${metricsFile}: no epoch records`
        : `${metricsFile}, record ${metrics.findIndex((m) => m.cpuSeconds === undefined) + 1}: no field "cpuSeconds"`,
    );
  return {
    file,
    seed,
    heldOut: 100 * (saved.evaluation.overall.accuracy ?? Number.NaN),
    cpuSeconds,
    questions: JSON.stringify([saved.heldoutVideos, saved.heldoutFirstVideo]),
  };
}

const dense = denseList.split(',').map(readRun);
const points = pointList.split(',').map(readRun);
if (dense.length !== points.length)
  throw new Error(`${dense.length} dense files against ${points.length}: pair them by seed`);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
console.log('| point | seed | held out | dense held out | point - dense | CPU s | CPU / dense |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const [i, point] of points.entries()) {
  const reference = dense[i] as Run;
  if (point.seed !== reference.seed)
    throw new Error(`pair ${i + 1}: seed ${point.seed} (${point.file}) against ${reference.seed}`);
  if (point.questions !== reference.questions)
    throw new Error(`pair ${i + 1}: not the same held-out set (${point.file})`);
  console.log(
    `| ${pointName} | ${point.seed} | ${point.heldOut.toFixed(2)} | ${reference.heldOut.toFixed(2)} | ${signed(point.heldOut - reference.heldOut)} | ${point.cpuSeconds.toFixed(0)} | ${(point.cpuSeconds / reference.cpuSeconds).toFixed(3)} |`,
  );
}
