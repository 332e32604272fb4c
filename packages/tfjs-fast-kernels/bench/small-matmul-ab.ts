// The demo model's products (tiny encoder, batch 8, dense and after masking/merging) on the
// native BLAS route against the wasm SIMD route (`matMulSlice`, what small products take
// without the addon), alternating in one process: CPU microseconds per product and GFLOP
// per CPU-second, to place the size below which the native route hands products to wasm SIMD.
//   SPARSIFY_NATIVE_THREADS=1 node --conditions=source --import tsx bench/small-matmul-ab.ts [reps]
import { enableFastKernels } from '../src/enable.js';
import { seededValues, tf } from '../test/backends.js';

interface Shape {
  batch: number;
  m: number;
  k: number;
  n: number;
  ta: boolean;
  tb: boolean;
}
const shapes: Shape[] = [
  { batch: 32, m: 14, k: 16, n: 14, ta: false, tb: true },
  { batch: 32, m: 14, k: 14, n: 16, ta: false, tb: false },
  { batch: 32, m: 40, k: 16, n: 40, ta: false, tb: true },
  { batch: 32, m: 40, k: 40, n: 16, ta: true, tb: false },
  { batch: 32, m: 80, k: 16, n: 80, ta: false, tb: true },
  { batch: 32, m: 80, k: 80, n: 16, ta: false, tb: false },
  { batch: 32, m: 80, k: 80, n: 16, ta: true, tb: false },
  { batch: 1, m: 80, k: 64, n: 192, ta: false, tb: false },
  { batch: 1, m: 64, k: 80, n: 192, ta: true, tb: false },
  { batch: 1, m: 320, k: 64, n: 64, ta: false, tb: true },
  { batch: 1, m: 640, k: 64, n: 64, ta: false, tb: false },
  { batch: 1, m: 640, k: 64, n: 64, ta: false, tb: true },
  { batch: 1, m: 64, k: 640, n: 64, ta: true, tb: false },
  { batch: 1, m: 640, k: 64, n: 192, ta: false, tb: false },
  { batch: 1, m: 64, k: 640, n: 192, ta: true, tb: false },
  { batch: 1, m: 640, k: 128, n: 64, ta: false, tb: true },
  { batch: 1, m: 640, k: 768, n: 64, ta: false, tb: false },
];
const reps = Number(process.argv[2] ?? 200);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

await tf.setBackend('wasm');
await tf.ready();
console.log(
  '| product (batch x m k n, transposes) | MFLOP | native us | wasm SIMD us | native GF/s | SIMD GF/s | native / SIMD |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const s of shapes) {
  const aShape = s.ta ? [s.batch, s.k, s.m] : [s.batch, s.m, s.k];
  const bShape = s.tb ? [s.batch, s.n, s.k] : [s.batch, s.k, s.n];
  const a = tf.tensor(
    seededValues(s.batch * s.m * s.k, 1),
    s.batch === 1 ? aShape.slice(1) : aShape,
  );
  const b = tf.tensor(
    seededValues(s.batch * s.k * s.n, 2),
    s.batch === 1 ? bShape.slice(1) : bShape,
  );
  const times: number[][] = [[], []];
  for (let round = 0; round < 6; round++) {
    for (const [v, native] of (['require', 'off'] as const).entries()) {
      await enableFastKernels({ native });
      const c0 = process.cpuUsage();
      for (let r = 0; r < reps; r++) tf.matMul(a, b, s.ta, s.tb).dispose();
      const c = process.cpuUsage(c0);
      times[v]!.push((c.user + c.system) / reps);
    }
  }
  const flop = 2 * s.batch * s.m * s.k * s.n;
  const [nat, simd] = [median(times[0]!), median(times[1]!)];
  console.log(
    `| ${s.batch} x ${s.m} ${s.k} ${s.n} ${s.ta ? 'tA' : ''}${s.tb ? 'tB' : ''} | ${(flop / 1e6).toFixed(2)} | ${nat.toFixed(1)} | ${simd.toFixed(1)} | ${(flop / nat / 1e3).toFixed(1)} | ${(flop / simd / 1e3).toFixed(1)} | ${(nat / simd).toFixed(2)} |`,
  );
  tf.dispose([a, b]);
}
