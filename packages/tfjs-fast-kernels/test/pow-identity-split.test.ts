import { beforeAll, describe, expect, it } from 'vitest';
import { enableFastKernels } from '../src/index.js';
import { maxAbsDiff, seededValues, tf, valuesOn } from './backends.js';

const xValues = seededValues(3 * 5 * 7, 21).map((v) => 3 * v);

describe('Pow and Identity on wasm', () => {
  beforeAll(async () => {
    await enableFastKernels({ native: 'off' });
  });

  const exponents: Array<[string, () => tf.Tensor]> = [
    ['1', () => tf.scalar(1)],
    ['2', () => tf.scalar(2)],
    ['3', () => tf.scalar(3)],
    ['4', () => tf.scalar(4)],
    ['3 as int32', () => tf.scalar(3, 'int32')],
    ['3 shaped [1, 1]', () => tf.tensor2d([3], [1, 1])],
    ['2.5 (stock kernel)', () => tf.scalar(2.5)],
    ['-1 (stock kernel)', () => tf.scalar(-1)],
    ['0 (stock kernel)', () => tf.scalar(0)],
    ['a [7] tensor (stock kernel)', () => tf.tensor1d([1, 2, 3, 4, 2, 1, 3])],
  ];
  for (const [name, exponent] of exponents) {
    it(`pow(x, ${name}) matches cpu`, async () => {
      const run = () => tf.pow(tf.tensor3d(xValues, [3, 5, 7]), exponent());
      const expected = await valuesOn('cpu', run);
      const actual = await valuesOn('wasm', run);
      expect(actual.length).toBe(expected.length);
      expect(maxAbsDiff(expected, actual)).toBeLessThan(1e-4);
    });
  }

  it('pow(x, 3) has the gradient of the cpu backend', async () => {
    const gradient = () =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.pow(x, 3)))(tf.tensor3d(xValues, [3, 5, 7]));
    expect(
      maxAbsDiff(await valuesOn('cpu', gradient), await valuesOn('wasm', gradient)),
    ).toBeLessThan(1e-4);
  });

  it('clone shares data yet each tensor lives until its own dispose', async () => {
    await tf.setBackend('wasm');
    const dataIds = tf.engine().backend.numDataIds();
    const original = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(original);
    original.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    const again = tf.clone(copy);
    copy.dispose();
    expect(Array.from(again.dataSync())).toEqual([1, 2, 3]);
    again.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  });
});

describe('SplitV on wasm', () => {
  beforeAll(async () => {
    await enableFastKernels({ native: 'off' });
  });

  const cases: Array<[string, number[], number[] | number, number]> = [
    ['three equal column blocks (fused q|k|v)', [6, 9], 3, 1],
    ['uneven sizes on the middle axis', [2, 7, 3], [2, 4, 1], 1],
    ['rows (contiguous parts)', [5, 4], [1, 3, 1], 0],
    ['the last axis with a -1 size', [2, 3, 8], [3, -1], -1],
    ['a part of size zero', [4, 6], [0, 6], 1],
  ];
  for (const [name, shape, splits, axis] of cases) {
    it(`matches cpu: ${name}`, async () => {
      const values = seededValues(
        shape.reduce((p, d) => p * d, 1),
        31,
      );
      const parts = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        const pieces = tf.split(tf.tensor(values, shape), splits, axis);
        const result = pieces.map((piece) => ({
          shape: piece.shape,
          values: Array.from(piece.dataSync()),
        }));
        tf.dispose(pieces);
        return result;
      };
      expect(await parts('wasm')).toEqual(await parts('cpu'));
    });
  }

  it('splits int32 tensors', async () => {
    await tf.setBackend('wasm');
    const [left, right] = tf.split(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [1, 2], 1);
    expect(left?.dtype).toBe('int32');
    expect(Array.from(left?.dataSync() ?? [])).toEqual([1, 4]);
    expect(Array.from(right?.dataSync() ?? [])).toEqual([2, 3, 5, 6]);
    tf.dispose([left as tf.Tensor, right as tf.Tensor]);
  });
});
