// The largest gap of each fused op (forward and every gradient, relative to the largest
// reference magnitude) to the stock tfjs composition on wasm: the wasm SIMD kernels and the
// native addon's kernels in each instruction set, at the shapes of test/native-fused.test.ts.
// Needs the addon (`pnpm build:native`) and a CPU that runs AVX-512 for all three columns.
//   node --conditions=source --import tsx bench/native-fused-errors.ts
import { geluComposition } from '../src/gelu.js';
import {
  columnSum,
  enableFastKernels,
  gelu,
  layerNorm,
  packedSelfAttention,
  packedSelfAttentionComposition,
  softmax,
} from '../src/index.js';
import { layerNormComposition } from '../src/layer-norm.js';
import { loadNativeBlas } from '../src/native-blas.js';
import { softmaxComposition } from '../src/softmax.js';
import { seededValues, tf } from '../test/backends.js';

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
const vg = (op: Op, inputs: () => tf.Tensor[]) =>
  tf.tidy(() => {
    const xs = inputs();
    const out = op(...xs);
    const w = tf.tensor(seededValues(out.size, 99), out.shape);
    const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(op(...ys), w)))(xs);
    return [out, ...g].map((t) => Float32Array.from(t.dataSync()));
  });
const gap = (a: Float32Array[], b: Float32Array[]) =>
  Math.max(
    ...a.map((v, i) => {
      let g = 0,
        s = 1e-30;
      const r = b[i]!;
      for (let j = 0; j < v.length; j++) {
        g = Math.max(g, Math.abs(v[j]! - r[j]!));
        s = Math.max(s, Math.abs(r[j]!));
      }
      return g / s;
    }),
  );
/** The block's stock attention over packed q|k|v (B 2, N 197, D 64, H 4). */
function stockAttention(qkv: tf.Tensor2D): tf.Tensor {
  const [q, k, v] = tf
    .split(qkv, 3, 1)
    .map((part) => tf.transpose(tf.reshape(part, [2, 197, 4, 16]), [0, 2, 1, 3]));
  const context = tf.matMul(tf.softmax(tf.matMul(tf.mul(q!, 0.25), k!, false, true)), v!);
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [2 * 197, 64]);
}
const fastKernelsNative = () => tf.getKernel('SparsifyNativeAttention', 'wasm') != null;
await tf.setBackend('wasm');
const addon = (loadNativeBlas() as { blas: { kernelVariant(n?: string): string } }).blas;
const R = 400,
  W = 256;
const cases: Array<[string, Op, Op, () => tf.Tensor[]]> = [
  [
    'layerNorm [400,256]',
    (a, g, b) => layerNorm(a!, g!, b!),
    (a, g, b) => layerNormComposition(a!, g!, b!, 1e-5),
    () => [
      tf.tensor2d(
        seededValues(R * W, W).map((v) => 3 * v + 0.5),
        [R, W],
      ),
      tf.tensor1d(seededValues(W, 2).map((v) => 1 + v)),
      tf.tensor1d(seededValues(W, 3)),
    ],
  ],
  [
    'gelu [400,256]',
    (a) => gelu(a!),
    (a) => geluComposition(a!),
    () => [
      tf.tensor2d(
        seededValues(R * W, 7).map((v) => 3 * v + 0.5),
        [R, W],
      ),
    ],
  ],
  [
    'columnSum [400,256]',
    (a) => columnSum(a!),
    (a) => tf.sum(a!, 0),
    () => [tf.tensor2d(seededValues(R * W, 11), [R, W])],
  ],
  [
    'softmax+bias [2,4,197,197]',
    (l, b) => softmax(l!, b!),
    (l, b) => softmaxComposition(l!, b!),
    () => [
      tf.tensor(
        seededValues(2 * 4 * 197 * 197, 4).map((v) => 4 * v),
        [2, 4, 197, 197],
      ),
      tf.tensor2d(
        seededValues(2 * 197, 5).map((v, i) => (i % 7 === 6 ? -1e9 : 2 * v)),
        [2, 197],
      ),
    ],
  ],
  [
    // The wasm column: the one-node composition (wasm SIMD kernels); the native ones: the
    // attention core (its softmax in each instruction set).
    'packedSelfAttention [2x197, 3x64] H4',
    (x) =>
      fastKernelsNative()
        ? packedSelfAttention(x as tf.Tensor2D, { batch: 2, heads: 4 })
        : packedSelfAttentionComposition(x as tf.Tensor2D, { batch: 2, heads: 4 }),
    (x) => stockAttention(x as tf.Tensor2D),
    () => [
      tf.tensor2d(
        seededValues(2 * 197 * 192, 5).map((v) => 2 * v),
        [2 * 197, 192],
      ),
    ],
  ],
];
for (const [name, fused, stock, inputs] of cases) {
  await enableFastKernels({ native: 'require', nativeFused: false });
  const ref = vg(stock, inputs);
  const simd = gap(vg(fused, inputs), ref);
  const row = [`wasm SIMD ${simd.toExponential(1)}`];
  await enableFastKernels({ native: 'require' });
  for (const v of ['avx512', 'avx2', 'baseline']) {
    addon.kernelVariant(v);
    row.push(`${v} ${gap(vg(fused, inputs), ref).toExponential(1)}`);
  }
  addon.kernelVariant('avx512');
  console.log(`| ${name} | ${row.join(' | ')} |`);
}
