import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeMergePlan } from '../src/index.js';
import { HAND_EXAMPLE, randomBatch, randomOptions } from './fixtures.js';

const toLists = (sources: Int32Array[][]) => sources.map((sample) => sample.map((s) => [...s]));

describe('computeMergePlan', () => {
  it('matches the hand example: assignment by largest k_i . k_j, sizes, sources', () => {
    const plan = computeMergePlan(HAND_EXAMPLE.input, HAND_EXAMPLE.options);
    expect(plan.outputTokens).toBe(2);
    expect([...plan.keptIndices[0]!]).toEqual([1, 4]);
    expect([...plan.destination]).toEqual([0, 0, 1, 0, 1, 1]);
    expect([...plan.sizes]).toEqual(HAND_EXAMPLE.sizes);
    expect(toLists(plan.sources)).toEqual([HAND_EXAMPLE.sources]);
    expect([...plan.weight]).toEqual([1 / 4, 2 / 4, 1 / 5, 1 / 4, 1 / 5, 3 / 5].map(Math.fround));
  });

  it('assigns by cosine when asked', () => {
    // key 0 = [10, 0] and key 2 = [1, 1]; token 1 = [1, 0.9]: dot prefers key 0, cosine key 2
    const input = {
      batchSize: 1,
      tokenCount: 3,
      keyDim: 2,
      scores: [1, 0, 1],
      keys: [10, 0, 1, 0.9, 1, 1],
    };
    const options = { iqrMultiplier: 0, minKeep: 2 };
    expect([...computeMergePlan(input, options).destination]).toEqual([0, 0, 1]);
    expect([...computeMergePlan(input, { ...options, similarity: 'cosine' }).destination]).toEqual([
      0, 1, 1,
    ]);
  });

  it('keeps protected tokens alone, even when their score is low', () => {
    const plan = computeMergePlan(
      { ...HAND_EXAMPLE.input, sizes: null },
      { ...HAND_EXAMPLE.options, protectedTokens: [0] },
    );
    // token 0 (a class token) stays alone and absorbs nothing; the quartiles use the other
    // five scores [.9, .1, .1, .8, .1]: Q3 = 0.8, so only token 1 is above the c = 0 fence
    expect([...plan.keptIndices[0]!]).toEqual([0, 1]);
    expect(toLists(plan.sources)).toEqual([[[0], [1, 2, 3, 4, 5]]]);
  });

  it('ignores padding slots and pads samples to the longest', () => {
    // everything is above a fence of c = -10; maxKeep = half the real tokens: 1 of 3, 2 of 4
    const plan = computeMergePlan(
      {
        batchSize: 2,
        tokenCount: 4,
        keyDim: 1,
        scores: [9, 1, 1, 1, 9, 1, 8, 1],
        keys: [1, 1, 1, 1, 1, 1, 1, 1],
        padMask: [0, 0, 0, 1, 0, 0, 0, 0],
      },
      { iqrMultiplier: -10, maxKeep: 0.5 },
    );
    expect([...plan.keptCounts]).toEqual([1, 2]);
    expect(plan.outputTokens).toBe(2);
    expect(plan.destination[3]).toBe(-1);
    expect(plan.weight[3]).toBe(0);
    expect([...plan.sizes]).toEqual([3, 0, 3, 1]);
  });

  it('composes with incoming sources so repeated merges stay exact', () => {
    const first = computeMergePlan(HAND_EXAMPLE.input, HAND_EXAMPLE.options);
    const second = computeMergePlan(
      {
        batchSize: 1,
        tokenCount: 2,
        keyDim: 1,
        scores: [0, 1],
        keys: [1, 1],
        sizes: first.sizes,
        sources: first.sources,
      },
      {},
    );
    expect([...second.sizes]).toEqual([9]);
    expect(toLists(second.sources)).toEqual([[[0, 1, 2, 3, 4, 5]]]);
  });

  it('rejects malformed input with the field named', () => {
    const { input } = HAND_EXAMPLE;
    expect(() => computeMergePlan({ ...input, keys: [1, 2] })).toThrow(
      /keys has 2 values, expected 12/,
    );
    expect(() => computeMergePlan({ ...input, scores: [0, 0, Number.NaN, 0, 0, 0] })).toThrow(
      /scores\[2\]/,
    );
    expect(() => computeMergePlan(input, { protectedTokens: [6] })).toThrow(/protectedTokens/);
  });

  it('every real token lands in exactly one output; sizes sum to the input sizes', () => {
    fc.assert(
      fc.property(randomBatch, randomOptions, (batch, options) => {
        const plan = computeMergePlan(batch, options);
        for (let b = 0; b < batch.batchSize; b++) {
          const real = [];
          let sizeTotal = 0;
          for (let n = 0; n < batch.tokenCount; n++) {
            if (!batch.padMask[b * batch.tokenCount + n]) real.push(n);
            sizeTotal += batch.sizes[b * batch.tokenCount + n]!;
          }
          const held = plan.sources[b]!.flatMap((source) => [...source]).sort((x, y) => x - y);
          expect(held).toEqual(real);
          const kept = plan.keptCounts[b]!;
          const outputSizes = plan.sizes.slice(b * plan.outputTokens, (b + 1) * plan.outputTokens);
          expect(outputSizes.reduce((sum, size) => sum + size, 0)).toBeCloseTo(sizeTotal, 4);
          expect([...outputSizes.slice(kept)].every((size) => size === 0)).toBe(true);
          // never zero tokens, never all of them (when there are two or more)
          expect(kept).toBeGreaterThanOrEqual(Math.min(real.length, 1));
          if (real.length >= 2) expect(kept).toBeLessThan(real.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
