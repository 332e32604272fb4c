// One transformer block training step (tf.variableGrads of LayerNorm + 4-head attention +
// 4x MLP, B=16 N=196 D=256) on: cpu, stock wasm, wasm + fast kernels, and the native BLAS
// path when built. Run under `flock /tmp/bench.lock` so other benchmarks do not interfere.
//   pnpm --filter @sparsify/tfjs-fast-kernels bench [-- --profile] [-- --skip-cpu]
import { disableFastKernels, enableFastKernels } from '../src/enable.js';
import { loadNativeBlas } from '../src/native-blas.js';
import { seededValues, tf } from '../test/backends.js';
import {
  type BlockShape,
  blockGradients,
  blockStepFlops,
  makeBlockWeights,
} from '../test/transformer-block.js';

const shape: BlockShape = { batch: 16, tokens: 196, width: 256, heads: 4 };
const flops = blockStepFlops(shape);
const args = new Set(process.argv.slice(2));

interface Result {
  name: string;
  msPerStep: number;
  /** Process CPU time per step: on a shared machine, closer to what an idle one would show. */
  cpuMsPerStep: number;
  steps: number;
}

async function timeSteps(
  name: string,
  backend: 'cpu' | 'wasm',
  warmup: number,
  steps: number,
): Promise<Result> {
  await tf.setBackend(backend);
  await tf.ready();
  const weights = makeBlockWeights(tf, shape, 7);
  const x = tf.tensor3d(seededValues(shape.batch * shape.tokens * shape.width, 3), [
    shape.batch,
    shape.tokens,
    shape.width,
  ]);
  const step = () => {
    const { value, grads } = blockGradients(tf, shape, weights, x);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  for (let i = 0; i < warmup; i++) step();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < steps; i++) step();
  const msPerStep = (performance.now() - start) / steps;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
  tf.dispose([x, ...Object.values(weights)]);
  console.error(
    `  ${name}: ${msPerStep.toFixed(0)} ms/step wall, ${cpuMsPerStep.toFixed(0)} ms CPU (${steps} steps)`,
  );
  return { name, msPerStep, cpuMsPerStep, steps };
}

/** Per-kernel time of one step, to see what dominates once matmul is fast. */
async function profileStep(label: string): Promise<void> {
  await tf.setBackend('wasm');
  const weights = makeBlockWeights(tf, shape, 7);
  const x = tf.tensor3d(seededValues(shape.batch * shape.tokens * shape.width, 3), [
    shape.batch,
    shape.tokens,
    shape.width,
  ]);
  const info = await tf.profile(() => {
    const { value, grads } = blockGradients(tf, shape, weights, x);
    return [value, ...Object.values(grads)];
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const kernel of info.kernels) {
    const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
    entry.ms += Number(kernel.kernelTimeMs);
    entry.calls += 1;
    byKernel.set(kernel.name, entry);
  }
  const total = [...byKernel.values()].reduce((sum, e) => sum + e.ms, 0);
  console.log(`\nPer-kernel time, one step, ${label} (total ${total.toFixed(0)} ms):`);
  console.log('| kernel | calls | ms | share |\n|---|---|---|---|');
  for (const [name, { ms, calls }] of [...byKernel]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 15)) {
    console.log(`| ${name} | ${calls} | ${ms.toFixed(1)} | ${((100 * ms) / total).toFixed(1)}% |`);
  }
  tf.dispose([x, ...Object.values(weights)]);
}

/** GFLOP/s of a 1024^3 product: the wasm 2-D (XNNPACK) path, and the native sgemm if built. */
async function measurePeaks(): Promise<{ wasm2d: number; blas: number | null }> {
  await tf.setBackend('wasm');
  const size = 1024;
  const gflop = (2 * size ** 3) / 1e9;
  const a = tf.tensor2d(seededValues(size * size, 1), [size, size]);
  const b = tf.tensor2d(seededValues(size * size, 2), [size, size]);
  // dataSync outside tidy: tidy would walk a returned typed array element by element.
  const product = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  // Best of several single products: on a shared machine the fastest run is the one
  // least disturbed, and a peak is an upper bound anyway.
  const rate = (repeats: number) => {
    product();
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      product();
      best = Math.min(best, performance.now() - start);
    }
    return gflop / (best / 1000);
  };
  disableFastKernels();
  const wasm2d = rate(8);
  let blas: number | null = null;
  if ((await enableFastKernels({ native: 'auto' })).native.loaded) blas = rate(30);
  disableFastKernels();
  tf.dispose([a, b]);
  return { wasm2d, blas };
}

const results: Result[] = [];
const peaks = await measurePeaks();
console.error(
  `peaks: wasm 2-D matmul ${peaks.wasm2d.toFixed(1)} GFLOP/s, BLAS ${peaks.blas?.toFixed(1) ?? 'n/a'}`,
);
if (!args.has('--skip-cpu')) results.push(await timeSteps('cpu (pure JS)', 'cpu', 0, 1));
disableFastKernels();
results.push(await timeSteps('wasm (stock)', 'wasm', 1, 2));
await enableFastKernels({ native: 'off' });
results.push(await timeSteps('wasm + fast kernels (XNNPACK)', 'wasm', 2, 5));
if (args.has('--profile')) await profileStep('wasm + fast kernels (XNNPACK)');
const native = loadNativeBlas();
if (native.loaded) {
  await enableFastKernels({ native: 'require' });
  results.push(
    await timeSteps(
      `wasm + fast kernels + native BLAS (${native.blas.threads()} threads)`,
      'wasm',
      2,
      5,
    ),
  );
  if (args.has('--profile')) await profileStep('native BLAS');
} else {
  console.error(`native path: ${native.reason}`);
}

const stock = results.find((r) => r.name === 'wasm (stock)');
const peak = peaks.blas ?? peaks.wasm2d;
console.log(
  `\nBlock step B=${shape.batch} N=${shape.tokens} D=${shape.width} H=${shape.heads}: ${(flops / 1e9).toFixed(2)} GFLOP`,
);
console.log(
  `Peak reference: ${peak.toFixed(1)} GFLOP/s (${peaks.blas != null ? 'native sgemm 1024^3' : 'wasm 2-D matmul 1024^3'}); wasm 2-D matmul ${peaks.wasm2d.toFixed(1)} GFLOP/s`,
);
// Ratios are given on wall time and on process CPU time: on a shared machine the stock
// run (tens of seconds) absorbs more interference than the fast ones.
console.log(
  '| path | ms/step (wall) | CPU ms/step | GFLOP/s (wall) | x stock wasm (wall) | x stock wasm (CPU) | fraction of peak |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  const rate = flops / 1e9 / (r.msPerStep / 1000);
  const ratio = (of: (x: Result) => number) =>
    stock == null ? 'n/a' : `${(of(stock) / of(r)).toFixed(1)}x`;
  const cells = [
    r.name,
    r.msPerStep.toFixed(0),
    r.cpuMsPerStep.toFixed(0),
    rate.toFixed(2),
    ratio((x) => x.msPerStep),
    ratio((x) => x.cpuMsPerStep),
    `${((100 * rate) / peak).toFixed(1)}%`,
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
