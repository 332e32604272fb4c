// Where the fused attention core's time goes (issue 23n): the SIMD module's attentionForward
// and attentionBackward on the dense step's self-attention shape (B 16 = two streams of batch
// 8, 4 heads of 16, 80 tokens, q|k|v packed [1280, 192]), against its parts called alone for
// all 64 (item, head) pairs: the two products, softmaxRows, and the head copies' share (the
// rest). CPU time, hot operands, median over rounds. FMA=1: the FMA build (sets V8's
// relaxed-SIMD flag itself).
//   node --conditions=source --import tsx bench/attention-parts.ts [rounds] [ms a measurement]
import { setFlagsFromString } from 'node:v8';
import type { SimdKernels } from '../src/simd-kernels.js';
import { seededValues } from '../test/backends.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');
const rounds = Number(process.argv[2] ?? 9);
const budgetMs = Number(process.argv[3] ?? 40);
// SRC=<a checkout's packages/tfjs-fast-kernels/src> times that checkout's binary (default: this one's).
const src = process.env.SRC ?? new URL('../src', import.meta.url).pathname;
const base64: string = process.env.FMA
  ? (await import(`${src}/simd-fma-binary.ts`)).SIMD_FMA_KERNELS_WASM_BASE64
  : (await import(`${src}/simd-binary.ts`)).SIMD_KERNELS_WASM_BASE64;
const bytes = Uint8Array.from(Buffer.from(base64, 'base64'));
const memory = new WebAssembly.Memory({ initial: 256 });
const k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
  .exports as unknown as SimdKernels;

const [B, H, N, D] = [16, 4, 80, 16];
const W = H * D;
const MB = 1 << 20;
const [QKV, OUT, PROB, DY, DQKV, SCRATCH, A, BB, C] = [0, 2, 4, 8, 10, 12, 13, 14, 15].map(
  (m) => m * MB,
) as [number, number, number, number, number, number, number, number, number];
const heap = new Float32Array(memory.buffer);
heap.set(seededValues(B * N * 3 * W, 1), QKV / 4);
heap.set(seededValues(B * N * W, 2), DY / 4);
heap.set(seededValues(N * N, 3), A / 4);
heap.set(seededValues(N * N, 4), BB / 4);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
function measure(run: () => void): number {
  let calls = 0;
  const start = cpuMs();
  let used = 0;
  while (used < budgetMs) {
    run();
    calls++;
    used = cpuMs() - start;
  }
  return used / calls;
}
const pairs = B * H;
const parts: Record<string, () => void> = {
  forward: () =>
    k.attentionForward(
      QKV,
      3 * W,
      QKV + W * 4,
      3 * W,
      QKV + 2 * W * 4,
      3 * W,
      0,
      OUT,
      PROB,
      B,
      N,
      N,
      H,
      D,
      0.25,
      SCRATCH,
    ),
  backward: () =>
    k.attentionBackward(
      DY,
      QKV,
      3 * W,
      QKV + W * 4,
      3 * W,
      QKV + 2 * W * 4,
      3 * W,
      PROB,
      DQKV,
      3 * W,
      DQKV + W * 4,
      3 * W,
      DQKV + 2 * W * 4,
      3 * W,
      B,
      N,
      N,
      H,
      D,
      0.25,
      SCRATCH,
    ),
  'scores q k^T [80,16]x[16,80] x64': () => {
    for (let i = 0; i < pairs; i++) k.matMulSlice(A, BB, C, N, D, N, 0, 0, 0, 0, 0);
  },
  'context P v [80,80]x[80,16] x64': () => {
    for (let i = 0; i < pairs; i++) k.matMulSlice(A, BB, C, N, N, D, 0, 0, 0, 0, 0);
  },
  'P^T dy [80,80]^T x [80,16] x64': () => {
    for (let i = 0; i < pairs; i++) k.matMulSlice(A, BB, C, N, N, D, 1, 0, 0, 0, 0);
  },
  'softmaxRows [80,80] x64': () => {
    for (let i = 0; i < pairs; i++) k.softmaxRows(A, 0, C, N, N, N);
  },
  'softmaxGradRows [80,80] x64': () => {
    for (let i = 0; i < pairs; i++) k.softmaxGradRows(A, BB, C, N, N);
  },
};
const times = new Map<string, number[]>();
for (let r = 0; r < rounds; r++)
  for (const [name, run] of Object.entries(parts)) {
    const list = times.get(name) ?? [];
    list.push(measure(run));
    times.set(name, list);
  }
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(
  `attention-parts (${process.env.FMA ? 'FMA' : 'stock'} build of ${src}), ${rounds} rounds`,
);
console.log('| part | CPU ms a call |');
console.log('|---|---:|');
for (const [name, v] of times) console.log(`| ${name} | ${median(v).toFixed(3)} |`);
