import v8 from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { disableFastKernels, enableFastKernels, fmaBuildSupport, softmax } from '../src/index.js';
import { seededValues, tf } from './backends.js';
import { FMA_BOUNDS, FUSED_BOUNDS, relativeGap } from './fused-bounds.js';

/**
 * The SIMD softmax's exp (assembly/kernels.ts, expV). Issue 23o dropped its two clamps and
 * folded two integer steps into one: on the stock build that must give the floats of the
 * earlier clamped form bit for bit, which `clampedSoftmaxRows` below computes in float32
 * (Math.fround after every operation, in the SIMD loop's order: lanes of 4, two vectors a
 * pass, the lane sums pairwise, the scalar tail last). The FMA build fuses the exp's
 * multiply-adds, so its floats differ: it is held to FMA_BOUNDS.softmax of the stock build
 * and to FUSED_BOUNDS.softmax of the stock composition on cpu, forward and gradient.
 */

// Node 20 validates relaxed SIMD (the FMA build) only behind this V8 flag, as in fma-build.test.ts.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const f = Math.fround;
const LOG2E = f(Math.LOG2E);
const LN2_HI = f(0.693359375);
const LN2_LO = f(-2.1219444e-4);
const MAGIC = f(12582912);
const POLY = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
  5.0000001201e-1,
].map(f);
const bits = new DataView(new ArrayBuffer(4));

/** The exp before issue 23o, one lane, in float32: clamps to [-87.3, 88.7], 0 below -80. */
function clampedExp(value: number): number {
  // biome-ignore lint/complexity/useMathMinMax: f32x4.pmax's semantics (a NaN value stays), not Math.max's
  let x = value < f(-87.3) ? f(-87.3) : value;
  // biome-ignore lint/complexity/useMathMinMax: f32x4.pmin's semantics, as above
  x = f(88.7) < x ? f(88.7) : x;
  const t = f(f(x * LOG2E) + MAGIC);
  const n = f(t - MAGIC);
  let r = f(x - f(n * LN2_HI));
  r = f(r - f(n * LN2_LO));
  let p = POLY[0] as number;
  for (const c of POLY.slice(1)) p = f(f(p * r) + c);
  p = f(f(f(p * f(r * r)) + r) + 1);
  bits.setFloat32(0, t);
  bits.setInt32(0, ((bits.getInt32(0) - 0x4b400000 + 127) << 23) | 0);
  const scale = bits.getFloat32(0);
  return value < -80 ? 0 : f(p * scale);
}

/** softmaxRows of assembly/kernels.ts with the clamped exp, every operation in float32. */
function clampedSoftmaxRows(logits: Float32Array, bias: Float32Array, width: number): Float32Array {
  const rows = logits.length / width;
  const rowsPerGroup = rows / (bias.length / width);
  const y = new Float32Array(logits.length);
  const vecEnd = width & ~3;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    const b = Math.floor(r / rowsPerGroup) * width;
    let m = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < width; i++) {
      y[o + i] = f((logits[o + i] as number) + (bias[b + i] as number));
      m = Math.max(m, y[o + i] as number);
    }
    const lanes = [0, 0, 0, 0];
    let i = 0;
    for (; i + 8 <= vecEnd; i += 8) {
      for (let l = 0; l < 4; l++) {
        const e = clampedExp(f((y[o + i + l] as number) - m));
        const g = clampedExp(f((y[o + i + 4 + l] as number) - m));
        y[o + i + l] = e;
        y[o + i + 4 + l] = g;
        lanes[l] = f(f((lanes[l] as number) + e) + g);
      }
    }
    for (; i < vecEnd; i += 4)
      for (let l = 0; l < 4; l++) {
        const e = clampedExp(f((y[o + i + l] as number) - m));
        y[o + i + l] = e;
        lanes[l] = f((lanes[l] as number) + e);
      }
    const [l0, l1, l2, l3] = lanes as [number, number, number, number];
    let total = f(f(l0 + l1) + f(l2 + l3));
    for (; i < width; i++) {
      const e = clampedExp(f((y[o + i] as number) - m));
      y[o + i] = e;
      total = f(total + e);
    }
    const inverse = f(1 / total);
    for (let j = 0; j < width; j++) y[o + j] = f((y[o + j] as number) * inverse);
  }
  return y;
}

