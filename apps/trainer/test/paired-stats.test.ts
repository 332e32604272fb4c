import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairedSummary, tCriticalValue } from '../src/report/paired-stats.js';

describe('tCriticalValue', () => {
  it('matches the t table', () => {
    // Two-sided 95% (and 99%) quantiles of Student's t from standard tables.
    const table: [number, number, number][] = [
      [1, 12.7062, 63.6567],
      [2, 4.3027, 9.9248],
      [3, 3.1824, 5.8409],
      [8, 2.306, 3.3554],
      [16, 2.1199, 2.9208],
      [100, 1.984, 2.6259],
    ];
    for (const [df, t95, t99] of table) {
      expect(tCriticalValue(0.95, df)).toBeCloseTo(t95, 3);
      expect(tCriticalValue(0.99, df)).toBeCloseTo(t99, 3);
    }
    // Towards the normal quantile as df grows.
    expect(tCriticalValue(0.95, 100_000)).toBeCloseTo(1.95996, 3);
  });

  it('falls with df and rises with the confidence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0.5, max: 0.995, noNaN: true }),
        (df, confidence) => {
          const t = tCriticalValue(confidence, df);
          expect(tCriticalValue(confidence, df + 1)).toBeLessThan(t);
          expect(tCriticalValue(Math.min(0.999, confidence + 0.004), df)).toBeGreaterThan(t);
        },
      ),
    );
  });

  it('names a bad argument', () => {
    expect(() => tCriticalValue(1, 5)).toThrow('confidence must be in (0, 1), got 1');
    expect(() => tCriticalValue(0.95, 0)).toThrow('df must be a positive integer, got 0');
  });
});

describe('pairedSummary', () => {
  it('is the mean with a t interval over the pairs', () => {
    // mean 1, sample sd 1 (values 0, 1, 2), half width t(0.95, 2) / sqrt(3).
    const s = pairedSummary([0, 2, 1]);
    const half = (4.302653 * 1) / Math.sqrt(3);
    expect(s.mean).toBe(1);
    expect(s.low).toBeCloseTo(1 - half, 5);
    expect(s.high).toBeCloseTo(1 + half, 5);
    expect([s.wins, s.losses, s.ties, s.min, s.max, s.count]).toEqual([2, 0, 1, 0, 2, 3]);
  });

  it('has no width when every pair is equal, and no interval from one pair', () => {
    const equal = pairedSummary([0.5, 0.5, 0.5, 0.5]);
    expect([equal.low, equal.high]).toEqual([0.5, 0.5]);
    const one = pairedSummary([-1.5]);
    expect(one.mean).toBe(-1.5);
    expect(Number.isNaN(one.low) && Number.isNaN(one.high)).toBe(true);
    expect([one.wins, one.losses]).toEqual([0, 1]);
  });

  it('holds its mean inside the interval, for any values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 2, maxLength: 40 }),
        (values) => {
          const s = pairedSummary(values);
          expect(s.low).toBeLessThanOrEqual(s.mean + 1e-9);
          expect(s.high).toBeGreaterThanOrEqual(s.mean - 1e-9);
          expect(s.wins + s.losses + s.ties).toBe(values.length);
        },
      ),
    );
  });

  it('refuses no values or a non-finite one', () => {
    expect(() => pairedSummary([])).toThrow('no values');
    expect(() => pairedSummary([1, Number.NaN])).toThrow('values must be finite');
  });
});
