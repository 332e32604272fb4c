import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { multiHeadAttention } from '../src/attention.js';
import {
  affine,
  affineOfData,
  gelu,
  matMulPlainGrad,
  normalizeScaleShift,
} from '../src/fused-ops.js';
import { BACKENDS, useBackend } from './fixtures.js';

/** The compositions the fused ops replace, exactly as the layers wrote them before. */
const plain = {
  affine: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D =>
    tf.add(matMulPlainGrad(x, w), b),
  gelu: (x: tf.Tensor) => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  },
  layerNorm: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, epsilon: number) => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normed, w), b);
  },
  attention: (
    q: tf.Tensor,
    k: tf.Tensor,
    v: tf.Tensor,
    {
      batch,
      queries,
      keys,
      heads,
    }: { batch: number; queries: number; keys: number; heads: number },
    bias: tf.Tensor | null,
  ) => {
    const width = q.shape[1]!;
    const split = (x: tf.Tensor, tokens: number) =>
      tf.transpose(tf.reshape(x, [batch, tokens, heads, width / heads]), [0, 2, 1, 3]);
    let scores = tf.matMul(
      tf.mul(split(q, queries), 1 / Math.sqrt(width / heads)),
      split(k, keys),
      false,
      true,
    );
    if (bias !== null) scores = tf.add(scores, tf.reshape(bias, [batch, 1, 1, keys]));
    const mixed = tf.matMul(tf.softmax(scores), split(v, keys));
    return tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [batch * queries, width]);
  },
};

function fusedLayerNorm(epsilon: number) {
  const scaleShift = normalizeScaleShift(epsilon);
  return (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return scaleShift(tf.sub(x, mean), variance, w, b);
  };
}

/** The float32 bit patterns, so that -0, NaN and last-bit differences all count. */
function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
}

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));
}

/**
 * Value and gradients of sum(f(inputs) * up) + sum(inputs[0] * side): the side term gives
 * the first input another consumer, as a residual connection does, so its gradient is a
 * sum over consumers in tape order. An empty `side` leaves it out.
 */
function valueAndGrads(
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  up: tf.Tensor,
  side: tf.Tensor,
): tf.Tensor[] {
  return tf.tidy(() => {
    const loss = (...xs: tf.Tensor[]) => {
      // Pass the first input through an op so that it is itself on the tape.
      const first = tf.mul(xs[0]!, 1);
      const out = f(first, ...xs.slice(1));
      const main = tf.sum(tf.mul(out, up));
      return side.size === 0 ? main : tf.add(main, tf.sum(tf.mul(first, side)));
    };
    const { value, grads } = tf.valueAndGrads(loss)(inputs);
    return [f(...inputs), value, ...grads];
  });
}

function expectSameBits(fused: tf.Tensor[], reference: tf.Tensor[]): void {
  expect(fused.length).toBe(reference.length);
  fused.forEach((t, i) => {
    expect(t.shape, `output ${i} shape`).toEqual(reference[i]!.shape);
    expect(bits(t), `output ${i}`).toEqual(bits(reference[i]!));
  });
}

