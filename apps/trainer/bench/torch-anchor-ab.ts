/**
 * The trainer's step against PyTorch's on the same CPU at the same thread count (issue 23's
 * target: dense <= 1.3x PyTorch). Each round runs, alternating which goes first, one child
 * process of this checkout's step for the three cases (dense, masked = mask + merge, merge
 * only; tiny model, batch 8, the demo's batches: bench/trainer-step-child.ts, as
 * bench/step-checkout-ab.ts) and one of ../shared/anchors/torch_tiny.py with the same cases'
 * token counts. Two paths:
 *   wasm    tfjs-backend-wasm + fast kernels, single-threaded (no addon: SPARSIFY_NATIVE_DIR
 *           on an empty directory and the addon switched off), against torch 1 thread
 *   wasm-fma  as wasm, with the FMA build of the SIMD kernels (relaxed SIMD; the child sets
 *           V8's --experimental-wasm-relaxed-simd); with wasm in the same run it also prints
 *           wasm-fma / wasm per round and the first losses of both
 *   native  the addon (BLAS + fused kernels, 2 threads), against torch 2 threads; only when
 *           the addon is built (`pnpm --filter @sparsify/tfjs-fast-kernels build:native`)
 *   native1 the addon on one thread (its pool and OpenBLAS), against torch 1 thread
 *   wasm2   as wasm, on tfjs-backend-wasm's threaded module with 2 XNNPACK threads
 *           (SPARSIFY_WASM_THREADS=2), against torch 2 threads
 * Prints per path and case the median ms a step (wall, and CPU of the process, all threads,
 * for both sides), the median over rounds of the per-round ours/torch ratios, and each side's
 * sparse/dense ratios. PyTorch: $SPARSIFY_TORCH_PYTHON (default python3) with torch
 * installed; anchors: $SPARSIFY_ANCHORS_DIR (default ../shared/anchors beside the repository).
 *   SPARSIFY_TORCH_PYTHON=/work/venv-torch/bin/python \
 *     node --conditions=source --import tsx bench/torch-anchor-ab.ts [rounds] [steps] [paths]
 * rounds default 6, steps a case a process default 8 (both sides), paths default wasm,native
 * (wasm2 on request). With 2 threads wall time is the measure: CPU time sums the threads.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  median,
  runTorchAnchor,
  torchAnchorsOrExit,
} from '../../../packages/tfjs-fast-kernels/bench/torch-anchor.js';
import { loadNativeBlas } from '../../../packages/tfjs-fast-kernels/src/native-blas.js';
import { BATCH, CASES, runStepChild, type StepEngine } from './trainer-step-child.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const rounds = Number(process.argv[2] ?? 6);
const steps = Number(process.argv[3] ?? 8);
const wanted = (process.argv[4] ?? 'wasm,native').split(',');

// The anchor's cases in CASES' order: tokens per stream entering blocks 0-1 and 2-3.
const TORCH_CASES = 'dense:80,80;masked:40,10;merge:80,20';
const TORCH_NAMES = ['dense', 'masked', 'merge'] as const;

interface Path {
  name: string;
  engine: StepEngine;
  threads: number;
  env: NodeJS.ProcessEnv;
}

interface Side {
  wall: number[]; // median ms a step, per case
  cpu: number[] | null;
  losses?: number[][]; // ours: the first losses of every case
}

const anchors = torchAnchorsOrExit(['torch_tiny.py']);
const noAddonDir = mkdtempSync(join(tmpdir(), 'sparsify-no-native-'));
const allPaths: Path[] = [
  {
    name: 'wasm',
    engine: 'wasm',
    threads: 1,
    env: {
      ...process.env,
      SPARSIFY_NATIVE_DIR: noAddonDir,
      OPENBLAS_NUM_THREADS: '1',
      SPARSIFY_WASM_THREADS: '1',
    },
  },
  {
    name: 'wasm2',
    engine: 'wasm',
    threads: 2,
    env: {
      ...process.env,
      SPARSIFY_NATIVE_DIR: noAddonDir,
      OPENBLAS_NUM_THREADS: '1',
      SPARSIFY_WASM_THREADS: '2',
    },
  },
  {
    name: 'wasm-fma',
    engine: 'wasm-fma',
    threads: 1,
    env: { ...process.env, SPARSIFY_NATIVE_DIR: noAddonDir, OPENBLAS_NUM_THREADS: '1' },
  },
  {
    name: 'native',
    engine: 'native',
    threads: 2,
    env: { ...process.env, SPARSIFY_NATIVE_THREADS: '2', OPENBLAS_NUM_THREADS: '2' },
  },
  {
    name: 'native1',
    engine: 'native',
    threads: 1,
    env: { ...process.env, SPARSIFY_NATIVE_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  },
];
const paths = allPaths.filter((p) => wanted.includes(p.name));
const addon = loadNativeBlas();
const skipped: string[] = [];
if (!addon.loaded) {
  for (const name of ['native', 'native1']) {
    const at = paths.findIndex((p) => p.name === name);
    if (at < 0) continue;
    skipped.push(`${name} path skipped: ${addon.reason}`);
    paths.splice(at, 1);
  }
}

function ours(path: Path): Side & { engine: string } {
  const r = runStepChild(root, steps, { engine: path.engine, env: path.env });
  const e = r.engine;
  return {
    wall: r.wallMs.map(median),
    cpu: r.cpuMs.map(median),
    losses: r.losses,
    engine: e
      ? `matmul ${e.matmul}, fused ${e.fused}${e.threads ? `, ${e.threads} threads` : ''}${e.simdBuild ? `, SIMD build ${e.simdBuild}` : ''}`
      : '?',
  };
}

function torch(path: Path): Side {
  const { result, cpuMarksMs } = runTorchAnchor(
    anchors,
    'torch_tiny.py',
    [
      '--threads',
      String(path.threads),
      '--batch',
      String(BATCH),
      '--rounds',
      String(steps),
      '--cases',
      TORCH_CASES,
    ],
    true,
  );
  const medians = (result[`threads${path.threads}`] as { median_ms: Record<string, number> })
    .median_ms;
  let cpu: number[] | null = null;
  // Two readings a timed step, steps in the anchor's order: round by round, the cases in turn.
  if (cpuMarksMs?.length === 2 * steps * TORCH_NAMES.length) {
    const perCase: number[][] = TORCH_NAMES.map(() => []);
    for (let k = 0; k < cpuMarksMs.length / 2; k++)
      perCase[k % TORCH_NAMES.length]!.push(cpuMarksMs[2 * k + 1]! - cpuMarksMs[2 * k]!);
    cpu = perCase.map(median);
  }
  return { wall: TORCH_NAMES.map((n) => medians[n]!), cpu };
}

const loadBefore = loadavg()[0]!;
const loads: number[] = [];
// [path][round] -> both sides
const results: Array<Array<{ ours: Side; torch: Side }>> = paths.map(() => []);
const engines: string[] = paths.map(() => '');
for (let round = 0; round < rounds; round++) {
  for (const [p, path] of paths.entries()) {
    const oursFirst = (round + p) % 2 === 0;
    let o: (Side & { engine: string }) | undefined;
    let t: Side | undefined;
    if (oursFirst) o = ours(path);
    t = torch(path);
    if (!oursFirst) o = ours(path);
    engines[p] = o!.engine;
    results[p]!.push({ ours: o!, torch: t });
    console.error(
      `round ${round + 1}/${rounds} ${path.name}: ${CASES.map((c, i) => `${c.name} ${o!.wall[i]!.toFixed(1)} vs ${t.wall[i]!.toFixed(1)}`).join('; ')} (wall ms)`,
    );
  }
  loads.push(loadavg()[0]!);
}

const fmt = (v: number | undefined, digits = 1) =>
  v == null || Number.isNaN(v) ? '-' : v.toFixed(digits);
console.log(
  `ours: this checkout's trainer step (tiny model, batch ${BATCH}, the demo's batches, cases taking turns); torch ${anchors.torchVersion}: ${anchors.dir}/torch_tiny.py --cases '${TORCH_CASES}' --rounds ${steps}; ${rounds} rounds, ${steps} steps a case a process, the two sides alternating which goes first; load average (1 min) ${loadBefore.toFixed(1)} before, after each round ${loads.map((l) => l.toFixed(1)).join(', ')}`,
);
for (const line of skipped) console.log(line);
for (const [p, path] of paths.entries()) {
  const rs = results[p]!;
  const med = (side: 'ours' | 'torch', of: 'wall' | 'cpu', i: number) => {
    const values = rs.map((r) => r[side][of]?.[i]).filter((v): v is number => v != null);
    return values.length ? median(values) : Number.NaN;
  };
  const ratio = (of: 'wall' | 'cpu', i: number) => {
    const values = rs
      .map((r) => (r.ours[of]?.[i] ?? Number.NaN) / (r.torch[of]?.[i] ?? Number.NaN))
      .filter((v) => !Number.isNaN(v));
    return values.length ? median(values) : Number.NaN;
  };
  const sparse = (side: 'ours' | 'torch', of: 'wall' | 'cpu', i: number) => {
    const values = rs
      .map((r) => (r[side][of]?.[i] ?? Number.NaN) / (r[side][of]?.[0] ?? Number.NaN))
      .filter((v) => !Number.isNaN(v));
    return values.length ? median(values) : Number.NaN;
  };
  console.log(
    `\n${path.name}: ours (${engines[p]}) against torch ${path.threads} thread${path.threads > 1 ? 's' : ''}`,
  );
  console.log(
    '| step | wall ms ours | torch | ours/torch | CPU ms ours | torch | ours/torch | sparse/dense wall ours | torch | CPU ours | torch |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [i, c] of CASES.entries()) {
    const sd = (side: 'ours' | 'torch', of: 'wall' | 'cpu') =>
      i === 0 ? '1' : fmt(sparse(side, of, i), 3);
    console.log(
      `| ${c.name} | ${fmt(med('ours', 'wall', i))} | ${fmt(med('torch', 'wall', i))} | ${fmt(ratio('wall', i), 3)} | ${fmt(med('ours', 'cpu', i))} | ${fmt(med('torch', 'cpu', i))} | ${fmt(ratio('cpu', i), 3)} | ${sd('ours', 'wall')} | ${sd('torch', 'wall')} | ${sd('ours', 'cpu')} | ${sd('torch', 'cpu')} |`,
    );
  }
}

// The FMA build against the stock one, round by round (both children of a round ran minutes apart at most).
const stockAt = paths.findIndex((p) => p.name === 'wasm');
const fmaAt = paths.findIndex((p) => p.name === 'wasm-fma');
if (stockAt >= 0 && fmaAt >= 0) {
  const pairs = results[fmaAt]!.map((r, round) => ({
    fma: r.ours,
    stock: results[stockAt]![round]!.ours,
  }));
  const per = (of: 'wall' | 'cpu', i: number) =>
    median(
      pairs.map(({ fma, stock }) => (fma[of]?.[i] ?? Number.NaN) / (stock[of]?.[i] ?? Number.NaN)),
    );
  console.log('\nwasm-fma / wasm (ours only, median over rounds of the per-round ratio)');
  console.log('| step | wall ratio | CPU ratio |');
  console.log('|---|---:|---:|');
  for (const [i, c] of CASES.entries())
    console.log(`| ${c.name} | ${fmt(per('wall', i), 3)} | ${fmt(per('cpu', i), 3)} |`);
  const first = pairs[0]!;
  for (const [i, c] of CASES.entries()) {
    const a = first.stock.losses?.[i] ?? [];
    const b = first.fma.losses?.[i] ?? [];
    const gap = Math.max(...a.map((v, k) => Math.abs(v - (b[k] ?? Number.NaN))));
    console.log(
      `first losses, ${c.name}: stock ${a.map((v) => v.toPrecision(9)).join(', ')}; fma ${b.map((v) => v.toPrecision(9)).join(', ')}; largest gap ${gap.toExponential(2)}`,
    );
  }
}
