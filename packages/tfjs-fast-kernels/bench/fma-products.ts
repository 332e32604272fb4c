// The SIMD module's products (`matMulSlice`), stock build (f32x4 mul + add) against the FMA
// build (f32x4.relaxed_madd), on the dense training step's shapes (tiny encoder, batch 8: 640
// token rows, width 64, 4 heads of 16), alternating build by build in one process: CPU time,
// median over rounds, and the median of the per-round fma/stock ratios. Each module runs on
// its own memory holding the same hot operands; p is blocked as the wasm matmul kernel blocks
// it (16 KB of B). Sets V8's relaxed-SIMD flag itself (Node 20), as an app would.
// SHAPES=step: instead, every product of the dense step as bench/kernel-cpu-time.ts lists it
// (SHAPES=1 CASES=dense; 1280 rows = two streams of batch 8), with its launches a step.
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

const paperShapes = [
  { name: 'qkv [640,64] x [64,192]', m: 640, k: 64, n: 192, ta: 0, tb: 0 },
  { name: 'proj [640,64] x [64,64]', m: 640, k: 64, n: 64, ta: 0, tb: 0 },
  { name: 'fc1 [640,64] x [64,256]', m: 640, k: 64, n: 256, ta: 0, tb: 0 },
  { name: 'fc2 [640,256] x [256,64]', m: 640, k: 256, n: 64, ta: 0, tb: 0 },
  { name: 'fc1 dx [640,256] x [64,256]^T', m: 640, k: 256, n: 64, ta: 0, tb: 1 },
  { name: 'qkv dW [640,64]^T x [640,192]', m: 64, k: 640, n: 192, ta: 1, tb: 0 },
  { name: 'scores [80,16] x [80,16]^T', m: 80, k: 16, n: 80, ta: 0, tb: 1 },
  { name: 'context [80,80] x [80,16]', m: 80, k: 80, n: 16, ta: 0, tb: 0 },
];

// The dense step's products (name: role, operands as the kernel gets them; calls a step).
const stepShapes = [
  { name: 'fwd [1280,64] x [64,64] (12)', m: 1280, k: 64, n: 64, ta: 0, tb: 0 },
  { name: 'fwd [1280,64] x [64,192] (4)', m: 1280, k: 64, n: 192, ta: 0, tb: 0 },
  { name: 'fwd [1280,64] x [64,128] (6)', m: 1280, k: 64, n: 128, ta: 0, tb: 0 },
  { name: 'fwd [1280,128] x [128,64] (4)', m: 1280, k: 128, n: 64, ta: 0, tb: 0 },
  { name: 'fwd [640,768] x [768,64] (1)', m: 640, k: 768, n: 64, ta: 0, tb: 0 },
  { name: 'dx [1280,64] x [64,64]^T (12)', m: 1280, k: 64, n: 64, ta: 0, tb: 1 },
  { name: 'dx [1280,192] x [64,192]^T (4)', m: 1280, k: 192, n: 64, ta: 0, tb: 1 },
  { name: 'dx [1280,128] x [64,128]^T (6)', m: 1280, k: 128, n: 64, ta: 0, tb: 1 },
  { name: 'dx [1280,64] x [128,64]^T (4)', m: 1280, k: 64, n: 128, ta: 0, tb: 1 },
  { name: 'dW [1280,64]^T x [1280,64] (12)', m: 64, k: 1280, n: 64, ta: 1, tb: 0 },
  { name: 'dW [1280,64]^T x [1280,128] (6)', m: 64, k: 1280, n: 128, ta: 1, tb: 0 },
  { name: 'dW [1280,64]^T x [1280,192] (4)', m: 64, k: 1280, n: 192, ta: 1, tb: 0 },
  { name: 'dW [1280,128]^T x [1280,64] (4)', m: 128, k: 1280, n: 64, ta: 1, tb: 0 },
  { name: 'dW [640,768]^T x [640,64] (1)', m: 768, k: 640, n: 64, ta: 1, tb: 0 },
];
const shapes = process.env.SHAPES === 'step' ? stepShapes : paperShapes;

function instance(base64: string): { run: MatMulSlice; memory: WebAssembly.Memory } {
  const bytes = Uint8Array.from(Buffer.from(base64, 'base64'));
  if (!WebAssembly.validate(bytes)) throw new Error('fma-products: a build does not validate here');
  const memory = new WebAssembly.Memory({ initial: 1024 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
    .exports as { matMulSlice: MatMulSlice };
  return { run: exports.matMulSlice, memory };
}

const builds = {
  stock: instance(SIMD_KERNELS_WASM_BASE64),
  fma: instance(SIMD_FMA_KERNELS_WASM_BASE64),
};
// MISALIGN=<bytes>: operands and output that many bytes past a 1 MB boundary (tfjs's heap
// allocator aligns tensors to 8 or 16 bytes, not to cache lines).
const skew = Number(process.env.MISALIGN ?? 0);
// COLD=<copies>: calls take turns over that many sets of operands and outputs (4 MB apart, so
// 8 copies span 32 MB), as in the step, where a product's operands were written by earlier
// kernels and are no longer in the L1/L2 cache.
const copies = Math.max(1, Number(process.env.COLD ?? 1));
const COPY_BYTES = 4 << 20;
const [A, B, OUT, SCRATCH] = [0, 1 << 20, 2 << 20, 3 << 20].map((at) => at + skew) as [
  number,
  number,
  number,
  number,
];
for (const { memory } of Object.values(builds)) {
  const heap = new Float32Array(memory.buffer);
  for (let c = 0; c < copies; c++) {
    heap.set(seededValues(1280 * 192, 1), (A + c * COPY_BYTES) / 4);
    heap.set(seededValues(1280 * 192, 2), (B + c * COPY_BYTES) / 4);
  }
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
    for (let i = 0; i < 8; i++) {
      const at = ((calls + i) % copies) * COPY_BYTES;
      run(A + at, B + at, OUT + at, s.m, s.k, s.n, s.ta, s.tb, SCRATCH + at, blockK, 0);
    }
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
