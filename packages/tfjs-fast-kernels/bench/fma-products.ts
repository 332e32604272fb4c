// The SIMD module's products (`matMulSlice`), stock build (f32x4 mul + add) against the FMA
// build (f32x4.relaxed_madd), on the dense training step's shapes (tiny encoder, batch 8: 640
// token rows, width 64, 4 heads of 16), alternating build by build in one process: CPU time,
// median over rounds, and the median of the per-round fma/stock ratios. Each module runs on
// its own memory holding the same hot operands; p is blocked as the wasm matmul kernel blocks
// it (16 KB of B). Sets V8's relaxed-SIMD flag itself (Node 20), as an app would.
//   node --conditions=source --import tsx bench/fma-products.ts [rounds] [ms a measurement]
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { SIMD_KERNELS_WASM_BASE64 } from '../src/simd-binary.js';
import { SIMD_FMA_KERNELS_WASM_BASE64 } from '../src/simd-fma-binary.js';
import type { SimdKernels } from '../src/simd-kernels.js';
import { seededValues } from '../test/backends.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');
const rounds = Number(process.argv[2] ?? 21);
const budgetMs = Number(process.argv[3] ?? 40);

type MatMulSlice = SimdKernels['matMulSlice'];

const shapes = [
  { name: 'qkv [640,64] x [64,192]', m: 640, k: 64, n: 192, ta: 0, tb: 0 },
  { name: 'proj [640,64] x [64,64]', m: 640, k: 64, n: 64, ta: 0, tb: 0 },
  { name: 'fc1 [640,64] x [64,256]', m: 640, k: 64, n: 256, ta: 0, tb: 0 },
  { name: 'fc2 [640,256] x [256,64]', m: 640, k: 256, n: 64, ta: 0, tb: 0 },
  { name: 'fc1 dx [640,256] x [64,256]^T', m: 640, k: 256, n: 64, ta: 0, tb: 1 },
  { name: 'qkv dW [640,64]^T x [640,192]', m: 64, k: 640, n: 192, ta: 1, tb: 0 },
  { name: 'scores [80,16] x [80,16]^T', m: 80, k: 16, n: 80, ta: 0, tb: 1 },
  { name: 'context [80,80] x [80,16]', m: 80, k: 80, n: 16, ta: 0, tb: 0 },
];

function instance(base64: string): { run: MatMulSlice; memory: WebAssembly.Memory } {
  const bytes = Uint8Array.from(Buffer.from(base64, 'base64'));
  if (!WebAssembly.validate(bytes)) throw new Error('fma-products: a build does not validate here');
  const memory = new WebAssembly.Memory({ initial: 64 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
    .exports as { matMulSlice: MatMulSlice };
  return { run: exports.matMulSlice, memory };
}

const builds = {
  stock: instance(SIMD_KERNELS_WASM_BASE64),
  fma: instance(SIMD_FMA_KERNELS_WASM_BASE64),
};
const [A, B, OUT, SCRATCH] = [0, 1 << 20, 2 << 20, 3 << 20];
for (const { memory } of Object.values(builds)) {
  const heap = new Float32Array(memory.buffer);
  heap.set(seededValues(640 * 256, 1), A / 4);
  heap.set(seededValues(640 * 256, 2), B / 4);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** GFLOP/s of one build on one shape: as many calls as fit in the budget, by CPU time. */
function measure(run: MatMulSlice, s: (typeof shapes)[number]): number {
  const blockK = Math.max(16, Math.floor(16384 / (4 * s.n)));
  let calls = 0;
  const start = cpuMs();
  let used = 0;
  while (used < budgetMs) {
    for (let i = 0; i < 8; i++) run(A, B, OUT, s.m, s.k, s.n, s.ta, s.tb, SCRATCH, blockK, 0);
    calls += 8;
    used = cpuMs() - start;
  }
  return (2 * s.m * s.k * s.n * calls) / (used * 1e6);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const loadBefore = loadavg()[0] ?? 0;
const rates = shapes.map(() => ({
  stock: [] as number[],
  fma: [] as number[],
  ratio: [] as number[],
}));
for (let r = 0; r < rounds; r++) {
  for (const [i, s] of shapes.entries()) {
    const order = (r + i) % 2 === 0 ? (['stock', 'fma'] as const) : (['fma', 'stock'] as const);
    const got: Record<string, number> = {};
    for (const name of order) got[name] = measure(builds[name].run, s);
    rates[i]!.stock.push(got.stock!);
    rates[i]!.fma.push(got.fma!);
    rates[i]!.ratio.push(got.fma! / got.stock!);
  }
}
console.log(
  `fma-products: ${rounds} rounds, ${budgetMs} CPU ms a measurement, builds alternating; load average (1 min) ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after`,
);
console.log('| product | stock GFLOP/s | FMA GFLOP/s | FMA / stock speed |');
console.log('|---|---:|---:|---:|');
for (const [i, s] of shapes.entries()) {
  const r = rates[i]!;
  console.log(
    `| ${s.name} | ${median(r.stock).toFixed(1)} | ${median(r.fma).toFixed(1)} | ${median(r.ratio).toFixed(3)} |`,
  );
}
