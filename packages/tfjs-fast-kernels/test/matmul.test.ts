import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableFastKernels } from '../src/index.js';
import { setSimdKernelsAllowed } from '../src/simd-kernels.js';
import {
  SIMD_MATMUL_MAX_B,
  SIMD_MATMUL_MAX_WORK,
  setSimdMatMulBlockBytes,
} from '../src/xnnpack-matmul.js';
import { maxAbsDiff, seededValues, sizeOf, tf, valuesOn } from './backends.js';
import { engines } from './engines.js';

/** A product in logical form: op(A) is [...batchA, m, k], op(B) is [...batchB, k, n]. */
interface Product {
  batchA: number[];
  batchB: number[];
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

function storedShapes(p: Product): { a: number[]; b: number[] } {
  return {
    a: [...p.batchA, ...(p.transposeA ? [p.k, p.m] : [p.m, p.k])],
    b: [...p.batchB, ...(p.transposeB ? [p.n, p.k] : [p.k, p.n])],
  };
}

function broadcastBatch(x: number[], y: number[]): number[] {
  const rank = Math.max(x.length, y.length);
  const pad = (s: number[]) => [...Array(rank - s.length).fill(1), ...s];
  return pad(x).map((d, i) => Math.max(d, pad(y)[i] as number));
}

/** The cpu backend only broadcasts one side, so its operands are broadcast explicitly. */
function cpuReference(
  p: Product,
  a: tf.Tensor,
  b: tf.Tensor,
  fused?: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
) {
  const batch = broadcastBatch(p.batchA, p.batchB);
  const aFull = tf.broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
  const bFull = tf.broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  return fused == null ? tf.matMul(aFull, bFull, p.transposeA, p.transposeB) : fused(aFull, bFull);
}

async function matMulGap(p: Product, seed: number): Promise<{ gap: number; scale: number }> {
  const shapes = storedShapes(p);
  const aValues = seededValues(sizeOf(shapes.a), seed);
  const bValues = seededValues(sizeOf(shapes.b), seed + 1);
  const make = () => [tf.tensor(aValues, shapes.a), tf.tensor(bValues, shapes.b)] as const;
  const expected = await valuesOn('cpu', () => cpuReference(p, ...make()));
  const actual = await valuesOn('wasm', () => tf.matMul(...make(), p.transposeA, p.transposeB));
  return {
    gap: maxAbsDiff(expected, actual),
    scale: expected.reduce((most, v) => Math.max(most, Math.abs(v)), 1),
  };
}

const layouts: Array<Omit<Product, 'transposeA' | 'transposeB'> & { name: string }> = [
  { name: '2-D', batchA: [], batchB: [], m: 5, k: 7, n: 3 },
  { name: 'batch of one', batchA: [1], batchB: [1], m: 6, k: 9, n: 5 },
  { name: 'equal batches', batchA: [3], batchB: [3], m: 4, k: 6, n: 7 },
  {
    name: 'batch of A against 2-D weights (one tall GEMM)',
    batchA: [2, 3],
    batchB: [],
    m: 5,
    k: 6,
    n: 9,
  },
  { name: 'batch of A against batch-1 weights', batchA: [4], batchB: [1], m: 3, k: 10, n: 6 },
  { name: '2-D A against a batch of B', batchA: [], batchB: [3], m: 7, k: 5, n: 2 },
  { name: 'broadcast on both sides', batchA: [2, 1], batchB: [1, 3], m: 3, k: 5, n: 6 },
  { name: 'rank-4 attention scores', batchA: [2, 4], batchB: [2, 4], m: 13, k: 8, n: 11 },
  { name: 'all dimensions one', batchA: [2], batchB: [2], m: 1, k: 1, n: 1 },
  { name: 'larger than a cache block', batchA: [2], batchB: [], m: 67, k: 129, n: 33 },
];
const transposes = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** [m, k, n] of the SparsifyMatMul in-place checks: a weight gradient, odd sizes, a tall product. */
const IN_PLACE_PRODUCTS = [
  [64, 640, 192],
  [13, 8, 11],
  [640, 64, 128],
] as const;

const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;

for (const engine of engines) {
  describe.skipIf(!engine.available)(
    `BatchMatMul and _FusedMatMul on wasm, ${engine.name}${engine.reason}`,
    () => {
      beforeAll(async () => {
        const report = await enableFastKernels({ native: engine.native });
        expect(report.matmulEngine).toBe(engine.native === 'off' ? 'xnnpack' : 'native-blas');
      });

      for (const layout of layouts) {
        for (const [transposeA, transposeB] of transposes) {
          it(`matches cpu: ${layout.name}, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
            const { gap, scale } = await matMulGap({ ...layout, transposeA, transposeB }, 11);
            expect(gap).toBeLessThan(1e-5 * scale * layout.k);
          });
        }
      }

      it('matches cpu for random shapes, transposes and batches', async () => {
        const batches = fc.constantFrom<[number[], number[]]>(
          [[], []],
          [[2], [2]],
          [[3], []],
          [[], [2]],
          [[1], [3]],
          [[2, 2], [1]],
        );
        const dim = fc.integer({ min: 1, max: 12 });
        await fc.assert(
          fc.asyncProperty(
            batches,
            dim,
            dim,
            dim,
            fc.boolean(),
            fc.boolean(),
            fc.nat(1000),
            async ([batchA, batchB], m, k, n, tA, tB, seed) => {
              const { gap, scale } = await matMulGap(
                { batchA, batchB, m, k, n, transposeA: tA, transposeB: tB },
                seed,
              );
              expect(gap).toBeLessThan(1e-5 * scale * k);
            },
          ),
          { numRuns: 40, seed: 42 },
        );
      });

      for (const activation of activations) {
        for (const biasShape of [null, 'row', 'matrix'] as const) {
          it(`fused matMul matches cpu: activation=${activation}, bias=${biasShape ?? 'none'}`, async () => {
            const p: Product = {
              batchA: [3],
              batchB: [],
              m: 6,
              k: 5,
              n: 7,
              transposeA: true,
              transposeB: false,
            };
            const shapes = storedShapes(p);
            const aValues = seededValues(sizeOf(shapes.a), 5);
            const bValues = seededValues(sizeOf(shapes.b), 6);
            const biasDims =
              biasShape === 'row' ? [p.n] : biasShape === 'matrix' ? [p.m, p.n] : null;
            const biasValues = biasDims == null ? null : seededValues(sizeOf(biasDims), 7);
            const preluValues = seededValues(p.n, 8);
            const fused = (a: tf.Tensor, b: tf.Tensor) =>
              tf.fused.matMul({
                a,
                b,
                transposeA: p.transposeA,
                transposeB: p.transposeB,
                bias:
                  biasValues == null || biasDims == null
                    ? undefined
                    : tf.tensor(biasValues, biasDims),
                activation,
                preluActivationWeights:
                  activation === 'prelu' ? tf.tensor1d(preluValues) : undefined,
                leakyreluAlpha: 0.15,
              });
            const make = () =>
              [tf.tensor(aValues, shapes.a), tf.tensor(bValues, shapes.b)] as const;
            const expected = await valuesOn('cpu', () => cpuReference(p, ...make(), fused));
            const actual = await valuesOn('wasm', () => fused(...make()));
            expect(maxAbsDiff(expected, actual)).toBeLessThan(1e-5 * p.k);
          });
        }
      }

      // Small products run as the SIMD module's matMulSlice, larger ones (and every one when
      // SIMD is off) through XNNPACK: both routes against cpu, at the demo model's shapes too.
      // Registered only for the wasm-only engine (the native engine routes every product to
      // the addon), so these do not show up as skipped tests under the native engine.
      const describeWasmRoutes = engine.native === 'off' ? describe : () => {};
      describeWasmRoutes('each route of the wasm path', () => {
        const shapes: Array<Omit<Product, 'transposeA' | 'transposeB'> & { name: string }> = [
          ...layouts,
          {
            name: 'attention heads 80 x 80 x 16',
            batchA: [8, 4],
            batchB: [8, 4],
            m: 80,
            k: 80,
            n: 16,
          },
          {
            name: 'attention scores 80 x 16 x 80',
            batchA: [8, 4],
            batchB: [8, 4],
            m: 80,
            k: 16,
            n: 80,
          },
          {
            name: 'question keys, column tail',
            batchA: [2, 4],
            batchB: [2, 4],
            m: 80,
            k: 16,
            n: 14,
          },
          { name: 'weight gradient 64 x 640 x 192', batchA: [], batchB: [], m: 64, k: 640, n: 192 },
          { name: 'patch embedding 640 x 768 x 64', batchA: [], batchB: [], m: 640, k: 768, n: 64 },
          {
            name: 'k in blocks, odd rows, column tails 33 x 700 x 21',
            batchA: [2],
            batchB: [2],
            m: 33,
            k: 700,
            n: 21,
          },
        ];
        for (const simd of [true, false]) {
          for (const shape of shapes) {
            for (const [transposeA, transposeB] of transposes) {
              it(`matches cpu (${simd ? 'SIMD matMulSlice' : 'XNNPACK'}): ${shape.name}, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
                setSimdKernelsAllowed(simd);
                try {
                  const { gap, scale } = await matMulGap({ ...shape, transposeA, transposeB }, 3);
                  expect(gap).toBeLessThan(1e-5 * scale * shape.k);
                } finally {
                  setSimdKernelsAllowed(true);
                }
              });
            }
          }
        }

        for (const simd of [true, false]) {
          it(`SparsifyMatMul reads transposed operands in place: explicit transposes' floats, bit for bit (${simd ? 'SIMD' : 'XNNPACK'})`, async () => {
            await tf.setBackend('wasm');
            setSimdKernelsAllowed(simd);
            try {
              for (const [m, k, n] of IN_PLACE_PRODUCTS) {
                for (const [transposeA, transposeB] of transposes) {
                  const a = tf.tensor2d(seededValues(m * k, m), transposeA ? [k, m] : [m, k]);
                  const b = tf.tensor2d(seededValues(k * n, n), transposeB ? [n, k] : [k, n]);
                  const inPlace = tf
                    .engine()
                    .runKernel('SparsifyMatMul', { a, b }, { transposeA, transposeB }) as tf.Tensor;
                  const explicit = tf.matMul(
                    transposeA ? tf.transpose(a) : a,
                    transposeB ? tf.transpose(b) : b,
                  );
                  expect(new Uint32Array(new Float32Array(inPlace.dataSync()).buffer)).toEqual(
                    new Uint32Array(new Float32Array(explicit.dataSync()).buffer),
                  );
                  tf.dispose([a, b, inPlace, explicit]);
                }
              }
            } finally {
              setSimdKernelsAllowed(true);
            }
          });
        }

        it('SIMD products in blocks of k: the floats of one pass over k, bit for bit', async () => {
          await tf.setBackend('wasm');
          const bits = (t: tf.Tensor) => new Uint32Array(new Float32Array(t.dataSync()).buffer);
          for (const [m, k, n] of [
            [33, 700, 21],
            [64, 1280, 192],
            [768, 640, 64],
          ] as const) {
            for (const [transposeA, transposeB] of transposes) {
              const a = tf.tensor2d(seededValues(m * k, m), transposeA ? [k, m] : [m, k]);
              const b = tf.tensor2d(seededValues(k * n, n), transposeB ? [n, k] : [k, n]);
              const previous = setSimdMatMulBlockBytes(0);
              const whole = tf.matMul(a, b, transposeA, transposeB);
              setSimdMatMulBlockBytes(previous);
              const blocked = tf.matMul(a, b, transposeA, transposeB);
              expect(bits(blocked)).toEqual(bits(whole));
              tf.dispose([a, b, whole, blocked]);
            }
          }
        });

        it('keeps XNNPACK for products past the SIMD bounds', () => {
          // The demo's products (the patch embedding's the largest) stay under both bounds;
          // the block bench's qkv ([3136, 256] x [256, 768]) does not.
          expect(640 * 768 * 64).toBeLessThanOrEqual(SIMD_MATMUL_MAX_WORK);
          expect(64 * 640 * 192).toBeLessThanOrEqual(SIMD_MATMUL_MAX_WORK);
          expect(640 * 192).toBeLessThanOrEqual(SIMD_MATMUL_MAX_B);
          expect(3136 * 256 * 768).toBeGreaterThan(SIMD_MATMUL_MAX_WORK);
        });
      });

      if (engine.native !== 'off') {
        it("SparsifyMatMul reads transposed operands in place on the addon: explicit transposes' product within float rounding", async () => {
          for (const [m, k, n] of IN_PLACE_PRODUCTS) {
            for (const [transposeA, transposeB] of transposes) {
              const aShape: [number, number] = transposeA ? [k, m] : [m, k];
              const bShape: [number, number] = transposeB ? [n, k] : [k, n];
              const make = () =>
                [
                  tf.tensor2d(seededValues(m * k, m), aShape),
                  tf.tensor2d(seededValues(k * n, n), bShape),
                ] as const;
              const expected = await valuesOn('cpu', () => {
                const [a, b] = make();
                return tf.matMul(a, b, transposeA, transposeB);
              });
              const actual = await valuesOn('wasm', () => {
                const [a, b] = make();
                return tf
                  .engine()
                  .runKernel('SparsifyMatMul', { a, b }, { transposeA, transposeB }) as tf.Tensor;
              });
              expect(maxAbsDiff(expected, actual)).toBeLessThan(1e-5 * k);
            }
          }
        });
      }

      it('frees every intermediate (transposed copies, heap views)', async () => {
        await tf.setBackend('wasm');
        const a = tf.tensor(seededValues(2 * 9 * 4, 1), [2, 9, 4]);
        const b = tf.tensor(seededValues(2 * 5 * 9, 2), [2, 5, 9]);
        const run = () => tf.tidy(() => tf.matMul(a, b, true, true).sum());
        run().dispose();
        const dataIds = tf.engine().backend.numDataIds();
        const tensors = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) run().dispose();
        expect(tf.engine().backend.numDataIds()).toBe(dataIds);
        expect(tf.memory().numTensors).toBe(tensors);
        tf.dispose([a, b]);
      });
    },
  );
}
