import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableFastKernels } from '../src/index.js';
import { seededValues, tf, valuesOn } from './backends.js';

/** Float32 bits, so that equal means the same floats (and the same NaNs), not close ones. */
function bits(values: ArrayLike<number>): Uint32Array {
  return new Uint32Array(Float32Array.from(values).buffer);
}

async function sameOnCpuAndWasm(run: () => tf.Tensor): Promise<void> {
  const expected = await valuesOn('cpu', run);
  const actual = await valuesOn('wasm', run);
  expect(bits(actual)).toEqual(bits(expected));
}

// The SIMD Add adds the same floats as any IEEE float32 addition (the cpu backend's too:
// float32 inputs summed in float64 and rounded give the float32 sum), so the results are
// equal bit for bit, whichever route the shapes take.
describe('Add on wasm', () => {
  beforeAll(async () => {
    await enableFastKernels({ native: 'off' });
  });

  const cases: Array<[string, number[], number[]]> = [
    ['same shape, 105 values (vector tail)', [3, 5, 7], [3, 5, 7]],
    ['a bias row [7]', [3, 5, 7], [7]],
    ['a bias row first', [7], [3, 5, 7]],
    ['a row [1, 1, 7]', [3, 5, 7], [1, 1, 7]],
    ['a row [1, 64] on [1280, 64]', [1280, 64], [1, 64]],
    ['a column [5, 1] (stock kernel)', [3, 5, 7], [5, 1]],
    ['a scalar (stock kernel)', [3, 5, 7], []],
    ['rank-4 row against rank-2 (stock kernel)', [5, 7], [1, 1, 1, 7]],
  ];
  for (const [name, aShape, bShape] of cases) {
    it(`${name}: the floats of the cpu backend`, async () => {
      const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
      await sameOnCpuAndWasm(() =>
        tf.add(
          tf.tensor(seededValues(size(aShape), 3), aShape),
          tf.tensor(seededValues(size(bShape), 4), bShape),
        ),
      );
    });
  }

  it('NaN and infinities propagate as in IEEE addition', async () => {
    await sameOnCpuAndWasm(() =>
      tf.add(
        tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, 1, -0, 3, 4]),
        tf.tensor1d([1, Number.NEGATIVE_INFINITY, Number.NaN, 0, -3, 1e-45]),
      ),
    );
  });

  it('int32 goes to the stock kernel', async () => {
    const run = () => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32'));
    expect(Array.from(await valuesOn('wasm', run))).toEqual([5, 7, 9]);
  });

  it('is registered as a wasm kernel by enableFastKernels', async () => {
    const report = await enableFastKernels({ native: 'off' });
    expect(report.kernels).toContain('Add');
  });

  it('same-shape and row adds of any size match cpu bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 37 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        async (rows, width, row, seed) => {
          await sameOnCpuAndWasm(() =>
            tf.add(
              tf.tensor2d(seededValues(rows * width, seed), [rows, width]),
              row
                ? tf.tensor1d(seededValues(width, seed + 1))
                : tf.tensor2d(seededValues(rows * width, seed + 1), [rows, width]),
            ),
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});
