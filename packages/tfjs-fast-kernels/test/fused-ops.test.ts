import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeHeadsComposition, splitHeadsComposition } from '../src/attention-heads.js';
import { fastTanh } from '../src/fast-tanh.js';
import { geluComposition } from '../src/gelu.js';
import {
  columnSum,
  disableFastKernels,
  enableFastKernels,
  gelu,
  layerNorm,
  mergeHeads,
  softmax,
  splitHeads,
} from '../src/index.js';
import { layerNormComposition } from '../src/layer-norm.js';
import { softmaxComposition } from '../src/softmax.js';
import { seededValues, tf } from './backends.js';
import { FUSED_BOUNDS, relativeGap } from './fused-bounds.js';

/**
 * Each fused op against the stock composition it replaces, forward and gradient, on cpu and
 * wasm. The bounds (README, "Fused ops") are on the largest gap relative to the largest
 * reference magnitude: fused kernels sum in doubles and tanh is rational, so they differ
 * from stock float32 compositions by rounding, not bit for bit.
 */

type Op = (...inputs: tf.Tensor[]) => tf.Tensor;

/** Values and every input's gradient of sum(op(inputs) * weights), as plain arrays. */
function valueAndGrads(op: Op, inputs: () => tf.Tensor[], weights: () => tf.Tensor) {
  return tf.tidy(() => {
    const xs = inputs();
    const value = op(...xs);
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(op(...ys), weights())))(xs);
    return [value, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

function compare(fused: Op, stock: Op, inputs: () => tf.Tensor[], outputShape: number[]): number[] {
  const size = outputShape.reduce((a, b) => a * b, 1);
  const weights = () => tf.tensor(seededValues(size, 99), outputShape);
  const expected = valueAndGrads(stock, inputs, weights);
  const actual = valueAndGrads(fused, inputs, weights);
  return actual.map((values, i) => relativeGap(values, expected[i] as number[]));
}

const SHAPE = [4, 7, 48];
const size = SHAPE.reduce((a, b) => a * b, 1);
const x = () =>
  tf.tensor(
    seededValues(size, 1).map((v) => 3 * v + 0.5),
    SHAPE,
  );
const gamma = () => tf.tensor1d(seededValues(48, 2).map((v) => 1 + v));
const beta = () => tf.tensor1d(seededValues(48, 3));

const BOUND = FUSED_BOUNDS;

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused ops on ${backend}`, () => {
    let kernels: string[] = [];
    beforeAll(async () => {
      await tf.setBackend(backend);
      kernels = (await enableFastKernels({ native: 'off' })).fusedKernels;
    });
    afterAll(() => disableFastKernels());

    it('registers every fused kernel on this backend', () => {
      expect(kernels).toEqual([
        'SparsifyLayerNorm',
        'SparsifyGelu',
        'SparsifySoftmax',
        'SparsifyColumnSum',
        'SparsifySplitHeads',
        'SparsifyMergeHeads',
      ]);
      for (const name of kernels) expect(tf.getKernel(name, backend)).toBeDefined();
    });

    it(`layerNorm: value, dx, dgamma, dbeta within ${BOUND.layerNorm} of the composition`, () => {
      const gaps = compare(
        (a, g, b) => layerNorm(a!, g!, b!, 1e-5),
        (a, g, b) => layerNormComposition(a!, g!, b!, 1e-5),
        () => [x(), gamma(), beta()],
        SHAPE,
      );
      expect(gaps).toHaveLength(4);
      for (const gap of gaps) expect(gap).toBeLessThan(BOUND.layerNorm);
    });

    it(`gelu: value and dx within ${BOUND.gelu} of the composition`, () => {
      const gaps = compare(
        (a) => gelu(a!),
        (a) => geluComposition(a!),
        () => [x()],
        SHAPE,
      );
      for (const gap of gaps) expect(gap).toBeLessThan(BOUND.gelu);
    });

    it(`softmax with a key bias: value, dlogits, dbias within ${BOUND.softmax}`, () => {
      const scores = [2, 3, 5, 11];
      const bias = () =>
        tf.tensor2d(
          seededValues(2 * 11, 5).map((v, i) => (i % 7 === 6 ? -1e9 : 2 * v)),
          [2, 11],
        );
      const logits = () =>
        tf.tensor(
          seededValues(2 * 3 * 5 * 11, 4).map((v) => 4 * v),
          scores,
        );
      const gaps = compare(
        (l, b) => softmax(l!, b!),
        (l, b) => softmaxComposition(l!, b!),
        () => [logits(), bias()],
        scores,
      );
      expect(gaps).toHaveLength(3);
      for (const gap of gaps) expect(gap).toBeLessThan(BOUND.softmax);
      const plain = compare(
        (l) => softmax(l!),
        (l) => softmaxComposition(l!),
        () => [logits()],
        scores,
      );
      for (const gap of plain) expect(gap).toBeLessThan(BOUND.softmax);
    });

    it(`columnSum: value and dx within ${BOUND.columnSum}`, () => {
      const gaps = compare(
        (a) => columnSum(a!),
        (a) => tf.sum(tf.reshape(a!, [-1, 48]), 0),
        () => [x()],
        [48],
      );
      for (const gap of gaps) expect(gap).toBeLessThan(BOUND.columnSum);
    });

    it('splitHeads and mergeHeads: exact copies (and scalings) of the composition, values and gradients', () => {
      const rows = 2 * 5;
      const qkv = () => tf.tensor2d(seededValues(rows * 24, 8), [rows, 24]);
      const attrs = (offset: number, scale: number) => ({
        batch: 2,
        heads: 2,
        offset,
        width: 8,
        scale,
      });
      for (const [offset, scale] of [
        [0, 1],
        [8, 0.5],
        [16, 1 / 3],
      ] as const) {
        const gaps = compare(
          (a) => splitHeads(a as tf.Tensor2D, attrs(offset, scale)),
          (a) => splitHeadsComposition(a as tf.Tensor2D, attrs(offset, scale)),
          () => [qkv()],
          [2, 2, 5, 4],
        );
        for (const gap of gaps) expect(gap).toBe(0);
      }
      const part = (seed: number) => () =>
        tf.tensor4d(seededValues(2 * 2 * 5 * 4, seed), [2, 2, 5, 4]);
      const gaps = compare(
        (a, b, c) => mergeHeads([a, b, c] as tf.Tensor4D[], [1, 0.5, 2]),
        (a, b, c) => mergeHeadsComposition([a, b, c] as tf.Tensor4D[], [1, 0.5, 2]),
        () => [part(1)(), part(2)(), part(3)()],
        [10, 24],
      );
      expect(gaps).toHaveLength(4);
      for (const gap of gaps) expect(gap).toBe(0);
    });

    it('layerNorm keeps its bound for any row count, width >= 8 and scale', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 8, max: 70 }),
          fc.double({ min: 1e-2, max: 1e2, noNaN: true }),
          fc.integer({ min: 1, max: 1000 }),
          (rows, width, scale, seed) => {
            const xs = () =>
              tf.tensor2d(
                seededValues(rows * width, seed).map((v) => scale * v),
                [rows, width],
              );
            const g = () => tf.tensor1d(seededValues(width, seed + 1));
            const b = () => tf.tensor1d(seededValues(width, seed + 2));
            const gaps = compare(
              (a, gg, bb) => layerNorm(a!, gg!, bb!),
              (a, gg, bb) => layerNormComposition(a!, gg!, bb!, 1e-5),
              () => [xs(), g(), b()],
              [rows, width],
            );
            // Rows narrower than 8 are left out: there dx is nearly 0 by cancellation (for 2
            // values, exactly 0 but for epsilon), so the reference is rounding noise.
            for (const gap of gaps) expect(gap).toBeLessThan(BOUND.layerNormAnyShape);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('rejects mismatched shapes, naming the op and the shapes', () => {
      expect(() => layerNorm(x(), tf.ones([5]), beta())).toThrow(/gamma must be \[48\], got \[5\]/);
      expect(() => softmax(tf.ones([2, 3, 4]), tf.ones([3, 4]))).toThrow(/bias must be \[2, 4\]/);
    });

    it('leaks no tensors through a fused forward and backward', () => {
      const before = tf.memory().numTensors;
      valueAndGrads(
        (a, g, b) => gelu(layerNorm(a!, g!, b!)),
        () => [x(), gamma(), beta()],
        () => tf.ones(SHAPE),
      );
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe('the ops without the kernels', () => {
  it('fall back to the stock composition (same values exactly)', async () => {
    disableFastKernels();
    await tf.setBackend('cpu');
    const fused = valueAndGrads(
      (a, g, b) => gelu(layerNorm(a!, g!, b!)),
      () => [x(), gamma(), beta()],
      () => tf.ones(SHAPE),
    );
    const stock = valueAndGrads(
      (a, g, b) => geluComposition(layerNormComposition(a!, g!, b!, 1e-5)),
      () => [x(), gamma(), beta()],
      () => tf.ones(SHAPE),
    );
    expect(fused).toEqual(stock);
  });
});

describe('fastTanh', () => {
  it('stays within 3e-7 of Math.tanh (below 3 float32 ulps at 1) and is odd, flat past the clamp', () => {
    fc.assert(
      fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (v) => {
        expect(Math.abs(fastTanh(v) - Math.tanh(v))).toBeLessThan(3e-7);
        expect(fastTanh(-v)).toBe(-fastTanh(v));
      }),
      { numRuns: 2000 },
    );
    expect(fastTanh(1e9)).toBe(fastTanh(8));
    expect(1 - fastTanh(1e9)).toBeLessThan(3e-7);
  });
});
