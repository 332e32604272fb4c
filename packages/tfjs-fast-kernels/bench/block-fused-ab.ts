// The block bench's XNNPACK-only path (wasm + fast kernels, no native BLAS) with the block
// written as stock tfjs ops against the same block through this package's fused ops
// (layerNorm, gelu, softmax, splitHeads/mergeHeads), alternating step by step in one process
// so load drift hits both alike. Prints wall and CPU medians and the median per-pair ratio.
//   node --conditions=source --import tsx bench/block-fused-ab.ts [pairs]
import { enableFastKernels } from '../src/enable.js';
import { seededValues, tf } from '../test/backends.js';
import {
  type BlockShape,
  blockGradients,
  blockStepFlops,
  makeBlockWeights,
} from '../test/transformer-block.js';

const shape: BlockShape = { batch: 16, tokens: 196, width: 256, heads: 4 };
const pairs = Number(process.argv[2] ?? 8);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

await tf.setBackend('wasm');
await tf.ready();
await enableFastKernels({ native: 'off' });
const weights = makeBlockWeights(tf, shape, 7);
const x = tf.tensor3d(seededValues(shape.batch * shape.tokens * shape.width, 3), [
  shape.batch,
  shape.tokens,
  shape.width,
]);
const step = (fused: boolean) => {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const { value, grads } = blockGradients(tf, shape, weights, x, fused);
  const loss = value.dataSync()[0] as number;
  tf.dispose([value, ...Object.values(grads)]);
  const cpu = process.cpuUsage(cpuStart);
  return { wall: performance.now() - start, cpu: (cpu.user + cpu.system) / 1000, loss };
};
const first = [step(false), step(true)];
const walls: number[][] = [[], []];
const cpus: number[][] = [[], []];
for (let p = 0; p < pairs; p++) {
  for (const fused of p % 2 === 0 ? [false, true] : [true, false]) {
    const t = step(fused);
    walls[fused ? 1 : 0]!.push(t.wall);
    cpus[fused ? 1 : 0]!.push(t.cpu);
  }
}
const gflop = blockStepFlops(shape) / 1e9;
const ratio = (a: number[], b: number[]) => median(a.map((v, i) => (b[i] as number) / v));
console.log(
  `block B${shape.batch} N${shape.tokens} D${shape.width} H${shape.heads} (${gflop.toFixed(1)} GFLOP), wasm + XNNPACK, ${pairs} alternating pairs`,
);
console.log('| block written as | wall ms | CPU ms | GFLOP/s (CPU) | loss |');
console.log('|---|---:|---:|---:|---:|');
for (const [i, name] of ['stock tfjs ops', 'fused ops'].entries()) {
  console.log(
    `| ${name} | ${median(walls[i]!).toFixed(0)} | ${median(cpus[i]!).toFixed(0)} | ${(gflop / (median(cpus[i]!) / 1000)).toFixed(1)} | ${first[i]!.loss.toPrecision(8)} |`,
  );
}
console.log(
  `fused / stock: wall ${ratio(walls[0]!, walls[1]!).toFixed(3)}, CPU ${ratio(cpus[0]!, cpus[1]!).toFixed(3)} (median of per-pair ratios)`,
);
tf.dispose([x, ...Object.values(weights)]);
