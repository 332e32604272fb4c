import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeptHistory, keySubsetScores, selectKeySubset } from '../src/index.js';
import { rankByScore } from '../src/key-subset.js';

/**
 * 4 samples, 7 epochs. With k = 3: group 1 = epochs 0-2, group 2 = 3-5, group 3 = epoch 6
 * (partial, its count scaled by 3 / 1). Kept counts c_g(i):
 *   sample 0: every epoch   -> [3, 3, 1]
 *   sample 1: epochs 0-2    -> [3, 0, 0]
 *   sample 2: epochs 3-6    -> [0, 3, 1]
 *   sample 3: epoch 6       -> [0, 0, 1]
 * Sample 1 is the only hard one, in every epoch.
 */
function exampleHistory(): KeptHistory {
  const history = new KeptHistory(4);
  for (let epoch = 0; epoch < 7; epoch++) {
    const kept = [0];
    if (epoch <= 2) kept.push(1);
    if (epoch >= 3) kept.push(2);
    if (epoch === 6) kept.push(3);
    history.appendEpochIndices(kept, [1]);
  }
  return history;
}

describe('key-subset scores', () => {
  it("weighs the earliest group most with decayFrom 'earliest' (the authors' code)", () => {
    // w = r^(g-1) = [1, 0.5, 0.25], times the size correction [1, 1, 3] -> [1, 0.5, 0.75].
    const { scores, groupWeights } = keySubsetScores(exampleHistory(), {
      k: 3,
      r: 0.5,
      decayFrom: 'earliest',
    });
    expect([...groupWeights]).toEqual([1, 0.5, 0.75]);
    expect([...scores]).toEqual([3 + 1.5 + 0.75, 3, 1.5 + 0.75, 0.75]);
    expect([...selectKeySubset(exampleHistory(), { k: 3, r: 0.5, count: 4 }).indices]).toEqual([
      0, 1, 2, 3,
    ]);
  });

  it("weighs the latest group most with decayFrom 'latest' (the paper's text)", () => {
    // w = [0.25, 0.5, 1], times [1, 1, 3] -> [0.25, 0.5, 3].
    const options = { k: 3, r: 0.5, decayFrom: 'latest' } as const;
    const { scores, groupWeights } = keySubsetScores(exampleHistory(), options);
    expect([...groupWeights]).toEqual([0.25, 0.5, 3]);
    expect([...scores]).toEqual([0.75 + 1.5 + 3, 0.75, 1.5 + 3, 3]);
    expect([...selectKeySubset(exampleHistory(), { ...options, count: 4 }).indices]).toEqual([
      0, 2, 3, 1,
    ]);
  });

  it("counts hard epochs (D1) in mode 'hard'", () => {
    const { scores } = keySubsetScores(exampleHistory(), { k: 3, r: 0.5, mode: 'hard' });
    expect([...scores]).toEqual([0, 3 + 1.5 + 0.75, 0, 0]);
    expect([...selectKeySubset(exampleHistory(), { mode: 'hard', count: 1 }).indices]).toEqual([1]);
  });

  it('uses only the first `epochs` recorded epochs, and one group when k >= epochs', () => {
    expect([...keySubsetScores(exampleHistory(), { k: 3, epochs: 3 }).scores]).toEqual([
      3, 3, 0, 0,
    ]);
    // One partial group of 7 epochs scaled by 10 / 7.
    const single = keySubsetScores(exampleHistory(), { k: 10, r: 0.5 });
    expect([...single.groupWeights]).toEqual([10 / 7]);
    expect(single.scores[0]).toBeCloseTo(10, 12);
  });

  it('uses the defaults of the paper: k = 5, r = 0.618, earliest first', () => {
    const history = new KeptHistory(2, { recordHard: false });
    for (let epoch = 0; epoch < 15; epoch++) history.appendEpochIndices(epoch >= 10 ? [0, 1] : [0]);
    const { scores, groupWeights } = keySubsetScores(history);
    expect([...groupWeights]).toEqual([1, 0.618, 0.618 ** 2]);
    expect(scores[1]).toBeCloseTo(5 * 0.618 ** 2, 12);
    expect(scores[0]).toBeCloseTo(5 * (1 + 0.618 + 0.618 ** 2), 12);
  });
});

