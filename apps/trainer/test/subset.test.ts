import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomPositionsPerType } from '../src/pipeline/subset.js';

const typesArbitrary = fc.array(
  fc.constantFrom('Audio/Counting', 'Visual/Location', 'AV/Temporal'),
  {
    minLength: 1,
    maxLength: 60,
  },
);

/** For each type, `fraction` of its questions, rounded down. */
function countsFor(types: string[], fraction: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of new Set(types)) {
    const available = types.filter((t) => t === type).length;
    counts.set(type, Math.floor(available * fraction));
  }
  return counts;
}

describe('randomPositionsPerType (the per-type control of key-subset)', () => {
  it('draws exactly the asked count of each type, distinct and ascending (property)', () => {
    fc.assert(
      fc.property(
        typesArbitrary,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(),
        (types, fraction, seed) => {
          const counts = countsFor(types, fraction);
          const positions = randomPositionsPerType(types, counts, seed);
          expect(new Set(positions).size).toBe(positions.length);
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
          for (const [type, count] of counts) {
            expect(positions.filter((p) => types[p] === type).length).toBe(count);
          }
          expect(positions.length).toBe([...counts.values()].reduce((a, b) => a + b, 0));
        },
      ),
    );
  });

  it('is seeded: the same seed, the same draw; another seed, another draw', () => {
    const types = Array.from({ length: 200 }, (_, i) => ['a', 'b', 'c'][i % 3] as string);
    const counts = new Map([
      ['a', 20],
      ['b', 10],
      ['c', 30],
    ]);
    const first = randomPositionsPerType(types, counts, 42);
    expect(randomPositionsPerType(types, counts, 42)).toEqual(first);
    expect(randomPositionsPerType(types, counts, 43)).not.toEqual(first);
  });

  it('takes every question of a type when asked for all of them, none when asked for none', () => {
    const types = ['a', 'b', 'a', 'b', 'a'];
    expect(randomPositionsPerType(types, new Map([['a', 3]]), 1)).toEqual([0, 2, 4]);
    expect(randomPositionsPerType(types, new Map([['a', 0]]), 1)).toEqual([]);
  });

  it('says which type is short', () => {
    expect(() => randomPositionsPerType(['a', 'b'], new Map([['b', 2]]), 1)).toThrow(
      '2 questions of type b asked for, 1 exist',
    );
  });
});
