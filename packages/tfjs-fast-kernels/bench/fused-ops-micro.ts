// Each fused op against the stock composition it replaces, forward + backward, on the wasm
// backend, alternating in one process (CPU-time medians): SIMD kernels, the JS loops, stock.
//   node --conditions=source --import tsx bench/fused-ops-micro.ts [reps]
import { enableFastKernels } from '../src/enable.js';
import { gelu, geluComposition } from '../src/gelu.js';
import { layerNorm, layerNormComposition } from '../src/layer-norm.js';
import { setSimdKernelsAllowed } from '../src/simd-kernels.js';
import { softmax, softmaxComposition } from '../src/softmax.js';
import { seededValues, tf } from '../test/backends.js';

const reps = Number(process.argv[2] ?? 15);
await tf.setBackend('wasm');
await enableFastKernels({ native: 'off' });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
const cases: Array<{ name: string; inputs: () => tf.Tensor[]; fused: Op; stock: Op }> = [
  {
    name: 'softmax + key bias [8, 4, 197, 197]',
    inputs: () => [
      tf.tensor4d(seededValues(8 * 4 * 197 * 197, 1), [8, 4, 197, 197]),
      tf.tensor2d(seededValues(8 * 197, 2), [8, 197]),
    ],
    fused: (l, b) => softmax(l!, b!),
    stock: (l, b) => softmaxComposition(l!, b!),
  },
  {
    name: 'layerNorm [1576, 256]',
    inputs: () => [
      tf.tensor2d(seededValues(1576 * 256, 3), [1576, 256]),
      tf.tensor1d(seededValues(256, 4)),
      tf.tensor1d(seededValues(256, 5)),
    ],
    fused: (x, g, b) => layerNorm(x!, g!, b!),
    stock: (x, g, b) => layerNormComposition(x!, g!, b!, 1e-5),
  },
  {
    name: 'gelu [1576, 1024]',
    inputs: () => [tf.tensor2d(seededValues(1576 * 1024, 6), [1576, 1024])],
    fused: (x) => gelu(x!),
    stock: (x) => geluComposition(x!),
  },
];

for (const c of cases) {
  const xs = c.inputs();
  const run = (op: Op) => {
    const cpu = process.cpuUsage();
    const { value, grads } = tf.tidy(() => {
      const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(op(...ys)))(xs);
      return { value: g, grads: g };
    });
    grads[0]!.dataSync();
    tf.dispose(value);
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / 1000;
  };
  const times: number[][] = [[], [], []];
  for (let r = 0; r < reps; r++) {
    setSimdKernelsAllowed(true);
    times[0]!.push(run(c.fused));
    setSimdKernelsAllowed(false);
    times[1]!.push(run(c.fused));
    setSimdKernelsAllowed(true);
    times[2]!.push(run(c.stock));
  }
  const [simd, loops, stock] = times.map(median) as [number, number, number];
  console.log(
    `| ${c.name} | SIMD ${simd.toFixed(1)} ms | JS loops ${loops.toFixed(1)} ms | stock ${stock.toFixed(1)} ms | SIMD/stock ${(simd / stock).toFixed(2)} |`,
  );
  tf.dispose(xs);
}
