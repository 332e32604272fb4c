import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeMergePlan, type MergePlanOptions, selectTopTokens } from '../src/index.js';
import { randomBatch, randomOptions } from './fixtures.js';
import * as reference from './reference-merge-plan.js';

// The plan was sped up (typed-array selection of the top tokens, member lists without a
// sort); what it computes must not move: every field equals the earlier code's, bit for bit.
const fixedCountOptions: fc.Arbitrary<MergePlanOptions> = fc.oneof(
  fc.record({ r: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ target: fc.integer({ min: 1, max: 6 }) }),
);

const withProtected = (options: MergePlanOptions, tokenCount: number, protect: boolean) =>
  protect ? { ...options, protectedTokens: [0, tokenCount - 1] } : options;

describe('computeMergePlan against the plan before the speed-up', () => {
  it('gives the same plan for random batches (ties, padding, sizes, batch of one, N = 2)', () => {
    fc.assert(
      fc.property(
        randomBatch,
        fc.oneof(randomOptions, fixedCountOptions),
        fc.boolean(),
        (batch, options, protect) => {
          const opts = withProtected(options, batch.tokenCount, protect && batch.tokenCount > 2);
          expect(computeMergePlan(batch, opts)).toEqual(reference.computeMergePlan(batch, opts));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives the same plan when every score is equal', () => {
    fc.assert(
      fc.property(randomBatch, randomOptions, (batch, options) => {
        const flat = { ...batch, scores: Array.from(batch.scores, () => 0.25) };
        expect(computeMergePlan(flat, options)).toEqual(reference.computeMergePlan(flat, options));
      }),
      { numRuns: 100 },
    );
  });

  it('composes source lists from an earlier plan as before', () => {
    fc.assert(
      fc.property(randomBatch, randomOptions, randomOptions, (batch, first, second) => {
        const earlier = reference.computeMergePlan(batch, first);
        fc.pre(earlier.outputTokens > 0);
        const input = {
          batchSize: batch.batchSize,
          tokenCount: earlier.outputTokens,
          keyDim: 1,
          scores: Array.from(earlier.sizes, (s, i) => (s * 7 + i) % 5),
          keys: Array.from(earlier.sizes, (s, i) => ((i * 3) % 7) - 3 + s),
          sizes: earlier.sizes,
          padMask: Array.from(earlier.sizes, (s) => (s === 0 ? 1 : 0)),
          sources: earlier.sources.map((lists) =>
            Array.from({ length: earlier.outputTokens }, (_, m) => lists[m] ?? new Int32Array(0)),
          ),
        };
        expect(computeMergePlan(input, second)).toEqual(reference.computeMergePlan(input, second));
      }),
      { numRuns: 200 },
    );
  });

  it('selectTopTokens picks the same tokens for any scores, counts and candidate order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, -0, 0.5, 1, 2, Number.POSITIVE_INFINITY, -1), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: -1, max: 14 }),
        fc.boolean(),
        (scores, count, shuffle) => {
          const candidates = scores.map((_, i) => i).filter((i) => i % 3 !== 1 || i === 0);
          const order = shuffle ? [...candidates].reverse() : candidates;
          expect(selectTopTokens(scores, order, count)).toEqual(
            reference.selectTopTokens(scores, order, count),
          );
        },
      ),
      { numRuns: 400 },
    );
  });
});
