import v8 from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AttentionCoreAttrs,
  attentionCore,
  disableFastKernels,
  enableFastKernels,
  fmaBuildSupport,
} from '../src/index.js';
import { seededValues, tf } from './backends.js';
import { FMA_BOUNDS, FUSED_BOUNDS, relativeGap } from './fused-bounds.js';
import { type BlockShape, blockGradients, makeBlockWeights } from './transformer-block.js';

/**
 * The FMA build of the SIMD kernels (the products' inner loops as f32x4.relaxed_madd)
 * against the stock build and a float64 reference: one rounding per multiply-add instead of
 * two changes the floats, within FMA_BOUNDS. Node 20 validates relaxed SIMD only behind a V8
 * flag; the test process sets it (an app does the same, the library never does). Where the
 * runtime still does not validate it, the comparisons skip with the reason.
 */
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const support = fmaBuildSupport();
const skipReason = support.available ? '' : ` (skipped: ${support.reason})`;

afterAll(() => disableFastKernels());

async function onWasm(fma: 'off' | 'auto'): Promise<void> {
  await tf.setBackend('wasm');
  const report = await enableFastKernels({ native: 'off', fma });
  expect(report.simdBuild).toBe(fma === 'off' ? 'stock' : 'fma');
}

describe('enableFastKernels({ fma })', () => {
  it('reports the build it loaded and why', async () => {
    await tf.setBackend('wasm');
    const off = await enableFastKernels({ native: 'off' });
    expect(off.simdBuild).toBe('stock');
    expect(off.fma).toEqual({ mode: 'off', reason: "disabled by option fma: 'off'" });
    const auto = await enableFastKernels({ native: 'off', fma: 'auto' });
    expect(auto.simdBuild).toBe(support.available ? 'fma' : 'stock');
    expect(auto.fma).toEqual({ mode: 'auto', reason: support.reason });
    if (support.available) {
      const required = await enableFastKernels({ native: 'off', fma: 'require' });
      expect(required.simdBuild).toBe('fma');
    } else {
      await expect(enableFastKernels({ native: 'off', fma: 'require' })).rejects.toThrow(
        /fma: 'require' but/,
      );
    }
    await expect(
      enableFastKernels({ native: 'off', fma: 'yes' as unknown as 'auto' }),
    ).rejects.toThrow(/options\.fma must be 'auto' \| 'off' \| 'require', got yes/);
    disableFastKernels();
  });
});

/** The step's product shapes (tiny encoder, batch 8: 640 token rows, width 64, 4 heads of 16). */
const productCases = [
  { name: '[640,64] x [64,192] (qkv)', batch: 1, m: 640, k: 64, n: 192, ta: false, tb: false },
  { name: '[640,64] x [64,256] (fc1)', batch: 1, m: 640, k: 64, n: 256, ta: false, tb: false },
  { name: '[640,256] x [64,256]^T (fc1 dx)', batch: 1, m: 640, k: 256, n: 64, ta: false, tb: true },
  { name: '[640,64]^T x [640,192] (qkv dW)', batch: 1, m: 64, k: 640, n: 192, ta: true, tb: false },
  {
    name: '32 x [80,16] x [80,16]^T (scores)',
    batch: 32,
    m: 80,
    k: 16,
    n: 80,
    ta: false,
    tb: true,
  },
  {
    name: '32 x [80,80] x [80,16] (context)',
    batch: 32,
    m: 80,
    k: 80,
    n: 16,
    ta: false,
    tb: false,
  },
  { name: 'odd: 3 x [7,13] x [13,9]', batch: 3, m: 7, k: 13, n: 9, ta: false, tb: false },
];

/** op(a) op(b) per matrix in float64, the reference both builds are measured against. */
function productInFloat64(
  a: Float32Array,
  b: Float32Array,
  c: (typeof productCases)[number],
): Float64Array {
  const { batch, m, k, n, ta, tb } = c;
  const out = new Float64Array(batch * m * n);
  for (let s = 0; s < batch; s++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = a[s * m * k + (ta ? p * m + i : i * k + p)] as number;
          const bv = b[s * k * n + (tb ? j * k + p : p * n + j)] as number;
          sum += av * bv;
        }
        out[s * m * n + i * n + j] = sum;
      }
  return out;
}

