import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableFastKernels } from '../src/enable.js';
import { enableFastKernels } from '../src/index.js';
import { seededValues, tf } from './backends.js';

/** Values and shape of `fn`'s result on wasm with the stock kernels, then with ours. */
async function stockAndFast(fn: () => tf.Tensor): Promise<[number[], number[], number[][]]> {
  await tf.setBackend('wasm');
  const run = () => {
    const result = tf.tidy(fn);
    const out = { values: Array.from(result.dataSync()), shape: result.shape };
    result.dispose();
    return out;
  };
  disableFastKernels();
  const stock = run();
  await enableFastKernels({ native: 'off' });
  const fast = run();
  return [stock.values, fast.values, [stock.shape, fast.shape]];
}

/** Values of `fn`'s result on cpu (stock kernels) and on wasm with ours. */
async function cpuAndFast(fn: () => tf.Tensor): Promise<[number[], number[]]> {
  const run = async (backend: 'cpu' | 'wasm') => {
    await tf.setBackend(backend);
    const result = tf.tidy(fn);
    const values = Array.from(result.dataSync());
    result.dispose();
    return values;
  };
  await enableFastKernels({ native: 'off' });
  return [await run('cpu'), await run('wasm')];
}

describe('GatherV2 on wasm', () => {
  beforeAll(async () => {
    await enableFastKernels({ native: 'off' });
  });
  afterAll(async () => {
    await enableFastKernels({ native: 'off' });
  });

  it('is registered in place of the stock kernel', async () => {
    const report = await enableFastKernels({ native: 'off' });
    expect(report.kernels).toContain('GatherV2');
  });

  // A gather is a copy: the bound is exact equality with the stock kernel.
  const cases: Array<[string, number[], number[], number[], number]> = [
    [
      'rows of a table (sparse masking: [640, 64] -> [320, 64])',
      [640, 64],
      Array.from({ length: 320 }, (_, k) => (k * 37) % 640),
      [],
      0,
    ],
    ['repeated and unordered indices', [6, 5], [4, 0, 4, 4, 2], [], 0],
    ['the middle axis', [2, 7, 3], [6, 0, 3], [], 1],
    ['the last axis (one value a run)', [3, 4, 5], [4, 1, 1], [], 2],
    ['2-D indices', [5, 3], [0, 4, 2, 2], [2, 2], 0],
    ['a batch of one, one index', [1, 8], [0], [], 0],
    ['no indices', [4, 3], [], [], 0],
  ];
  for (const [name, shape, ids, idShape, axis] of cases) {
    it(`equals the stock kernel: ${name}`, async () => {
      const size = shape.reduce((p, d) => p * d, 1);
      const values = seededValues(size, 7);
      const [stock, fast, [stockShape, fastShape]] = await stockAndFast(() =>
        tf.gather(
          tf.tensor(values, shape),
          tf.tensor(ids, idShape.length > 0 ? idShape : [ids.length], 'int32'),
          axis,
        ),
      );
      expect(fastShape).toEqual(stockShape);
      expect(fast).toEqual(stock);
    });
  }

  it('gathers int32 values', async () => {
    const [stock, fast] = await stockAndFast(() =>
      tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([2, 0, 2], 'int32')),
    );
    expect(fast).toEqual([5, 6, 1, 2, 5, 6]);
    expect(fast).toEqual(stock);
  });

  it('leaves batched gathers (batchDims 1) to the stock kernel, with the same values', async () => {
    const [stock, fast] = await stockAndFast(() =>
      tf.gather(
        tf.tensor2d(seededValues(12, 3), [3, 4]),
        tf.tensor2d([3, 0, 1, 1, 2, 2], [3, 2], 'int32'),
        1,
        1,
      ),
    );
    expect(fast).toEqual(stock);
  });

  it('rejects an index outside the axis, naming it', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32'))).toThrow(
      /indices\[1\] = 3 is not in \[0, 2\]/,
    );
  });

  // Stock wasm has no UnsortedSegmentSum (gather's gradient), so the reference is the cpu
  // backend's stock kernels; the gradient sums in row order on both, so the bound is float
  // rounding of the same sums.
  it('matches stock cpu, value and gradient (a scatter-add), for random shapes and repeated indices', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 2 }),
        fc.nat(1000),
        async (outer, axisLength, inner, count, axisChoice, seed) => {
          const shape = [outer, axisLength, inner];
          const axis = axisChoice;
          const length = shape[axis] as number;
          const indices = Array.from(seededValues(count, seed), (v) =>
            Math.min(length - 1, Math.floor(((v + 1) / 2) * length)),
          );
          const values = seededValues(outer * axisLength * inner, seed + 1);
          const weights = (n: number) => seededValues(n, seed + 2);
          const [stock, fast] = await cpuAndFast(() => {
            const x = tf.tensor3d(values, shape as [number, number, number]);
            const ids = tf.tensor1d(indices, 'int32');
            const gathered = tf.gather(x, ids, axis);
            const w = tf.tensor(weights(gathered.size), gathered.shape);
            // value, then d/dx sum(w * gather(x)): repeated indices must add up
            const dx = tf.grad((input: tf.Tensor) =>
              tf.sum(tf.mul(tf.gather(input, ids, axis), w)),
            )(x);
            return tf.concat([tf.reshape(gathered, [-1]), tf.reshape(dx, [-1])]);
          });
          expect(fast.length).toBe(stock.length);
          for (let i = 0; i < stock.length; i++)
            expect(Math.abs((fast[i] as number) - (stock[i] as number))).toBeLessThanOrEqual(
              1e-6 * Math.max(1, Math.abs(stock[i] as number)),
            );
        },
      ),
      { numRuns: 40 },
    );
  });
});
