import { SplitMix32 } from '@sparsify/internal-random';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveSeed, sampleToFront, shuffleInPlace } from '../src/random.js';

describe('seeded randomness', () => {
  it('derives the same seed from the same parts and different seeds from different parts', () => {
    expect(deriveSeed(42, 3, 1)).toBe(deriveSeed(42, 3, 1));
    const seeds = new Set<number>();
    for (let epoch = 0; epoch < 100; epoch++)
      for (const stream of [1, 2]) seeds.add(deriveSeed(42, epoch, stream));
    expect(seeds.size).toBe(200);
    expect(deriveSeed(2 ** 32 + 5, 0)).not.toBe(deriveSeed(5, 0));
  });

  it('draws integers below the bound, roughly uniformly', () => {
    const random = new SplitMix32(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[random.nextBelow(4)]!++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });

  it('samples distinct values of the input to the front, and a full shuffle is a permutation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.nat(),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (length, countSeed, seed) => {
          const values = Int32Array.from({ length }, (_, i) => 3 * i + 1);
          const count = length === 0 ? 0 : countSeed % (length + 1);
          const front = sampleToFront(values, count, new SplitMix32(seed));
          expect(front.length).toBe(count);
          expect([...values].sort((a, b) => a - b)).toEqual(
            Array.from({ length }, (_, i) => 3 * i + 1),
          );
          const shuffled = shuffleInPlace(
            Int32Array.from({ length }, (_, i) => i),
            new SplitMix32(seed),
          );
          expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length }, (_, i) => i));
        },
      ),
    );
  });

  it('picks every element with equal probability', () => {
    const hits = new Array<number>(10).fill(0);
    for (let trial = 0; trial < 20_000; trial++) {
      const values = Int32Array.from({ length: 10 }, (_, i) => i);
      for (const picked of sampleToFront(values, 3, new SplitMix32(deriveSeed(1, trial))))
        hits[picked]!++;
    }
    // Each of 10 values is picked with probability 3/10: 6,000 of 20,000 trials.
    for (const count of hits) expect(Math.abs(count - 6000)).toBeLessThan(300);
  });
});
