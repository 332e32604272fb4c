import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantile, quartiles } from '../src/index.js';

describe('quantile (linear interpolation, as numpy.quantile / torch.quantile)', () => {
  it('matches hand-computed numpy values', () => {
    // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.75]) == [1.75, 2.5, 3.25]
    expect(quantile([4, 1, 3, 2], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5, 12);
    expect(quantile([4, 1, 3, 2], 0.75)).toBeCloseTo(3.25, 12);
    // numpy.quantile(range(1, 11), [0.25, 0.75]) == [3.25, 7.75]
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.25)).toBeCloseTo(3.25, 12);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.75)).toBeCloseTo(7.75, 12);
    // numpy.quantile([1, 10], 0.25) == 3.25; a single value is every quantile
    expect(quantile([10, 1], 0.25)).toBeCloseTo(3.25, 12);
    expect(quantile([7], 0.3)).toBe(7);
    expect(quantile([0, 1, 2, 3, 100], 0)).toBe(0);
    expect(quantile([0, 1, 2, 3, 100], 1)).toBe(100);
  });

  it('gives Q1, Q3 and IQR', () => {
    // numpy.quantile([.1, .1, .1, .1, .8, .9], [.25, .75]) == [0.1, 0.625]
    const { q1, q3, iqr } = quartiles([0.1, 0.9, 0.1, 0.1, 0.8, 0.1]);
    expect(q1).toBeCloseTo(0.1, 12);
    expect(q3).toBeCloseTo(0.625, 12);
    expect(iqr).toBeCloseTo(0.525, 12);
  });

  it('gives an IQR of exactly 0 for equal values', () => {
    expect(quartiles([0.3, 0.3, 0.3])).toEqual({ q1: 0.3, q3: 0.3, iqr: 0 });
  });

  it('rejects empty input, NaN and q outside [0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(/empty/);
    expect(() => quantile([1, Number.NaN], 0.5)).toThrow(/NaN/);
    expect(() => quantile([1, 2], 1.5)).toThrow(/\[0, 1\]/);
  });

  it('is monotone in q and lies between the neighbouring order statistics', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, qa, qb) => {
          const [low, high] = qa <= qb ? [qa, qb] : [qb, qa];
          expect(quantile(values, low)).toBeLessThanOrEqual(quantile(values, high) + 1e-9);
          const sorted = [...values].sort((a, b) => a - b);
          const rank = (sorted.length - 1) * low;
          const value = quantile(values, low);
          expect(value).toBeGreaterThanOrEqual(sorted[Math.floor(rank)]! - 1e-9);
          expect(value).toBeLessThanOrEqual(sorted[Math.ceil(rank)]! + 1e-9);
        },
      ),
    );
  });
});
