// The fused kernels at the sizes of the demo model's masked step (batch 8, 20 tokens left):
// native (the addon) against wasm SIMD (nativeFused: false), alternating in one process,
// CPU microseconds per op (forward only), 8 rounds of 500 calls.
//   node --conditions=source --import tsx bench/fused-small-shapes.ts
import { enableFastKernels } from '../src/enable.js';
import { columnSum, gelu, layerNorm, softmax } from '../src/index.js';
import { seededValues, tf } from '../test/backends.js';

await tf.setBackend('wasm');
const x = tf.tensor2d(seededValues(160 * 64, 1), [160, 64]);
const h = tf.tensor2d(seededValues(160 * 256, 1), [160, 256]);
const g = tf.ones([64]);
const b = tf.zeros([64]);
const s = tf.tensor4d(seededValues(8 * 4 * 20 * 20, 2), [8, 4, 20, 20]);
const ops: Array<[string, () => tf.Tensor]> = [
  ['layerNorm [160,64]', () => layerNorm(x, g, b)],
  ['gelu [160,256]', () => gelu(h)],
  ['softmax [8,4,20,20]', () => softmax(s)],
  ['columnSum [160,64]', () => columnSum(x)],
];
for (const [name, op] of ops) {
  const t: number[][] = [[], []];
  for (let r = 0; r < 8; r++)
    for (const [i, nf] of [true, false].entries()) {
      await enableFastKernels({ native: 'require', nativeFused: nf });
      const c0 = process.cpuUsage();
      for (let k = 0; k < 500; k++) op().dispose();
      const c = process.cpuUsage(c0);
      t[i]!.push((c.user + c.system) / 500);
    }
  const med = (v: number[]) => v.sort((p, q) => p - q)[v.length >> 1]!;
  console.log(
    `${name}: native ${med(t[0]!).toFixed(2)} us, wasm SIMD ${med(t[1]!).toFixed(2)} us per op (CPU)`,
  );
}
