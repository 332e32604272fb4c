import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geluComposition } from '../src/gelu.js';
import {
  columnSum,
  disableFastKernels,
  enableFastKernels,
  gelu,
  layerNorm,
  softmax,
} from '../src/index.js';
import { layerNormComposition } from '../src/layer-norm.js';
import { nativeFusedKernels } from '../src/native-fused.js';
import { softmaxComposition } from '../src/softmax.js';
import { seededValues, tf } from './backends.js';
import { nativeLoad, requireNative } from './engines.js';
import { FUSED_BOUNDS } from './fused-bounds.js';

/**
 * The addon's fused kernels (native/fused-kernels.c) on the wasm heap, in every instruction
 * set this CPU runs, against the stock tfjs compositions they replace (forward and every
 * gradient, the bounds of test/fused-bounds.ts). Shapes are chosen so rows are split over
 * the addon's threads and widths leave tails that do not fill a 16-float vector.
 */

type Op = (...inputs: tf.Tensor[]) => tf.Tensor;

/** Values and every input's gradient of sum(op(inputs) * w), as plain arrays. */
function valueAndGrads(op: Op, inputs: () => tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const xs = inputs();
    const out = op(...xs);
    const w = tf.tensor(seededValues(out.size, 99), out.shape);
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(op(...ys), w)))(xs);
    return [out, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

/** The stock compositions' results do not depend on the variant: computed once per case. */
const stockResults = new Map<string, Float32Array[]>();
function stock(key: string, op: Op, inputs: () => tf.Tensor[]): Float32Array[] {
  let result = stockResults.get(key);
  if (result === undefined) {
    result = valueAndGrads(op, inputs);
    stockResults.set(key, result);
  }
  return result;
}

/** max |a - b| / max |b|, per output. */
function gaps(actual: Float32Array[], expected: Float32Array[]): number[] {
  expect(actual).toHaveLength(expected.length);
  return actual.map((values, i) => {
    const reference = expected[i] as Float32Array;
    expect(values.length).toBe(reference.length);
    let gap = 0;
    let scale = 1e-30;
    for (let j = 0; j < values.length; j++) {
      gap = Math.max(gap, Math.abs((values[j] as number) - (reference[j] as number)));
      scale = Math.max(scale, Math.abs(reference[j] as number));
    }
    return gap / scale;
  });
}

const available = nativeLoad.loaded || requireNative;
const addon = nativeLoad.loaded ? nativeLoad.blas : null;
const variants = addon
  ? ['avx512', 'avx2', 'baseline'].filter((name) => {
      const before = addon.kernelVariant();
      const runs = addon.kernelVariant(name) === name;
      addon.kernelVariant(before);
      return runs;
    })
  : ['avx512'];
const skip = available ? '' : ` — SKIPPED: ${nativeLoad.reason}`;

describe.skipIf(!available)(`the native fused kernels on the wasm heap${skip}`, () => {
  let best = '';
  beforeAll(async () => {
    await tf.setBackend('wasm');
    const report = await enableFastKernels({ native: 'require' });
    expect(report.fusedEngine).toBe('native');
    best = report.native.kernelVariant ?? '';
  });
  afterAll(() => {
    addon?.kernelVariant(best);
    disableFastKernels();
  });

  it('serve the fused ops once the addon loads, and stop with nativeFused: false', async () => {
    expect(nativeFusedKernels()).not.toBeNull();
    const wasmOnly = await enableFastKernels({ native: 'require', nativeFused: false });
    expect(wasmOnly.fusedEngine).toBe('wasm');
    expect(nativeFusedKernels()).toBeNull();
    expect((await enableFastKernels({ native: 'require' })).fusedEngine).toBe('native');
    disableFastKernels();
    expect(nativeFusedKernels()).toBeNull();
    await enableFastKernels({ native: 'require' });
  });

  it('pick the widest instruction set this CPU runs', () => {
    expect(best).toBe(variants[0]);
  });

  for (const variant of variants) {
    describe(`compiled for ${variant}`, () => {
      beforeAll(() => {
        if (addon) expect(addon.kernelVariant(variant)).toBe(variant);
      });

      // 61 and 197: tails of 13 and 5 floats; 400 x 256: split over the threads.
      for (const [rows, width] of [
        [37, 61],
        [400, 256],
        [300, 197],
      ] as const) {
        it(`layerNorm [${rows}, ${width}]: value, dx, dgamma, dbeta within ${FUSED_BOUNDS.layerNormAnyShape}`, () => {
          const x = () =>
            tf.tensor2d(
              seededValues(rows * width, width).map((v) => 3 * v + 0.5),
              [rows, width],
            );
          const g = () => tf.tensor1d(seededValues(width, 2).map((v) => 1 + v));
          const b = () => tf.tensor1d(seededValues(width, 3));
          const native = valueAndGrads(
            (a, gg, bb) => layerNorm(a!, gg!, bb!),
            () => [x(), g(), b()],
          );
          const expected = stock(
            `layerNorm ${rows} ${width}`,
            (a, gg, bb) => layerNormComposition(a!, gg!, bb!, 1e-5),
            () => [x(), g(), b()],
          );
          const found = gaps(native, expected);
          expect(found).toHaveLength(4);
          for (const gap of found) expect(gap).toBeLessThan(FUSED_BOUNDS.layerNormAnyShape);
        });

        it(`gelu [${rows}, ${width}]: value and dx within ${FUSED_BOUNDS.gelu}`, () => {
          const x = () =>
            tf.tensor2d(
              seededValues(rows * width, 7).map((v) => 3 * v + 0.5),
              [rows, width],
            );
          for (const gap of gaps(
            valueAndGrads(
              (a) => gelu(a!),
              () => [x()],
            ),
            stock(
              `gelu ${rows} ${width}`,
              (a) => geluComposition(a!),
              () => [x()],
            ),
          ))
            expect(gap).toBeLessThan(FUSED_BOUNDS.gelu);
        });

        it(`columnSum [${rows}, ${width}]: within ${FUSED_BOUNDS.columnSum}`, () => {
          const x = () => tf.tensor2d(seededValues(rows * width, 11), [rows, width]);
          for (const gap of gaps(
            valueAndGrads(
              (a) => columnSum(a!),
              () => [x()],
            ),
            stock(
              `columnSum ${rows} ${width}`,
              (a) => tf.sum(a!, 0),
              () => [x()],
            ),
          ))
            expect(gap).toBeLessThan(FUSED_BOUNDS.columnSum);
        });
      }

      // [2, 4, 197, 197]: attention scores of the tiny encoder's shape (tail of 5); [2, 3, 5, 11]: tiny.
      for (const scores of [
        [2, 4, 197, 197],
        [2, 3, 5, 11],
      ]) {
        it(`softmax with a key bias ${JSON.stringify(scores)}: value, dlogits, dbias within ${FUSED_BOUNDS.softmax}`, () => {
          const [batch, , , keys] = scores as [number, number, number, number];
          const size = scores.reduce((a, b) => a * b, 1);
          const logits = () =>
            tf.tensor(
              seededValues(size, 4).map((v) => 4 * v),
              scores,
            );
          const bias = () =>
            tf.tensor2d(
              seededValues(batch * keys, 5).map((v, i) => (i % 7 === 6 ? -1e9 : 2 * v)),
              [batch, keys],
            );
          const found = gaps(
            valueAndGrads(
              (l, b) => softmax(l!, b!),
              () => [logits(), bias()],
            ),
            stock(
              `softmax+bias ${scores}`,
              (l, b) => softmaxComposition(l!, b!),
              () => [logits(), bias()],
            ),
          );
          expect(found).toHaveLength(3);
          for (const gap of found) expect(gap).toBeLessThan(FUSED_BOUNDS.softmax);
          for (const gap of gaps(
            valueAndGrads(
              (l) => softmax(l!),
              () => [logits()],
            ),
            stock(
              `softmax ${scores}`,
              (l) => softmaxComposition(l!),
              () => [logits()],
            ),
          ))
            expect(gap).toBeLessThan(FUSED_BOUNDS.softmax);
        });
      }

      it('give padded keys a probability of exactly 0, never a float32 denormal', () => {
        // 21 keys: a full vector and a tail of 5; key j of each row is padded when j % 3 = 0.
        const logits = tf.tensor3d(seededValues(2 * 3 * 21, 4), [2, 3, 21]);
        const bias = tf.tensor2d(
          Array.from({ length: 42 }, (_, i) => (i % 3 === 0 ? -1e9 : i % 3 === 1 ? -85 : 0)),
          [2, 21],
        );
        const y = softmax(logits, bias).dataSync();
        for (const [i, p] of y.entries()) {
          if (i % 3 === 0) expect(p).toBe(0);
          expect(p === 0 || Math.abs(p) >= 1.1754943508222875e-38).toBe(true);
        }
        tf.dispose([logits, bias]);
      });

      it('give the same bits on every run (parts split by shape, not by timing)', () => {
        const x = () => tf.tensor2d(seededValues(400 * 256, 3), [400, 256]);
        const g = () => tf.tensor1d(seededValues(256, 2));
        const b = () => tf.tensor1d(seededValues(256, 5));
        const run = () =>
          valueAndGrads(
            (a, gg, bb) => gelu(layerNorm(a!, gg!, bb!)),
            () => [x(), g(), b()],
          );
        const bytes = (arrays: Float32Array[]) =>
          arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
        const first = bytes(run());
        for (let i = 0; i < 3; i++)
          for (const [j, b] of bytes(run()).entries())
            expect(Buffer.compare(b, first[j] as Buffer)).toBe(0);
      });
    });
  }
});