describe(`the FMA build's products${skipReason}`, () => {
  it.skipIf(!support.available)(
    'stay within FMA_BOUNDS.products of float64 and of the stock build, on the step shapes',
    async () => {
      let anyDifference = false;
      for (const c of productCases) {
        const a = seededValues(c.batch * c.m * c.k, 11);
        const b = seededValues(c.batch * c.k * c.n, 12);
        const run = () =>
          tf.tidy(() => {
            const aShape = c.ta ? [c.batch, c.k, c.m] : [c.batch, c.m, c.k];
            const bShape = c.tb ? [c.batch, c.n, c.k] : [c.batch, c.k, c.n];
            return tf
              .matMul(tf.tensor3d(a, aShape as never), tf.tensor3d(b, bShape as never), c.ta, c.tb)
              .dataSync() as Float32Array;
          });
        await onWasm('off');
        const stock = Float32Array.from(run());
        await onWasm('auto');
        const fma = Float32Array.from(run());
        const exact = productInFloat64(a, b, c);
        const fmaGap = relativeGap(fma, exact);
        const stockGap = relativeGap(stock, exact);
        expect(fmaGap, c.name).toBeLessThan(FMA_BOUNDS.products);
        expect(stockGap, c.name).toBeLessThan(FMA_BOUNDS.products);
        expect(relativeGap(fma, stock), c.name).toBeLessThan(FMA_BOUNDS.products);
        anyDifference ||= fma.some((v, i) => v !== stock[i]);
      }
      // The FMA build really ran: one rounding instead of two changes some floats.
      expect(anyDifference).toBe(true);
    },
  );
});

describe(`the FMA build in the fused kernels${skipReason}`, () => {
  it.skipIf(!support.available)(
    'attentionCore (demo block, key bias) stays within FUSED_BOUNDS.attentionCore of the stock composition on cpu',
    async () => {
      const attrs: AttentionCoreAttrs = {
        batch: 4,
        heads: 4,
        width: 64,
        sources: [0, 0, 0],
        offsets: [0, 64, 128],
      };
      const valueAndGrads = (core: boolean) =>
        tf.tidy(() => {
          const x = tf.mul(tf.tensor2d(seededValues(320 * 192, 5), [320, 192]), 2) as tf.Tensor2D;
          const bias = tf.tensor2d(
            seededValues(4 * 80, 6).map((v) => Math.log(1 + 3 * Math.abs(v))),
            [4, 80],
          );
          const stock = (y: tf.Tensor2D) => {
            const [q, k, v] = tf
              .split(y, 3, 1)
              .map((part) => tf.transpose(tf.reshape(part, [4, 80, 4, 16]), [0, 2, 1, 3]));
            const scores = tf.add(
              tf.matMul(tf.mul(q as tf.Tensor, 0.25), k as tf.Tensor, false, true),
              tf.reshape(bias, [4, 1, 1, 80]),
            );
            const context = tf.matMul(tf.softmax(scores), v as tf.Tensor);
            return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [320, 64]);
          };
          const op = (y: tf.Tensor2D) => (core ? attentionCore([y], attrs, bias) : stock(y));
          const w = tf.tensor2d(seededValues(320 * 64, 99), [320, 64]);
          const out = op(x);
          const [dx] = tf.grads((y: tf.Tensor) => tf.sum(tf.mul(op(y as tf.Tensor2D), w)))([x]);
          return [out, dx as tf.Tensor].map((t) => Float32Array.from(t.dataSync()));
        });
      disableFastKernels();
      await tf.setBackend('cpu');
      const expected = valueAndGrads(false);
      await onWasm('auto');
      const actual = valueAndGrads(true);
      for (const [i, values] of actual.entries())
        expect(relativeGap(values, expected[i] as Float32Array)).toBeLessThan(
          FUSED_BOUNDS.attentionCore,
        );
    },
  );

  it.skipIf(!support.available)(
    "a transformer block's loss and every weight gradient agree with the stock build within FMA_BOUNDS.block (the trainer's shapes: batch 8, 80 tokens, width 64, 4 heads)",
    async () => {
      const shape: BlockShape = { batch: 8, tokens: 80, width: 64, heads: 4 };
      const run = () => {
        const weights = makeBlockWeights(tf, shape, 3);
        const result = tf.tidy(() => {
          const x = tf.tensor3d(seededValues(8 * 80 * 64, 21), [8, 80, 64]);
          const { value, grads } = blockGradients(tf, shape, weights, x, true);
          return [value, ...Object.values(weights).map((v) => grads[v.name] as tf.Tensor)].map(
            (t) => Float32Array.from(t.dataSync()),
          );
        });
        for (const v of Object.values(weights)) v.dispose();
        return result;
      };
      await onWasm('off');
      const stock = run();
      await onWasm('auto');
      const fma = run();
      const gaps = fma.map((values, i) => relativeGap(values, stock[i] as Float32Array));
      for (const gap of gaps) expect(gap).toBeLessThan(FMA_BOUNDS.block);
      expect(gaps.some((gap) => gap > 0)).toBe(true);
    },
  );
});
