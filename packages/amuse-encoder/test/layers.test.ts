import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyBias, PADDING_BIAS } from '../src/index.js';
import { BACKENDS, useBackend } from './fixtures.js';

describe.each(BACKENDS)('layers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('keyBias is log(size) for real tokens and PADDING_BIAS at padding', () => {
    const sizes = tf.tensor2d([[1, 2, 4, 0]]);
    const padMask = tf.tensor2d([[0, 0, 0, 1]]);
    const bias = Array.from(keyBias(sizes, padMask)!.dataSync());
    expect(bias[0]).toBeCloseTo(0, 6);
    expect(bias[1]).toBeCloseTo(Math.log(2), 6);
    expect(bias[2]).toBeCloseTo(Math.log(4), 6);
    expect(bias[3]).toBeLessThan(PADDING_BIAS / 2);
    expect(keyBias(null, null)).toBeNull();
  });
});
