import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bitsetFromIndices,
  bitsetToIndices,
  countBits,
  createBitset,
  fillBitset,
  hasBit,
  setBit,
} from '../src/bitset.js';

describe('bitset', () => {
  it('stores bit i in word i / 32', () => {
    const bits = createBitset(70);
    expect(bits.length).toBe(3);
    setBit(bits, 0);
    setBit(bits, 31);
    setBit(bits, 32);
    setBit(bits, 69);
    expect([...bits]).toEqual([0x80000001, 1, 1 << 5]);
    expect(hasBit(bits, 31)).toBe(true);
    expect(hasBit(bits, 30)).toBe(false);
    expect(countBits(bits)).toBe(4);
    expect([...bitsetToIndices(bits)]).toEqual([0, 31, 32, 69]);
  });

  it('fills exactly the first size bits', () => {
    const bits = createBitset(70);
    fillBitset(bits, 70);
    expect(countBits(bits)).toBe(70);
    const whole = createBitset(64);
    fillBitset(whole, 64);
    expect(countBits(whole)).toBe(64);
  });

  it('round-trips index lists', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((size) =>
            fc.tuple(
              fc.constant(size),
              fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { maxLength: size }),
            ),
          ),
        ([size, indices]) => {
          const bits = bitsetFromIndices(size, indices);
          expect(countBits(bits)).toBe(indices.length);
          expect([...bitsetToIndices(bits)]).toEqual([...indices].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('names the bad entry of an index list', () => {
    expect(() => bitsetFromIndices(5, [0, 5], 'kept')).toThrow(
      'kept[1] = 5 is not a sample index in [0, 5)',
    );
    expect(() => bitsetFromIndices(5, [1.5])).toThrow('indices[0] = 1.5');
  });
});
