import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nearestKeys } from '../src/merge-plan.js';
import { nearestKeysTiled } from '../src/nearest-key-tiled.js';

// small integers make exact ties common (and exact in float32 and float64 alike);
// fractional values exercise the tiled loop's summation order against the reference's
const value = fc.oneof(
  fc.integer({ min: -2, max: 2 }),
  fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }),
);

const problem = fc
  .record({
    tokenCount: fc.integer({ min: 2, max: 23 }),
    dim: fc.integer({ min: 1, max: 9 }),
    integersOnly: fc.boolean(),
  })
  .chain(({ tokenCount, dim, integersOnly }) =>
    fc.record({
      dim: fc.constant(dim),
      keys: fc.array(integersOnly ? fc.integer({ min: -1, max: 1 }) : value, {
        minLength: tokenCount * dim,
        maxLength: tokenCount * dim,
      }),
      isKey: fc
        .array(fc.boolean(), { minLength: tokenCount, maxLength: tokenCount })
        .map((flags) => [true, ...flags.slice(1)]),
      cosine: fc.boolean(),
    }),
  );

describe('nearestKeysTiled (speed only) against nearestKeys (the definition)', () => {
  it("gives exactly the definition's assignments, ties to the lower key", () => {
    fc.assert(
      fc.property(problem, ({ dim, keys, isKey, cosine }) => {
        const keyTokens = isKey.flatMap((flag, t) => (flag ? [t] : []));
        const tokens = isKey.flatMap((flag, t) => (flag ? [] : [t]));
        expect([...nearestKeysTiled(keys, 0, dim, keyTokens, tokens, cosine)]).toEqual([
          ...nearestKeys(keys, 0, dim, keyTokens, tokens, cosine),
        ]);
      }),
      { seed: 6, numRuns: 300 },
    );
  });

  it('gives the same from a Float32Array (the path the reducer takes), at a row offset', () => {
    fc.assert(
      fc.property(problem, fc.integer({ min: 0, max: 3 }), ({ dim, keys, isKey, cosine }, pad) => {
        const keyTokens = isKey.flatMap((flag, t) => (flag ? [t] : []));
        const tokens = isKey.flatMap((flag, t) => (flag ? [] : [t]));
        // `pad` rows of noise before and after: only rows offset..offset + N may be read
        const buffer = new Float32Array((keys.length / dim + 2 * pad) * dim).fill(1e6);
        buffer.set(keys, pad * dim);
        const asFloat32 = Array.from(Float32Array.from(keys));
        expect([...nearestKeysTiled(buffer, pad, dim, keyTokens, tokens, cosine)]).toEqual([
          ...nearestKeys(asFloat32, 0, dim, keyTokens, tokens, cosine),
        ]);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('sends a token with equal similarity to several keys to the first of them', () => {
    // token 4 = [1, 1] scores 2 against keys 1, 2 and 3 (all [1, 1]) and 0 against key 0
    const keys = [1, -1, 1, 1, 1, 1, 1, 1, 1, 1];
    expect([...nearestKeysTiled(keys, 0, 2, [0, 1, 2, 3], [4], false)]).toEqual([1]);
    // four tokens fill one tile; every one ties between keys 0 and 1
    const tile = [0, 5, 0, 5, 1, 0, 2, 0, 3, 0, 4, 0];
    expect([...nearestKeysTiled(tile, 0, 2, [0, 1], [2, 3, 4, 5], false)]).toEqual([0, 0, 0, 0]);
    expect([...nearestKeys(tile, 0, 2, [0, 1], [2, 3, 4, 5], false)]).toEqual([0, 0, 0, 0]);
  });
});
