import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectKeyTokens } from '../src/index.js';

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('selectKeyTokens (IQR fence)', () => {
  it('keeps the tokens above Q3 + c IQR (hand example)', () => {
    const scores = [0.1, 0.9, 0.1, 0.1, 0.8, 0.1]; // Q1 = 0.1, Q3 = 0.625, IQR = 0.525
    const upperQuartile = selectKeyTokens(scores, all(6), { iqrMultiplier: 0 });
    expect(upperQuartile.fence).toBeCloseTo(0.625, 12);
    expect([...upperQuartile.keyIndices]).toEqual([1, 4]);
    // fence 0.625 + 1.5 * 0.525 = 1.4125: nothing is above it, so minKeep = 1 keeps the top score
    const authors = selectKeyTokens(scores, all(6));
    expect(authors.fence).toBeCloseTo(1.4125, 12);
    expect(authors.aboveFence).toBe(0);
    expect([...authors.keyIndices]).toEqual([1]);
  });

  it('falls back to the top-minKeep scores, lower index first, when all scores are equal', () => {
    const equal = new Array(8).fill(0.25);
    expect([...selectKeyTokens(equal, all(8)).keyIndices]).toEqual([0]);
    expect([...selectKeyTokens(equal, all(8), { minKeep: 3 }).keyIndices]).toEqual([0, 1, 2]);
    expect([...selectKeyTokens(equal, all(8), { minKeep: 0.5 }).keyIndices]).toEqual([0, 1, 2, 3]);
  });

  it('trims to the top-maxKeep scores', () => {
    const scores = [5, 1, 9, 1, 8, 1, 7, 1]; // c = 0: fence at Q3 = 7.25, above: 9, 8
    expect([
      ...selectKeyTokens(scores, all(8), { iqrMultiplier: 0, maxKeep: 1 }).keyIndices,
    ]).toEqual([2]);
    expect([
      ...selectKeyTokens(scores, all(8), { iqrMultiplier: -10, maxKeep: 0.5 }).keyIndices,
    ]).toEqual([0, 2, 4, 6]);
  });

  it('never keeps all tokens: N = 2 keeps one, a single candidate is kept', () => {
    expect([...selectKeyTokens([1, 5], [0, 1], { iqrMultiplier: -100 }).keyIndices]).toEqual([1]);
    expect([...selectKeyTokens([3, 3], [0, 1], { minKeep: 5 }).keyIndices]).toEqual([0]);
    expect([...selectKeyTokens([0, 3, 0], [1]).keyIndices]).toEqual([1]);
    expect(selectKeyTokens([1, 2], []).keyIndices.length).toBe(0);
  });

  it('only considers the candidates given', () => {
    // token 0 has the top score but is not a candidate (padding or protected)
    expect([
      ...selectKeyTokens([100, 1, 1, 1, 9], [1, 2, 3, 4], { iqrMultiplier: 0 }).keyIndices,
    ]).toEqual([4]);
  });

  it('rejects malformed bounds', () => {
    expect(() => selectKeyTokens([1, 2, 3], all(3), { minKeep: 0 })).toThrow(/minKeep/);
    expect(() => selectKeyTokens([1, 2, 3], all(3), { maxKeep: 2.5 })).toThrow(/maxKeep/);
  });

  it('keeps between 1 and n - 1 tokens, exactly those above the fence when the bounds allow', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 40 }),
        fc.constantFrom(0, 0.5, 1.5),
        (scores, iqrMultiplier) => {
          const { keyIndices, fence, aboveFence } = selectKeyTokens(scores, all(scores.length), {
            iqrMultiplier,
          });
          expect(keyIndices.length).toBeGreaterThanOrEqual(1);
          expect(keyIndices.length).toBeLessThanOrEqual(scores.length - 1);
          const kept = new Set(keyIndices);
          if (aboveFence >= 1 && aboveFence <= scores.length - 1) {
            for (const [i, score] of scores.entries()) expect(kept.has(i)).toBe(score > fence);
          }
          // every kept score is at least every dropped score
          const keptMin = Math.min(...[...keyIndices].map((i) => scores[i]!));
          scores.forEach((score, i) => {
            if (!kept.has(i)) expect(score).toBeLessThanOrEqual(keptMin);
          });
        },
      ),
    );
  });
});