/** Logits over the exp's whole range: ordinary scores, and keys 70-400 below the row's max. */
function logitsOf(groups: number, rows: number, width: number, seed: number): Float32Array {
  return seededValues(groups * rows * width, seed).map((v, i) =>
    i % 7 === 3 ? -80 - 320 * Math.abs(v) : i % 11 === 5 ? -70 - 20 * Math.abs(v) : 6 * v,
  );
}

/** Key biases as the encoder gives them: 0 or small, and -1e9 for a padded key. */
function biasOf(groups: number, width: number, seed: number): Float32Array {
  return seededValues(groups * width, seed).map((v, i) => (i % 5 === 4 ? -1e9 : v));
}

async function onWasm(fma: 'off' | 'auto'): Promise<void> {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off', fma });
}

afterAll(() => disableFastKernels());

const widths = [1, 3, 4, 7, 8, 13, 16, 23, 80];

describe("the SIMD softmax's exp", () => {
  it("gives the clamped exp's floats bit for bit on the stock build (widths 1-80, padded keys, scores down to -400)", async () => {
    await onWasm('off');
    for (const width of widths) {
      const [groups, rows] = [2, 9];
      const logits = logitsOf(groups, rows, width, width);
      const bias = biasOf(groups, width, width + 1);
      const y = tf.tidy(() =>
        softmax(
          tf.tensor3d(logits, [groups, rows, width]),
          tf.tensor2d(bias, [groups, width]),
        ).dataSync(),
      );
      const expected = clampedSoftmaxRows(logits, bias, width);
      expect(Array.from(y), `width ${width}`).toEqual(Array.from(expected));
    }
  });

  const support = fmaBuildSupport();
  it.skipIf(!support.available)(
    'stays within FMA_BOUNDS.softmax of the stock build and FUSED_BOUNDS.softmax of the stock composition on cpu on the FMA build (forward and gradient)',
    async () => {
      const run = (width: number) =>
        tf.tidy(() => {
          const [groups, rows] = [4, 80];
          const logits = tf.tensor3d(logitsOf(groups, rows, width, 3 * width), [
            groups,
            rows,
            width,
          ]);
          const bias = tf.tensor2d(biasOf(groups, width, 3 * width + 1), [groups, width]);
          const w = tf.tensor3d(seededValues(groups * rows * width, 7), [groups, rows, width]);
          const op = (x: tf.Tensor) =>
            tf.getBackend() === 'cpu'
              ? tf.softmax(tf.add(x, tf.reshape(bias, [groups, 1, width])))
              : softmax(x, bias);
          const y = op(logits);
          const [dx] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(op(x), w)))([logits]);
          return [y, dx as tf.Tensor].map((t) => Float32Array.from(t.dataSync()));
        });
      let anyDifference = false;
      for (const width of widths) {
        disableFastKernels();
        await tf.setBackend('cpu');
        const composition = run(width);
        await onWasm('off');
        const stock = run(width);
        await onWasm('auto');
        const fma = run(width);
        for (const [i, values] of fma.entries()) {
          const what = `width ${width}, ${i === 0 ? 'forward' : 'gradient'}`;
          expect(relativeGap(values, composition[i]!), what).toBeLessThan(FUSED_BOUNDS.softmax);
          expect(relativeGap(values, stock[i]!), what).toBeLessThan(FMA_BOUNDS.softmax);
          anyDifference ||= values.some((v, j) => v !== stock[i]![j]);
        }
      }
      // The FMA build's exp really ran: fused multiply-adds change some floats.
      expect(anyDifference).toBe(true);
    },
  );
});
