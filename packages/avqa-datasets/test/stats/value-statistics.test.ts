import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseValues, valueStatistics } from '../../src/stats/value-statistics.js';

const floats = fc.float32Array({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 });

describe('valueStatistics', () => {
  it('is the mean and population std of all values of all arrays, however they are split', () => {
    fc.assert(
      fc.property(fc.array(floats, { minLength: 1, maxLength: 5 }), (streams) => {
        const all = streams.flatMap((s) => Array.from(s));
        fc.pre(all.length > 0);
        const mean = all.reduce((a, b) => a + b, 0) / all.length;
        const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length;
        const stats = valueStatistics(streams);
        expect(stats.mean).toBeCloseTo(mean, 6);
        expect(stats.std).toBeCloseTo(Math.sqrt(Math.max(1e-12, variance)), 3);
      }),
    );
  });

  it('floors the std at 1e-6 (a constant or empty stream divides by it, not by 0)', () => {
    expect(valueStatistics([new Float32Array([2, 2, 2])])).toEqual({ mean: 2, std: 1e-6 });
    expect(valueStatistics([])).toEqual({ mean: 0, std: 1e-6 });
  });
});

describe('normaliseValues', () => {
  it('gives (x - mean) / std as float32, into a new array or in place, the same values', () => {
    fc.assert(
      fc.property(floats, fc.float({ min: -10, max: 10, noNaN: true }), (values, mean) => {
        const stats = { mean, std: 2.5 };
        const copy = normaliseValues(values, stats);
        expect(copy).not.toBe(values);
        expect(Array.from(copy)).toEqual(Array.from(values, (v) => Math.fround((v - mean) / 2.5)));
        const inPlace = Float32Array.from(values);
        expect(normaliseValues(inPlace, stats, inPlace)).toBe(inPlace);
        expect(inPlace).toEqual(copy);
      }),
    );
  });

  it('rejects an output of another length', () => {
    expect(() =>
      normaliseValues(new Float32Array(3), { mean: 0, std: 1 }, new Float32Array(2)),
    ).toThrow(/out holds 2 values, input 3/);
  });
});