describe.each(BACKENDS)('fused ops on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('matMulPlainGrad has matMul value and gradients, for any shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 1000 }),
        (rows, inner, cols, seed) => {
          const x = tf.randomNormal([rows, inner], 0, 1, 'float32', seed) as tf.Tensor2D;
          const w = tf.randomNormal([inner, cols], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
          const up = tf.randomNormal([rows, cols], 0, 1, 'float32', seed + 2);
          const loss =
            (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) => (a: tf.Tensor, b: tf.Tensor) =>
              tf.sum(tf.mul(f(a as tf.Tensor2D, b as tf.Tensor2D), up));
          const [gxRef, gwRef] = tf.grads(loss(tf.matMul))([x, w]);
          const [gx, gw] = tf.grads(loss(matMulPlainGrad))([x, w]);
          expect(Array.from(matMulPlainGrad(x, w).dataSync())).toEqual(
            Array.from(tf.matMul(x, w).dataSync()),
          );
          for (const [a, b] of [
            [gx!, gxRef!],
            [gw!, gwRef!],
          ] as const) {
            expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-4);
          }
          tf.dispose([x, w, up, gx!, gw!, gxRef!, gwRef!]);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('affine: x W + b and its gradients, bit for bit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 10_000 }),
        (rows, inner, cols, seed) => {
          const inputs = [
            random([rows, inner], seed),
            random([inner, cols], seed + 1),
            random([cols], seed + 2),
          ];
          const up = random([rows, cols], seed + 3);
          const side = random([rows, inner], seed + 4);
          const f = (g: typeof affine) => (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
            g(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D);
          const fused = valueAndGrads(f(affine), inputs, up, side);
          const reference = valueAndGrads(f(plain.affine), inputs, up, side);
          expectSameBits(fused, reference);
          tf.dispose([...inputs, up, side, ...fused, ...reference]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("affineOfData: affine's value and W, b gradients bit for bit, without x's gradient", async () => {
    const cases = fc.sample(
      fc.tuple(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 10_000 }),
      ),
      { numRuns: 20, seed: 7 },
    );
    for (const [rows, inner, cols, seed] of cases) {
      const x = random([rows, inner], seed) as tf.Tensor2D;
      const w = random([inner, cols], seed + 1);
      const b = random([cols], seed + 2);
      const up = random([rows, cols], seed + 3);
      const run = (g: typeof affine) => {
        const f = (wt: tf.Tensor, bt: tf.Tensor) =>
          tf.sum(tf.mul(g(x, wt as tf.Tensor2D, bt as tf.Tensor1D), up)) as tf.Scalar;
        const { value, grads } = tf.valueAndGrads(f)([w, b]);
        return [g(x, w as tf.Tensor2D, b as tf.Tensor1D), value, ...grads];
      };
      const reference = run(affine);
      const ofData = run(affineOfData);
      expectSameBits(ofData, reference);
      tf.dispose([x, w, b, up, ...ofData, ...reference]);
    }
    // The product dy W^T (x's gradient) is not computed: forward, dW and nothing else.
    const x = random([4, 3], 1) as tf.Tensor2D;
    const w = random([3, 2], 2);
    const b = random([2], 3);
    const products = async (g: typeof affine) => {
      const info = await tf.profile(() => {
        const grads = tf.grads((wt: tf.Tensor, bt: tf.Tensor) =>
          tf.sum(g(x, wt as tf.Tensor2D, bt as tf.Tensor1D)),
        )([w, b]);
        tf.dispose(grads);
      });
      return info.kernels.filter((k) => k.name === 'BatchMatMul').length;
    };
    expect(await products(affine)).toBe(3);
    expect(await products(affineOfData)).toBe(2);
    tf.dispose([x, w, b]);
  });

  // GELU's input feeds three of its ops, so bit-identity needs it to have no other consumer
  // (in the encoder it is fc1's output); with one, the sums differ only in their order.
  it('gelu and its gradient, bit for bit, from tiny to saturating inputs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(1e-3, 1, 4, 30),
        fc.integer({ min: 0, max: 10_000 }),
        (shape, scale, seed) => {
          const x = random(shape, seed, scale);
          const up = random(shape, seed + 1);
          const noSide = tf.zeros([0]);
          const fused = valueAndGrads(gelu, [x], up, noSide);
          const reference = valueAndGrads(plain.gelu, [x], up, noSide);
          expectSameBits(fused, reference);
          tf.dispose([x, up, noSide, ...fused, ...reference]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('LayerNorm after its moments: value and gradients (x, weight, bias), bit for bit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(1e-5, 1e-3),
        fc.constantFrom(1e-2, 1, 50),
        fc.integer({ min: 0, max: 10_000 }),
        (leading, features, epsilon, scale, seed) => {
          const shape = [...leading, features];
          const inputs = [
            random(shape, seed, scale),
            random([features], seed + 1),
            random([features], seed + 2),
          ];
          const up = random(shape, seed + 3);
          const side = random(shape, seed + 4);
          const fused = valueAndGrads(fusedLayerNorm(epsilon), inputs, up, side);
          const reference = valueAndGrads(
            (x, w, b) => plain.layerNorm(x, w, b, epsilon),
            inputs,
            up,
            side,
          );
          expectSameBits(fused, reference);
          tf.dispose([...inputs, up, side, ...fused, ...reference]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('gelu with another consumer of its input: the same gradient up to summation order', () => {
    const x = random([4, 6], 11, 2);
    const up = random([4, 6], 12);
    const side = random([4, 6], 13);
    const [, , fusedGrad] = valueAndGrads(gelu, [x], up, side);
    const [, , plainGrad] = valueAndGrads(plain.gelu, [x], up, side);
    const gap = tf.max(tf.abs(tf.sub(fusedGrad!, plainGrad!))).dataSync()[0]!;
    expect(gap).toBeLessThan(1e-6);
  });

  it('multi-head attention (self and cross, with and without a key bias): value and gradients of q, k, v, bit for bit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(1, 2, 4),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 10_000 }),
        (batch, queries, keys, heads, headDim, withBias, seed) => {
          const width = heads * headDim;
          const shape = { batch, queries, keys, heads };
          const inputs = [
            random([batch * queries, width], seed, 2),
            random([batch * keys, width], seed + 1, 2),
            random([batch * keys, width], seed + 2),
          ];
          const bias = withBias ? random([batch, keys], seed + 3) : null;
          const up = random([batch * queries, width], seed + 4);
          const side = random([batch * queries, width], seed + 5);
          const fused = valueAndGrads(
            (q, k, v) =>
              multiHeadAttention(
                q as tf.Tensor2D,
                k as tf.Tensor2D,
                v as tf.Tensor2D,
                shape,
                bias as tf.Tensor2D | null,
              ),
            inputs,
            up,
            side,
          );
          const reference = valueAndGrads(
            (q, k, v) => plain.attention(q, k, v, shape, bias),
            inputs,
            up,
            side,
          );
          expectSameBits(fused, reference);
          tf.dispose([...inputs, up, side, ...fused, ...reference, ...(bias ? [bias] : [])]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('all-equal features (zero variance) and a batch of one', () => {
    const x = tf.fill([1, 5], 3);
    const w = random([5], 1);
    const b = random([5], 2);
    const up = random([1, 5], 3);
    const side = random([1, 5], 4);
    const fused = valueAndGrads(fusedLayerNorm(1e-5), [x, w, b], up, side);
    const reference = valueAndGrads(
      (a, c, d) => plain.layerNorm(a, c, d, 1e-5),
      [x, w, b],
      up,
      side,
    );
    expectSameBits(fused, reference);
    expect(fused.every((t) => Array.from(t.dataSync()).every(Number.isFinite))).toBe(true);
  });

  it('records one tape node per op and launches fewer kernels than the composition', async () => {
    const x = random([16, 32], 5);
    const w = random([32], 6);
    const b = random([32], 7);
    const kernels = async (f: () => tf.Tensor[]) => {
      const info = await tf.profile(() => {
        tf.dispose(f());
      });
      return info.kernels.length;
    };
    const up = random([16, 32], 8);
    const side = random([16, 32], 9);
    const fusedLn = await kernels(() => valueAndGrads(fusedLayerNorm(1e-5), [x, w, b], up, side));
    const plainLn = await kernels(() =>
      valueAndGrads((a, c, d) => plain.layerNorm(a, c, d, 1e-5), [x, w, b], up, side),
    );
    const fusedGelu = await kernels(() => valueAndGrads(gelu, [x], up, side));
    const plainGelu = await kernels(() => valueAndGrads(plain.gelu, [x], up, side));
    expect(fusedLn).toBeLessThan(plainLn);
    expect(fusedGelu).toBeLessThan(plainGelu);
  });
});
