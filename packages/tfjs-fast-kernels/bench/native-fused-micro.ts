// Each fused op, forward + backward on the wasm backend, with the addon's native kernels
// (every instruction set this CPU runs, on the addon's threads) against the wasm SIMD kernels
// they replace, alternating in one process. Wall and process CPU (all threads) medians.
// Needs the addon (`pnpm build:native`).
//   node --conditions=source --import tsx bench/native-fused-micro.ts [reps]
import { loadavg } from 'node:os';
import { columnSum } from '../src/column-sum.js';
import { enableFastKernels } from '../src/enable.js';
import { gelu } from '../src/gelu.js';
import { layerNorm } from '../src/layer-norm.js';
import { loadNativeBlas } from '../src/native-blas.js';
import { softmax } from '../src/softmax.js';
import { seededValues, tf } from '../test/backends.js';

const reps = Number(process.argv[2] ?? 15);
const load = loadNativeBlas();
if (!load.loaded) throw new Error(`native-fused-micro needs the addon: ${load.reason}`);
const addon = load.blas;
await tf.setBackend('wasm');
const best = (await enableFastKernels({ native: 'require' })).native.kernelVariant ?? '';
const isas = ['avx512', 'avx2', 'baseline'].filter((name) => {
  const ok = addon.kernelVariant(name) === name;
  addon.kernelVariant(best);
  return ok;
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
const cases: Array<{ name: string; inputs: () => tf.Tensor[]; op: Op }> = [
  {
    name: 'softmax + key bias [8, 4, 197, 197]',
    inputs: () => [
      tf.tensor4d(seededValues(8 * 4 * 197 * 197, 1), [8, 4, 197, 197]),
      tf.tensor2d(seededValues(8 * 197, 2), [8, 197]),
    ],
    op: (l, b) => softmax(l!, b!),
  },
  {
    name: 'layerNorm [1576, 256]',
    inputs: () => [
      tf.tensor2d(seededValues(1576 * 256, 3), [1576, 256]),
      tf.tensor1d(seededValues(256, 4)),
      tf.tensor1d(seededValues(256, 5)),
    ],
    op: (x, g, b) => layerNorm(x!, g!, b!),
  },
  {
    name: 'gelu [1576, 1024]',
    inputs: () => [tf.tensor2d(seededValues(1576 * 1024, 6), [1576, 1024])],
    op: (x) => gelu(x!),
  },
  {
    name: 'columnSum [1576, 1024]',
    inputs: () => [tf.tensor2d(seededValues(1576 * 1024, 7), [1576, 1024])],
    op: (x) => columnSum(x!),
  },
];

const variants = [
  { name: 'wasm SIMD', nativeFused: false, isa: best },
  ...isas.map((isa) => ({ name: `native ${isa}`, nativeFused: true, isa })),
];

const loadBefore = loadavg()[0] as number;
const rows: string[] = [];
for (const c of cases) {
  const xs = c.inputs();
  const run = async (variant: (typeof variants)[number]) => {
    await enableFastKernels({ native: 'require', nativeFused: variant.nativeFused });
    addon.kernelVariant(variant.isa);
    const cpu = process.cpuUsage();
    const start = performance.now();
    const grads = tf.tidy(() => tf.grads((...ys: tf.Tensor[]) => tf.sum(c.op(...ys)))(xs));
    grads[0]!.dataSync();
    const wall = performance.now() - start;
    tf.dispose(grads);
    const used = process.cpuUsage(cpu);
    return { wall, cpu: (used.user + used.system) / 1000 };
  };
  for (const v of variants) await run(v);
  const walls: number[][] = variants.map(() => []);
  const cpus: number[][] = variants.map(() => []);
  for (let r = 0; r < reps; r++) {
    const order = variants.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const t = await run(variants[i]!);
      walls[i]!.push(t.wall);
      cpus[i]!.push(t.cpu);
    }
  }
  const ratio = (of: number[][], i: number) =>
    median(of[i]!.map((v, r) => v / (of[0]![r] as number))).toFixed(2);
  rows.push(
    `| ${c.name} | ${variants.map((_, i) => `${median(walls[i]!).toFixed(1)} / ${median(cpus[i]!).toFixed(1)}`).join(' | ')} | ${variants
      .slice(1)
      .map((_, i) => `${ratio(walls, i + 1)} / ${ratio(cpus, i + 1)}`)
      .join(' | ')} |`,
  );
  tf.dispose(xs);
}
addon.kernelVariant(best);
console.log(
  `forward + backward, ${reps} alternating repetitions, medians; addon threads ${addon.threads()}; load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] as number).toFixed(1)} after`,
);
console.log(
  `| op | ${variants.map((v) => `${v.name} wall / CPU ms`).join(' | ')} | ${variants
    .slice(1)
    .map((v) => `${v.name} / wasm SIMD (wall / CPU)`)
    .join(' | ')} |`,
);
console.log(`|---|${'---:|'.repeat(2 * variants.length - 1)}`);
for (const row of rows) console.log(row);
