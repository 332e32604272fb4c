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

function operands(m: number, k: number, n: number, seed: number) {
  return {
    a: tf.tensor2d(seededValues(m * k, seed), [m, k]),
    b: tf.tensor2d(seededValues(k * n, seed + 1), [k, n]),
    bias: tf.tensor1d(seededValues(n, seed + 2)),
  };
}

/** The kernel's values and those of BatchMatMul then Add on the same backend and build. */
function bothWays(m: number, k: number, n: number, seed: number) {
  return tf.tidy(() => {
    const { a, b, bias } = operands(m, k, n, seed);
    const fused = tf.engine().runKernel(FusedKernelName.biasMatMul, { a, b, bias }) as tf.Tensor;
    const composed = tf.add(tf.matMul(a, b), bias);
    return [fused.dataSync().slice(), composed.dataSync().slice()];
  });
}

// Shapes of the tiny encoder's linear layers (batch 8, both streams), vector tails (n not a
// multiple of 16 or 4, odd rows), p in several blocks (B rows of 16 KB: n 17 -> 240 rows a
// block, n 64 -> 64), one row.
const SHAPES: Array<[string, number, number, number]> = [
  ['qkv [1280, 64] x [64, 192]', 1280, 64, 192],
  ['fc2 [640, 256] x [256, 64] (4 blocks of p)', 640, 256, 64],
  ['patches [640, 768] x [768, 64] (12 blocks of p)', 640, 768, 64],
  ['tails [7, 5] x [5, 3]', 7, 5, 3],
  ['tails and blocks [33, 300] x [300, 17]', 33, 300, 17],
  ['one row [1, 64] x [64, 21]', 1, 64, 21],
];

for (const build of ['off', 'require'] as const) {
  describe(`SparsifyBiasMatMul on wasm (${build === 'off' ? 'stock' : 'FMA'} SIMD build)`, () => {
    it('is registered, and the build is the one asked for', async () => {
      const report = await enableFastKernels({ native: 'off', fma: build });
      await tf.setBackend('wasm');
      expect(report.kernels).toContain(FusedKernelName.biasMatMul);
      expect(report.simdBuild).toBe(build === 'off' ? 'stock' : 'fma');
    });

    for (const [name, m, k, n] of SHAPES) {
      it(`${name}: the floats of BatchMatMul then Add, bit for bit`, () => {
        const [fused, composed] = bothWays(m, k, n, m + k + n);
        expect(bits(fused as Float32Array)).toEqual(bits(composed as Float32Array));
      });
    }

    it('any shape: bit for bit BatchMatMul then Add (property)', async () => {
      await fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 41 }),
          fc.integer({ min: 1, max: 600 }),
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 1, max: 1000 }),
          (m, k, n, seed) => {
            const [fused, composed] = bothWays(m, k, n, seed);
            expect(bits(fused as Float32Array)).toEqual(bits(composed as Float32Array));
          },
        ),
        { numRuns: 40 },
      );
    });

    it('is one launch where the two kernels are two, and leaves nothing behind', async () => {
      const { a, b, bias } = operands(64, 64, 48, 5);
      const before = tf.memory().numTensors;
      const dataBefore = tf.engine().backend.numDataIds();
      // tf.profile reuses one record: read each before the next profile.
      const fused = (
        await tf.profile(() => {
          tf.dispose(
            tf.engine().runKernel(FusedKernelName.biasMatMul, { a, b, bias }) as tf.Tensor,
          );
        })
      ).kernels.map((kernel) => kernel.name);
      const composed = (
        await tf.profile(() => {
          tf.tidy(() => {
            tf.add(tf.matMul(a, b), bias);
          });
        })
      ).kernels.map((kernel) => kernel.name);
      expect(fused).toEqual([FusedKernelName.biasMatMul]);
      expect(composed).toEqual(['BatchMatMul', 'Add']);
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
      tf.dispose([a, b, bias]);
    });

    it('bad shapes give errors naming the kernel and the shapes', () => {
      tf.tidy(() => {
        const a = tf.zeros([4, 3]);
        expect(() =>
          tf
            .engine()
            .runKernel(FusedKernelName.biasMatMul, { a, b: tf.zeros([2, 5]), bias: tf.zeros([5]) }),
        ).toThrow(
          /SparsifyBiasMatMul: expected a \[R, K\] and b \[K, N\], got \[4,3\] and \[2,5\]/,
        );
        expect(() =>
          tf
            .engine()
            .runKernel(FusedKernelName.biasMatMul, { a, b: tf.zeros([3, 5]), bias: tf.zeros([4]) }),
        ).toThrow(/SparsifyBiasMatMul: expected bias \[5\], got \[4\]/);
      });
    });
  });
}

describe('SparsifyBiasMatMul without the SIMD module', () => {
  it('is not registered on the cpu backend (callers compose matMul and add there)', async () => {
    await enableFastKernels({ native: 'off' });
    expect(tf.getKernel(FusedKernelName.biasMatMul, 'cpu')).toBeUndefined();
  });
});
