import v8 from 'node:v8';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { disableFastKernels, enableFastKernels, FusedKernelName } from '../src/index.js';
import { seededValues, tf } from './backends.js';

// The FMA build needs relaxed SIMD, behind a flag on Node 20 (as test/fma-build.test.ts).
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

afterAll(() => disableFastKernels());

/** Float32 bits, so that equal means the same floats, not close ones. */
function bits(values: ArrayLike<number>): Uint32Array {
  return new Uint32Array(Float32Array.from(values).buffer);
}

function operands(rows: number, inCols: number, outCols: number, seed: number) {
  return {
    x: tf.tensor2d(seededValues(rows * inCols, seed), [rows, inCols]),
    dy: tf.tensor2d(seededValues(rows * outCols, seed + 1), [rows, outCols]),
  };
}

/** The kernel's [dw, db] and those of SparsifyMatMul (x^T dy) and SparsifyColumnSum (dy). */
function bothWays(rows: number, inCols: number, outCols: number, seed: number) {
  return tf.tidy(() => {
    const { x, dy } = operands(rows, inCols, outCols, seed);
    const fused = tf.engine().runKernel(FusedKernelName.weightBiasGrad, { x, dy }) as tf.Tensor[];
    const dw = tf.engine().runKernel(
      FusedKernelName.transposedMatMul,
      { a: x, b: dy },
      {
        transposeA: true,
        transposeB: false,
      },
    ) as tf.Tensor;
    const db = tf.engine().runKernel(FusedKernelName.columnSum, { x: dy }) as tf.Tensor;
    expect(fused.map((t) => t.shape)).toEqual([[inCols, outCols], [outCols]]);
    return [fused.map((t) => t.dataSync().slice()), [dw, db].map((t) => t.dataSync().slice())];
  });
}

// The tiny encoder's linear layers (batch 8, both streams: 1280 rows; the patch embedding's
// 640), p (the rows) in 5 to 40 blocks of 16 KB of dy, vector tails (out not a multiple of 16
// or 4, in odd), one row, one column.
const SHAPES: Array<[string, number, number, number]> = [
  ['proj [1280, 64]^T [1280, 64]', 1280, 64, 64],
  ['fc2 [1280, 128]^T [1280, 64]', 1280, 128, 64],
  ['qkv [1280, 64]^T [1280, 192]', 1280, 64, 192],
  ['patches [640, 768]^T [640, 64]', 640, 768, 64],
  ['tails [37, 5]^T [37, 3]', 37, 5, 3],
  ['tails and blocks [700, 9]^T [700, 21]', 700, 9, 21],
  ['one row [1, 7]^T [1, 64]', 1, 7, 64],
  ['one column [33, 1]^T [33, 1]', 33, 1, 1],
];

for (const build of ['off', 'require'] as const) {
  describe(`SparsifyWeightBiasGrad on wasm (${build === 'off' ? 'stock' : 'FMA'} SIMD build)`, () => {
    it('is registered, and the build is the one asked for', async () => {
      const report = await enableFastKernels({ native: 'off', fma: build });
      await tf.setBackend('wasm');
      expect(report.kernels).toContain(FusedKernelName.weightBiasGrad);
      expect(report.simdBuild).toBe(build === 'off' ? 'stock' : 'fma');
    });

    for (const [name, rows, inCols, outCols] of SHAPES) {
      it(`${name}: the floats of SparsifyMatMul and SparsifyColumnSum, bit for bit`, () => {
        const [fused, separate] = bothWays(rows, inCols, outCols, rows + inCols + outCols);
        for (const i of [0, 1])
          expect(bits(fused![i] as Float32Array)).toEqual(bits(separate![i] as Float32Array));
      });
    }

    it('any shape: bit for bit the two kernels (property)', async () => {
      await fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 700 }),
          fc.integer({ min: 1, max: 41 }),
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 1, max: 1000 }),
          (rows, inCols, outCols, seed) => {
            const [fused, separate] = bothWays(rows, inCols, outCols, seed);
            for (const i of [0, 1])
              expect(bits(fused![i] as Float32Array)).toEqual(bits(separate![i] as Float32Array));
          },
        ),
        { numRuns: 40 },
      );
    });

    it('is one launch where the two kernels are two, and leaves nothing behind', async () => {
      const { x, dy } = operands(80, 64, 48, 5);
      const before = tf.memory().numTensors;
      const dataBefore = tf.engine().backend.numDataIds();
      const kernels = (
        await tf.profile(() => {
          tf.dispose(
            tf.engine().runKernel(FusedKernelName.weightBiasGrad, { x, dy }) as tf.Tensor[],
          );
        })
      ).kernels.map((kernel) => kernel.name);
      expect(kernels).toEqual([FusedKernelName.weightBiasGrad]);
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
      tf.dispose([x, dy]);
    });

    it('bad shapes give errors naming the kernel and the shapes', () => {
      tf.tidy(() => {
        expect(() =>
          tf.engine().runKernel(FusedKernelName.weightBiasGrad, {
            x: tf.zeros([4, 3]),
            dy: tf.zeros([5, 2]),
          }),
        ).toThrow(
          /SparsifyWeightBiasGrad: expected x \[R, in\] and dy \[R, out\], got \[4,3\] and \[5,2\]/,
        );
      });
    });
  });
}

describe('SparsifyWeightBiasGrad without the SIMD module', () => {
  it('is not registered on the cpu backend (callers run the product and the column sum there)', async () => {
    await enableFastKernels({ native: 'off' });
    expect(tf.getKernel(FusedKernelName.weightBiasGrad, 'cpu')).toBeUndefined();
  });
});
