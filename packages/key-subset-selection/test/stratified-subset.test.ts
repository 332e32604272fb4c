import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stratifiedTopN } from '../src/index.js';

describe('stratifiedTopN', () => {
  it("keeps each type's share and its best-scored members (ties: lower index)", () => {
    const types = ['yes/no', 'count', 'yes/no', 'count', 'yes/no', 'count', 'count', 'count'];
    const scores = [0.1, 5, 0.3, 4, 0.3, 1, 1, 9];
    // 4 of 8: yes/no holds 3/8 -> 1.5, count 5/8 -> 2.5; the remainders tie, 'count' sorts first.
    expect(Array.from(stratifiedTopN(scores, types, 4))).toEqual([1, 2, 3, 7]);
  });

  it('selects exactly n distinct indices with per-type counts within one of the share', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 5 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (samples, fraction) => {
          const types = samples.map(([type]) => type);
          const scores = samples.map(([, score]) => score);
          const n = Math.round(fraction * samples.length);
          const chosen = Array.from(stratifiedTopN(scores, types, n));
          expect(chosen).toHaveLength(n);
          expect(new Set(chosen).size).toBe(n);
          for (const type of new Set(types)) {
            const total = types.filter((t) => t === type).length;
            const picked = chosen.filter((i) => types[i] === type).length;
            expect(Math.abs(picked - (n * total) / samples.length)).toBeLessThan(1);
          }
        },
      ),
    );
  });
});