describe('selectKeySubset', () => {
  it('breaks ties by the lower sample index first', () => {
    const history = new KeptHistory(5, { recordHard: false });
    history.appendEpochIndices([1, 2, 4]);
    history.appendEpochIndices([0, 1, 2, 3, 4]);
    // Scores 1, 2, 2, 1, 2.
    expect([...selectKeySubset(history, { count: 2 }).indices]).toEqual([1, 2]);
    expect([...selectKeySubset(history, { count: 4 }).indices]).toEqual([1, 2, 4, 0]);
    // All equal: the first n indices.
    const flat = new KeptHistory(6, { recordHard: false });
    flat.appendEpochIndices([0, 1, 2, 3, 4, 5]);
    expect([...selectKeySubset(flat, { count: 3 }).indices]).toEqual([0, 1, 2]);
  });

  it('reports the tie at the cut: how many share the last score and how many fit', () => {
    const history = new KeptHistory(5, { recordHard: false });
    history.appendEpochIndices([1, 2, 4]);
    history.appendEpochIndices([0, 1, 2, 3, 4]);
    // One group of k = 2 epochs: scores 1, 2, 2, 1, 2, and three samples share 2.
    const cutoff = (count: number) => selectKeySubset(history, { k: 2, count }).cutoff;
    expect(cutoff(2)).toEqual({ score: 2, tied: 3, chosen: 2 });
    expect(cutoff(3)).toEqual({ score: 2, tied: 3, chosen: 3 });
    expect(cutoff(4)).toEqual({ score: 1, tied: 2, chosen: 1 });
    expect(cutoff(0)).toBeNull();
  });

  it('takes n as a count or as a fraction rounded to the nearest count', () => {
    const history = new KeptHistory(5, { recordHard: false });
    history.appendEpochIndices([0, 1, 2, 3, 4]);
    expect(selectKeySubset(history, { fraction: 0.5 }).indices.length).toBe(3); // 2.5 rounds up
    expect(selectKeySubset(history, { fraction: 0.25 }).indices.length).toBe(1); // 1.25
    expect(selectKeySubset(history, { fraction: 1 }).indices.length).toBe(5);
    expect(selectKeySubset(history, { count: 0 }).indices.length).toBe(0);
  });

  it('rejects bad options, naming the option', () => {
    const history = exampleHistory();
    expect(() => selectKeySubset(history, {})).toThrow('exactly one of `count` and `fraction`');
    expect(() => selectKeySubset(history, { count: 1, fraction: 0.5 })).toThrow('exactly one');
    expect(() => selectKeySubset(history, { count: 5 })).toThrow(
      'count must be an integer in [0, 4], got 5',
    );
    expect(() => selectKeySubset(history, { fraction: 0 })).toThrow('fraction must be in (0, 1]');
    expect(() => selectKeySubset(history, { count: 1, k: 0 })).toThrow(
      'k must be a positive integer',
    );
    expect(() => selectKeySubset(history, { count: 1, r: -1 })).toThrow(
      'r must be a positive number',
    );
    expect(() => selectKeySubset(history, { count: 1, epochs: 8 })).toThrow(
      'epochs must be an integer in [1, 7]',
    );
    const keptOnly = new KeptHistory(4, { recordHard: false });
    keptOnly.appendEpochIndices([0]);
    expect(() => selectKeySubset(keptOnly, { count: 1, mode: 'hard' })).toThrow(
      'hard samples were not recorded',
    );
  });

  it('selects exactly n distinct samples, ranked, none outranked by a sample left out', () => {
    const historyArbitrary = fc
      .record({ size: fc.integer({ min: 1, max: 80 }), epochs: fc.integer({ min: 1, max: 12 }) })
      .chain(({ size, epochs }) =>
        fc.record({
          size: fc.constant(size),
          kept: fc.array(
            fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { maxLength: size }),
            {
              minLength: epochs,
              maxLength: epochs,
            },
          ),
          n: fc.integer({ min: 0, max: size }),
          k: fc.integer({ min: 1, max: 6 }),
          r: fc.double({ min: 0.05, max: 2, noNaN: true }),
          decayFrom: fc.constantFrom('earliest' as const, 'latest' as const),
        }),
      );
    fc.assert(
      fc.property(historyArbitrary, ({ size, kept, n, k, r, decayFrom }) => {
        const history = new KeptHistory(size, { recordHard: false });
        for (const epochKept of kept) history.appendEpochIndices(epochKept);
        const { indices, scores } = selectKeySubset(history, { count: n, k, r, decayFrom });
        expect(indices.length).toBe(n);
        expect(new Set(indices).size).toBe(n);
        const rank = (a: number, b: number) => scores[b]! - scores[a]! || a - b;
        for (let j = 1; j < n; j++) expect(rank(indices[j - 1]!, indices[j]!)).toBeLessThan(0);
        const chosen = new Set(indices);
        const last = indices[n - 1];
        if (last !== undefined) {
          for (let i = 0; i < size; i++) if (!chosen.has(i)) expect(rank(last, i)).toBeLessThan(0);
        }
      }),
    );
  });
});

describe('rankByScore', () => {
  it('orders like a comparison sort by score descending, then index ascending', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 0.5, 1, 1.618, 2.25, 7), { maxLength: 300 }),
        (values) => {
          const scores = Float64Array.from(values);
          const expected = Array.from(values, (_, i) => i).sort(
            (a, b) => scores[b]! - scores[a]! || a - b,
          );
          expect(Array.from(rankByScore(scores))).toEqual(expected);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 300 }),
        (values) => {
          const scores = Float64Array.from(values);
          const expected = Array.from(values, (_, i) => i).sort(
            (a, b) => scores[b]! - scores[a]! || a - b,
          );
          expect(Array.from(rankByScore(scores))).toEqual(expected);
        },
      ),
    );
  });
});
