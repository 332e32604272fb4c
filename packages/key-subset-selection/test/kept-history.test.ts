import { describe, expect, it } from 'vitest';
import { KeptHistory } from '../src/index.js';

describe('KeptHistory', () => {
  it('records kept and hard samples per epoch in one bit each', () => {
    const history = new KeptHistory(100);
    history.appendEpochIndices([0, 5, 99], [5]);
    history.appendEpochIndices([1], []);
    expect(history.epochs).toBe(2);
    expect(history.wasKept(0, 99)).toBe(true);
    expect(history.wasKept(1, 99)).toBe(false);
    expect(history.wasHard(0, 5)).toBe(true);
    expect(history.wasHard(0, 0)).toBe(false);
    expect(history.keptCount(0)).toBe(3);
    // 4 words of 32 bits per bitset, two bitsets per epoch.
    expect(history.byteLength).toBe(2 * 2 * 16);
  });

  it('rejects wrong sizes, missing hard sets and unknown epochs', () => {
    const history = new KeptHistory(40);
    expect(() => history.appendEpoch(new Uint32Array(1), new Uint32Array(2))).toThrow(
      'kept bitset has 1 words, expected 2 for 40 samples',
    );
    expect(() => history.appendEpoch(new Uint32Array(2))).toThrow('pass `hard`');
    expect(() => history.appendEpochIndices([40], [])).toThrow(
      'kept[0] = 40 is not a sample index in [0, 40)',
    );
    expect(() => history.wasKept(0, 1)).toThrow('epoch 0 is not recorded');
    expect(() => new KeptHistory(0)).toThrow('size must be a positive integer');
  });
});
