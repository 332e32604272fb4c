import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float16ToNumber, numberToFloat16 } from '../../src/features/float16.js';

describe('float16', () => {
  it('converts known halves', () => {
    expect(numberToFloat16(1)).toBe(0x3c00);
    expect(numberToFloat16(-2)).toBe(0xc000);
    expect(numberToFloat16(65504)).toBe(0x7bff);
    expect(numberToFloat16(65520)).toBe(0x7c00); // rounds to infinity like numpy
    expect(numberToFloat16(2 ** -24)).toBe(0x0001);
    expect(numberToFloat16(2 ** -26)).toBe(0x0000);
    expect(numberToFloat16(Number.NaN)).toBe(0x7e00);
    expect(numberToFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(numberToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16ToNumber(0x7e00)).toBeNaN();
    expect(float16ToNumber(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('round-trips every finite half', () => {
    for (let bits = 0; bits < 0x10000; bits += 1) {
      const value = float16ToNumber(bits);
      if (Number.isNaN(value)) continue;
      if (numberToFloat16(value) !== bits)
        throw new Error(
          `half 0x${bits.toString(16)} -> ${value} -> 0x${numberToFloat16(value).toString(16)}`,
        );
    }
  });

  it('rounds to the nearest half', () => {
    fc.assert(
      fc.property(fc.double({ min: -65504, max: 65504, noNaN: true }), (value) => {
        const rounded = float16ToNumber(numberToFloat16(value));
        const bits = numberToFloat16(rounded);
        // No other half lies closer: compare against both neighbours.
        for (const neighbour of [bits - 1, bits + 1]) {
          const other = float16ToNumber(neighbour & 0xffff);
          if (!Number.isNaN(other) && Math.sign(other) === Math.sign(rounded)) {
            expect(Math.abs(other - value)).toBeGreaterThanOrEqual(
              Math.abs(rounded - value) - 1e-12,
            );
          }
        }
      }),
    );
  });
});
