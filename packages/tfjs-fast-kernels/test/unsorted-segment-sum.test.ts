import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableFastKernels } from '../src/index.js';
import { maxAbsDiff, seededValues, sizeOf, tf, valuesOn } from './backends.js';

describe('UnsortedSegmentSum on wasm', () => {
  beforeAll(async () => {
    await enableFastKernels({ native: 'off' });
  });

  it('matches cpu for rows, ids out of range and empty segments', async () => {
    const xValues = seededValues(6 * 5, 1);
    const ids = [2, 0, 2, -1, 7, 0];
    const run = () =>
      tf.unsortedSegmentSum(tf.tensor2d(xValues, [6, 5]), tf.tensor1d(ids, 'int32'), 4);
    const expected = await valuesOn('cpu', run);
    const actual = await valuesOn('wasm', run);
    expect(actual.length).toBe(4 * 5);
    expect(maxAbsDiff(expected, actual)).toBeLessThan(1e-6);
  });

  it('sums int32 rows of any rank', async () => {
    const values = Array.from({ length: 12 }, (_, i) => i + 1);
    const ids = [1, 1, 0, 2, 0, 1];
    // The definition, row by row: each id owns one [1, 2] row of x.
    const expected = [0, 0, 0, 0, 0, 0];
    ids.forEach((segment, row) => {
      expected[2 * segment] = (expected[2 * segment] as number) + (values[2 * row] as number);
      expected[2 * segment + 1] =
        (expected[2 * segment + 1] as number) + (values[2 * row + 1] as number);
    });
    await tf.setBackend('wasm');
    const sums = tf.unsortedSegmentSum(
      tf.tensor3d(values, [6, 1, 2], 'int32'),
      tf.tensor1d(ids, 'int32'),
      3,
    );
    expect(sums.dtype).toBe('int32');
    expect(sums.shape).toEqual([3, 1, 2]);
    expect(Array.from(sums.dataSync())).toEqual(expected);
    sums.dispose();
  });

  it('matches cpu for random ids and shapes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(1000),
        async (rows, width, segments, seed) => {
          const ids = Array.from(
            seededValues(rows, seed),
            (v) => Math.floor((v + 1) * (segments + 1)) - 1,
          );
          const xValues = seededValues(rows * width, seed + 1);
          const run = () =>
            tf.unsortedSegmentSum(
              tf.tensor2d(xValues, [rows, width]),
              tf.tensor1d(ids, 'int32'),
              segments,
            );
          expect(maxAbsDiff(await valuesOn('cpu', run), await valuesOn('wasm', run))).toBeLessThan(
            1e-5,
          );
        },
      ),
      { numRuns: 30, seed: 7 },
    );
  });

  for (const axis of [0, 1]) {
    it(`lets tf.gather train on wasm: gradient matches cpu (axis ${axis}, repeated indices)`, async () => {
      const shape = [5, 4, 3];
      const xValues = seededValues(sizeOf(shape), 3);
      const indices = [3, 0, 3, 1];
      const weightShape = axis === 0 ? [4, 4, 3] : [5, 4, 3];
      const weightValues = seededValues(sizeOf(weightShape), 4);
      const gradient = () =>
        tf.grad((x: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.gather(x, tf.tensor1d(indices, 'int32'), axis),
              tf.tensor(weightValues, weightShape),
            ),
          ),
        )(tf.tensor(xValues, shape));
      const expected = await valuesOn('cpu', gradient);
      const actual = await valuesOn('wasm', gradient);
      expect(maxAbsDiff(expected, actual)).toBeLessThan(1e-5);
    });
  }

  it('rejects ids that are not a prefix of x', async () => {
    await tf.setBackend('wasm');
    expect(() =>
      tf.unsortedSegmentSum(tf.zeros([4, 2]), tf.tensor1d([0, 1, 0], 'int32'), 2),
    ).toThrow(/prefix/);
  });
});
