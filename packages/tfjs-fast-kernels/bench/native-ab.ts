// The block bench (B16 N196 D256 H4, one training step) on the native addon against the
// wasm default, alternating variant by variant in one process so load drift hits all alike:
//   wasm            XNNPACK matmuls, fused ops as wasm SIMD (the default without the addon)
//   native, stock   addon BLAS, the block written as stock tfjs ops (the path the issue's
//                   53-64 GFLOP/s figure measured)
//   native + wasm fused    addon BLAS, fused ops as wasm SIMD (nativeFused: false)
//   native + native fused  addon BLAS and the addon's fused kernels (the default with the addon)
// Prints medians of wall and process CPU time (all threads), GFLOP/s on both, the median of
// per-round ratios to `wasm`, each variant's loss, and the addon's sgemm 1024^3 rate.
// Needs the addon (`pnpm build:native`).
//   node --conditions=source --import tsx bench/native-ab.ts [rounds] [--profile]
import { loadavg } from 'node:os';
import { enableFastKernels, type FastKernelsOptions } from '../src/enable.js';
import { loadNativeBlas } from '../src/native-blas.js';
import { seededValues, tf } from '../test/backends.js';
import {
  type BlockShape,
  blockGradients,
  blockStepFlops,
  makeBlockWeights,
} from '../test/transformer-block.js';
import { idiomaticBlockGradients } from './idiomatic-block.js';

const shape: BlockShape = { batch: 16, tokens: 196, width: 256, heads: 4 };
const rounds = Number(process.argv[2] ?? 6);
const profile = process.argv.includes('--profile');

/** stock: tfjs ops; fused: the test block through the fused ops; idiomatic: bench/idiomatic-block.ts. */
type Block = 'stock' | 'fused' | 'idiomatic' | 'idiomatic, composed attention';
interface Variant {
  name: string;
  options: FastKernelsOptions;
  block: Block;
}
const variants: Variant[] = [
  { name: 'wasm (XNNPACK + wasm SIMD fused)', options: { native: 'off' }, block: 'fused' },
  { name: 'native BLAS, stock-op block', options: { native: 'require' }, block: 'stock' },
  {
    name: 'native BLAS + wasm SIMD fused',
    options: { native: 'require', nativeFused: false },
    block: 'fused',
  },
  { name: 'native BLAS + native fused', options: { native: 'require' }, block: 'fused' },
  { name: 'wasm, idiomatic block', options: { native: 'off' }, block: 'idiomatic' },
  {
    name: 'native, idiomatic block, attention composed',
    options: { native: 'require' },
    block: 'idiomatic, composed attention',
  },
  { name: 'native, idiomatic block', options: { native: 'require' }, block: 'idiomatic' },
];

// SPARSIFY_BENCH_VARIANTS=0,3,5 runs only those (the first listed is the ratios' reference).
const picked = process.env.SPARSIFY_BENCH_VARIANTS;
if (picked != null && picked !== '') {
  const chosen = picked.split(',').map((i) => variants[Number(i)]);
  if (chosen.some((v) => v == null)) throw new Error(`native-ab: no variant among ${picked}`);
  variants.splice(0, variants.length, ...(chosen as Variant[]));
}

function gradients(block: Block) {
  if (block === 'idiomatic') return idiomaticBlockGradients(tf, shape, weights, x);
  if (block === 'idiomatic, composed attention')
    return idiomaticBlockGradients(tf, shape, weights, x, 'composition');
  return blockGradients(tf, shape, weights, x, block === 'fused');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const load = loadNativeBlas();
if (!load.loaded) throw new Error(`native-ab needs the addon: ${load.reason}`);
await tf.setBackend('wasm');
await tf.ready();
const weights = makeBlockWeights(tf, shape, 7);
const x = tf.tensor3d(seededValues(shape.batch * shape.tokens * shape.width, 3), [
  shape.batch,
  shape.tokens,
  shape.width,
]);

async function step(variant: Variant) {
  await enableFastKernels(variant.options);
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const { value, grads } = gradients(variant.block);
  const loss = value.dataSync()[0] as number;
  tf.dispose([value, ...Object.values(grads)]);
  const cpu = process.cpuUsage(cpuStart);
  return { wall: performance.now() - start, cpu: (cpu.user + cpu.system) / 1000, loss };
}

/** GFLOP/s of one 1024^3 product through the addon (best of 10). */
async function sgemmRate(): Promise<number> {
  await enableFastKernels({ native: 'require' });
  const a = tf.tensor2d(seededValues(1024 * 1024, 1), [1024, 1024]);
  const b = tf.tensor2d(seededValues(1024 * 1024, 2), [1024, 1024]);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 11; i++) {
    const start = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    if (i > 0) best = Math.min(best, performance.now() - start);
  }
  tf.dispose([a, b]);
  return (2 * 1024 ** 3) / 1e9 / (best / 1000);
}

const loadBefore = loadavg()[0] as number;
const losses = [];
for (const variant of variants) {
  losses.push((await step(variant)).loss);
  await step(variant);
}
const walls: number[][] = variants.map(() => []);
const cpus: number[][] = variants.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = variants.map((_, i) => i);
  if (r % 2 === 1) order.reverse();
  for (const i of order) {
    const t = await step(variants[i]!);
    walls[i]!.push(t.wall);
    cpus[i]!.push(t.cpu);
  }
}
const sgemm = await sgemmRate();
const loadAfter = loadavg()[0] as number;

const gflop = blockStepFlops(shape) / 1e9;
const ratio = (of: number[][], i: number) =>
  median(of[i]!.map((v, r) => v / (of[0]![r] as number)));
console.log(
  `block B${shape.batch} N${shape.tokens} D${shape.width} H${shape.heads} (${gflop.toFixed(2)} GFLOP a step), ${rounds} rounds alternating; addon threads ${load.blas.threads()}, fused kernels ${load.blas.kernelVariant()}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
);
console.log(`addon sgemm 1024^3: ${sgemm.toFixed(1)} GFLOP/s (best of 10, wall)`);
console.log(
  `| path | wall ms | CPU ms (all threads) | GFLOP/s wall | GFLOP/s per CPU-second | wall / first | CPU / first | loss |`,
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [i, v] of variants.entries()) {
  const wall = median(walls[i]!);
  const cpu = median(cpus[i]!);
  console.log(
    `| ${v.name} | ${wall.toFixed(0)} | ${cpu.toFixed(0)} | ${(gflop / (wall / 1000)).toFixed(1)} | ${(gflop / (cpu / 1000)).toFixed(1)} | ${ratio(walls, i).toFixed(3)} | ${ratio(cpus, i).toFixed(3)} | ${losses[i]!.toPrecision(8)} |`,
  );
}

if (profile) {
  for (const v of variants.filter((v) => v.block !== 'stock')) {
    await enableFastKernels(v.options);
    const info = await tf.profile(() => {
      const { value, grads } = gradients(v.block);
      return [value, ...Object.values(grads)];
    });
    const byKernel = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += Number(k.kernelTimeMs);
      e.calls++;
      byKernel.set(k.name, e);
    }
    const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
    console.log(`\nPer kernel, one step, ${v.name} (total ${total.toFixed(0)} ms, wall):`);
    console.log('| kernel | calls | ms | share |\n|---|---:|---:|---:|');
    for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14))
      console.log(
        `| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(1)}% |`,
      );
  }
}
tf.dispose([x, ...Object.values(weights)]);
