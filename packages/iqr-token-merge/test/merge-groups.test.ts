import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeMergePlan, type MergePlanInput, mergeByImportance } from '../src/index.js';
import { randomBatch, randomOptions, tf, useBackend } from './fixtures.js';

beforeAll(() => useBackend('cpu'));

/** Per sample, the output slot of each input token's key (the kept token it joined). */
function keyOf(plan: ReturnType<typeof computeMergePlan>, b: number, i: number): number {
  const slot = plan.destination[b * plan.inputTokens + i]!;
  return plan.keptIndices[b]![slot]!;
}

describe('computeMergePlan with groups (merging within a time step)', () => {
  // Two time steps of three tokens. With one key allowed, token 0 (the most important) is the
  // only key, so without groups every other token joins it, across steps.
  const input: MergePlanInput = {
    batchSize: 1,
    tokenCount: 6,
    keyDim: 1,
    scores: [9, 1, 1, 1, 2, 1],
    keys: [1, 1, 1, 1, 1, 1],
  };
  const options = { iqrMultiplier: 0, maxKeep: 1 };

  it('a token joins only a key of its own group; a group without a key keeps its most important', () => {
    const ungrouped = computeMergePlan(input, options);
    expect([...ungrouped.keptIndices[0]!]).toEqual([0]);
    const grouped = computeMergePlan({ ...input, groups: [0, 0, 0, 1, 1, 1] }, options);
    // step 1 had no key: its most important token (4) is kept, and 3 and 5 join it
    expect([...grouped.keptIndices[0]!]).toEqual([0, 4]);
    expect(grouped.sources[0]!.map((s) => [...s])).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
  });

  it('mergeByImportance takes the same groups', () => {
    const tokens = tf.tensor3d([0, 1, 2, 3, 4, 5], [1, 6, 1]);
    const importance = tf.tensor2d(input.scores as number[], [1, 6]);
    const merged = mergeByImportance(tokens, {
      importance,
      keys: tf.ones([1, 6, 1]) as tf.Tensor3D,
      groups: [0, 0, 0, 1, 1, 1],
      ...options,
    });
    expect(merged.sources[0]!.map((s) => [...s])).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(Array.from(merged.tokens.dataSync())).toEqual([1, 4]);
    tf.dispose([tokens, importance, merged.tokens, merged.sizes, merged.padMask]);
  });

  it('ties for a group key go to the lower position', () => {
    const plan = computeMergePlan(
      { ...input, scores: [9, 1, 1, 2, 2, 2], groups: [0, 0, 0, 1, 1, 1] },
      options,
    );
    expect([...plan.keptIndices[0]!]).toEqual([0, 3]);
  });

  it('rejects groups of the wrong length or that are not integers, naming the field', () => {
    expect(() => computeMergePlan({ ...input, groups: [0, 0, 1] })).toThrow(
      /groups has 3 values, expected 6/,
    );
    expect(() => computeMergePlan({ ...input, groups: [0, 0, 0.5, 1, 1, 1] })).toThrow(
      /groups\[2\] is 0.5/,
    );
  });

  const withGroups = randomBatch.chain((batch) =>
    fc
      .array(fc.integer({ min: 0, max: 3 }), {
        minLength: batch.batchSize * batch.tokenCount,
        maxLength: batch.batchSize * batch.tokenCount,
      })
      .map((groups) => ({ ...batch, groups })),
  );

  it('for all inputs: merges stay within groups, every group keeps a token, all tokens are held once', () => {
    fc.assert(
      fc.property(withGroups, randomOptions, (batch, rule) => {
        const plan = computeMergePlan(batch, rule);
        const N = batch.tokenCount;
        for (let b = 0; b < batch.batchSize; b++) {
          const real = [...Array(N).keys()].filter((n) => !batch.padMask[b * N + n]);
          const group = (i: number) => batch.groups[b * N + i]!;
          for (const i of real) expect(group(keyOf(plan, b, i))).toBe(group(i));
          const keptGroups = new Set(Array.from(plan.keptIndices[b]!, group));
          expect(keptGroups).toEqual(new Set(real.map(group)));
          const held = plan.sources[b]!.flatMap((source) => [...source]).sort((x, y) => x - y);
          expect(held).toEqual(real);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('for all inputs: one group is the plan without groups', () => {
    fc.assert(
      fc.property(randomBatch, randomOptions, fc.integer(), (batch, rule, id) => {
        const plain = computeMergePlan(batch, rule);
        const oneGroup = computeMergePlan(
          { ...batch, groups: new Array(batch.batchSize * batch.tokenCount).fill(id) },
          rule,
        );
        expect([...oneGroup.destination]).toEqual([...plain.destination]);
        expect([...oneGroup.weight]).toEqual([...plain.weight]);
      }),
      { numRuns: 100 },
    );
  });
});
