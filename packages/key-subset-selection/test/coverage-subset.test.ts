import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coverageSubset } from '../src/index.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('coverageSubset', () => {
  it('leaves out the top stratum, keeps small strata whole and shares the rest evenly', () => {
    // Strata: 10 -> [0, 1, 2] (top), 1 -> [3], 2 -> [4, 5], 3 -> [6, 7, 8, 9].
    const scores = [10, 10, 10, 1, 2, 2, 3, 3, 3, 3];
    for (let seed = 0; seed < 20; seed++) {
      const chosen = Array.from(coverageSubset(scores, { count: 5, seed }));
      // 5 over 3 strata from the smallest: 1 (all of [3]), then 2 (all of [4, 5]), then 2 of 4.
      expect(chosen.slice(0, 3)).toEqual([3, 4, 5]);
      expect(chosen.slice(3).every((i) => i >= 6)).toBe(true);
    }
  });

  it('draws from the top stratum only when the others run out', () => {
    const chosen = Array.from(coverageSubset([5, 5, 5, 1], { count: 3, seed: 1 }));
    expect(chosen).toContain(3);
    expect(chosen.filter((i) => i < 3)).toHaveLength(2);
  });

  it('with all scores equal it is a seeded uniform draw', () => {
    const scores = new Array(40).fill(2);
    const draws = range(0, 30).map((seed) => coverageSubset(scores, { count: 10, seed }).join());
    expect(new Set(draws).size).toBeGreaterThan(25);
    expect(coverageSubset(scores, { count: 10, seed: 7 })).toEqual(
      coverageSubset(scores, { count: 10, seed: 7 }),
    );
    // Every sample can be drawn.
    const seen = new Set(draws.flatMap((d) => d.split(',').map(Number)));
    expect(seen.size).toBe(40);
  });

  it('gives each type its share, covered within the type', () => {
    const types = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'];
    const scores = [9, 1, 2, 3, 9, 9, 9, 4];
    // 4 of 8: 2 per type. Type a: top 9 left out, strata 1, 2, 3 of one each -> two of them.
    // Type b: one non-top sample (7), then one of the top stratum.
    const chosen = Array.from(coverageSubset(scores, { count: 4, types, seed: 3 }));
    expect(chosen.filter((i) => i < 4).every((i) => i >= 1)).toBe(true);
    expect(chosen.filter((i) => i >= 4)).toContain(7);
    expect(chosen).toHaveLength(4);
  });

  it('for any scores and types: n distinct sorted indices, type shares, top stratum last', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 4 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        (samples, fraction, seed) => {
          const types = samples.map(([type]) => type);
          const scores = samples.map(([, score]) => score);
          const n = Math.round(fraction * samples.length);
          const chosen = Array.from(coverageSubset(scores, { count: n, types, seed }));
          expect(chosen).toHaveLength(n);
          expect(chosen).toEqual([...new Set(chosen)].sort((x, y) => x - y));
          expect(coverageSubset(scores, { count: n, types, seed })).toEqual(
            Int32Array.from(chosen),
          );
          for (const type of new Set(types)) {
            const members = range(0, samples.length).filter((i) => types[i] === type);
            const picked = chosen.filter((i) => types[i] === type);
            expect(Math.abs(picked.length - (n * members.length) / samples.length)).toBeLessThan(1);
            const top = Math.max(...members.map((i) => scores[i]!));
            const pickedSet = new Set(picked);
            const tookTop = picked.some((i) => scores[i] === top);
            const leftBelowTop = members.some((i) => scores[i]! < top && !pickedSet.has(i));
            expect(tookTop && leftBelowTop).toBe(false);
          }
        },
      ),
    );
  });

  it('rejects bad input, naming what is wrong', () => {
    expect(() => coverageSubset([1, 2], { count: 3 })).toThrow(
      'count must be an integer in [0, 2]',
    );
    expect(() => coverageSubset([1, 2], { count: 1, types: ['a'] })).toThrow(
      '2 scores but 1 types',
    );
    expect(() => coverageSubset([1, Number.NaN], { count: 1 })).toThrow('score 1 is NaN');
    expect(coverageSubset([1, 2], { count: 0 })).toEqual(new Int32Array(0));
  });
});
