import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { setSimdKernelsAllowed, simdKernelsFor } from '../src/simd-kernels.js';
import { asWasmHeapBackend } from '../src/wasm-heap.js';
import { seededValues, tf } from './backends.js';
import { FUSED_BOUNDS } from './fused-bounds.js';

const script = fileURLToPath(new URL('../scripts/build-simd.mjs', import.meta.url));

describe('the SIMD kernels', () => {
  it('are what assembly/kernels.ts builds to (scripts/build-simd.mjs --check)', () => {
    const run = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 60_000);

  describe('on the wasm heap', () => {
    beforeAll(async () => {
      await tf.setBackend('wasm');
      await enableFastKernels({ native: 'off' });
    });
    afterAll(() => {
      setSimdKernelsAllowed(true);
      disableFastKernels();
    });

    it('instantiate over the backend memory', () => {
      const backend = asWasmHeapBackend(tf.engine().backend);
      if (typeof backend === 'string') throw new Error(backend);
      expect(simdKernelsFor(backend)).not.toBeNull();
    });

    /** Values and gradients of sum(op(xs) * w) with SIMD on, then with the JS loops. */
    function simdAndLoops(op: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[]) {
      const run = () =>
        tf.tidy(() => {
          const xs = inputs();
          const out = op(...xs);
          const w = tf.tensor(seededValues(out.size, 7), out.shape);
          const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(op(...ys), w)))(xs);
          return [out, ...grads].map((t) => Float32Array.from(t.dataSync()));
        });
      setSimdKernelsAllowed(true);
      const simd = run();
      setSimdKernelsAllowed(false);
      const loops = run();
      setSimdKernelsAllowed(true);
      return simd.map((values, i) => {
        const reference = loops[i] as Float32Array;
        let gap = 0;
        let scale = 1e-30;
        for (let j = 0; j < values.length; j++) {
          gap = Math.max(gap, Math.abs((values[j] as number) - (reference[j] as number)));
          scale = Math.max(scale, Math.abs(reference[j] as number));
        }
        return gap / scale;
      });
    }

    it('give padded keys a probability of exactly 0, never a float32 denormal', () => {
      const logits = tf.tensor3d(seededValues(2 * 3 * 9, 4), [2, 3, 9]);
      const bias = tf.tensor2d(
        Array.from({ length: 18 }, (_, i) => (i % 3 === 0 ? -1e9 : i % 3 === 1 ? -85 : 0)),
        [2, 9],
      );
      const y = softmax(logits, bias).dataSync();
      for (const [i, p] of y.entries()) {
        if (i % 3 === 0) expect(p).toBe(0);
        expect(p === 0 || Math.abs(p) >= 1.1754943508222875e-38).toBe(true);
      }
      tf.dispose([logits, bias]);
    });

    for (const depth of [3, 4, 9]) {
      it(`split and merge heads exactly as the JS loops at head width ${depth}`, () => {
        const width = 2 * depth;
        const qkv = () => tf.tensor2d(seededValues(2 * 5 * 3 * width, depth), [10, 3 * width]);
        const split = (a: tf.Tensor) =>
          splitHeads(a as tf.Tensor2D, { batch: 2, heads: 2, offset: width, width, scale: 1 / 3 });
        for (const gap of simdAndLoops(split, () => [qkv()])) expect(gap).toBe(0);
        const part = (seed: number) =>
          tf.tensor4d(seededValues(2 * 2 * 5 * depth, seed), [2, 2, 5, depth]);
        const merge = (a: tf.Tensor, b: tf.Tensor) => mergeHeads([a, b] as tf.Tensor4D[], [0.3, 1]);
        for (const gap of simdAndLoops(merge, () => [part(1), part(2)])) expect(gap).toBe(0);
      });
    }

    // Widths that are and are not multiples of 4 (the SIMD loops' scalar tails).
    for (const width of [4, 7, 48, 61]) {
      it(`agree with the JS loops at width ${width} (float32 vs double sums)`, () => {
        const rows = 37;
        const x = () =>
          tf.tensor2d(
            seededValues(rows * width, width).map((v) => 4 * v),
            [rows, width],
          );
        const g = () => tf.tensor1d(seededValues(width, 2));
        const b = () => tf.tensor1d(seededValues(width, 3));
        for (const gap of simdAndLoops(
          (a, gg, bb) => layerNorm(a!, gg!, bb!),
          () => [x(), g(), b()],
        ))
          expect(gap).toBeLessThan(FUSED_BOUNDS.layerNorm);
        for (const gap of simdAndLoops(
          (a) => gelu(a!),
          () => [x()],
        ))
          expect(gap).toBeLessThan(FUSED_BOUNDS.gelu);
        for (const gap of simdAndLoops(
          (a) => columnSum(a!),
          () => [x()],
        ))
          expect(gap).toBeLessThan(FUSED_BOUNDS.columnSum);
        const logits = () => tf.tensor3d(seededValues(rows * 2 * width, 5), [2, rows, width]);
        const bias = () =>
          tf.tensor2d(
            seededValues(2 * width, 6).map((v, i) => (i === 1 ? -1e9 : v)),
            [2, width],
          );
        for (const gap of simdAndLoops(
          (l, bb) => softmax(l!, bb!),
          () => [logits(), bias()],
        ))
          expect(gap).toBeLessThan(FUSED_BOUNDS.softmax);
      });
    }
  });
});
