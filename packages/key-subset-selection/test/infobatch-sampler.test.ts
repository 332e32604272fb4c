import { describe, expect, it } from 'vitest';
import { InfoBatchSampler, pruningEpochCount } from '../src/index.js';

const sorted = (values: ArrayLike<number>) => Array.from(values).sort((a, b) => a - b);

/** Reports `losses[i]` for every sample of the plan, in batches of `batchSize`. */
function trainEpoch(
  sampler: InfoBatchSampler,
  epoch: number,
  losses: ArrayLike<number>,
  batchSize = 3,
) {
  const plan = sampler.planEpoch(epoch);
  for (const batch of plan.batches(batchSize)) {
    sampler.update(
      batch.indices,
      Array.from(batch.indices, (i) => losses[i]!),
    );
  }
  return plan;
}

describe('InfoBatchSampler: scores, mean and the easy/hard split', () => {
  it('keeps every sample with weight 1 while all scores equal the initial score', () => {
    const sampler = new InfoBatchSampler({ size: 5, epochs: 4, seed: 1 });
    const plan = sampler.planEpoch(0);
    expect(plan.pruning).toBe(true);
    expect(plan.meanScore).toBe(3);
    expect(sorted(plan.indices)).toEqual([0, 1, 2, 3, 4]);
    expect([...plan.weights]).toEqual([1, 1, 1, 1, 1]);
    expect(plan.numPruned).toBe(0);
    // Nothing is below the mean, so every sample is hard (D1).
    for (let i = 0; i < 5; i++) expect(sampler.history.wasHard(0, i)).toBe(true);
  });

  it('prunes floor((1 - pruneRatio) * |easy|) of the easy samples and upweights the rest by 1 / (1 - pruneRatio)', () => {
    const sampler = new InfoBatchSampler({ size: 6, epochs: 4, seed: 3 });
    // Losses 1,1,1,1,5,5: mean 14/6 = 2.33; easy = {0,1,2,3}; keep floor(0.5 * 4) = 2 of them.
    trainEpoch(sampler, 0, [1, 1, 1, 1, 5, 5]);
    const plan = sampler.planEpoch(1);
    expect(plan.meanScore).toBeCloseTo(14 / 6, 12);
    expect(plan.numSamples).toBe(4);
    expect(plan.numPruned).toBe(2);
    const kept = sorted(plan.indices);
    expect(kept.slice(-2)).toEqual([4, 5]);
    expect(kept.slice(0, 2).every((i) => i < 4)).toBe(true);
    expect(Array.from(plan.weights)).toEqual(
      Array.from(plan.indices, (index) => (index >= 4 ? 1 : 2)),
    );
    expect([0, 1, 2, 3, 4, 5].map((i) => sampler.history.wasHard(1, i))).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
    expect(plan.steps(3)).toBe(2);
    expect(plan.steps(3, true)).toBe(1);
    expect([...plan.batches(3)].map((batch) => batch.indices.length)).toEqual([3, 1]);
  });

  it('uses weight 1 / (1 - pruneRatio) rounded to float32 and keeps floor((1 - p) * |easy|)', () => {
    const sampler = new InfoBatchSampler({
      size: 11,
      epochs: 2,
      delta: 1,
      pruneRatio: 0.3,
      seed: 9,
    });
    // Ten samples at loss 0 and one at 100: mean 9.09, easy = 0..9, keep floor(0.7 * 10) = 7.
    trainEpoch(sampler, 0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100]);
    const plan = sampler.planEpoch(1);
    expect(plan.numSamples).toBe(8);
    expect(new Set(plan.weights)).toEqual(new Set([1, Math.fround(1 / 0.7)]));
  });

  it('keeps floor((1 - p) * |easy|) despite float error, e.g. 1 of 10 easy samples at pruneRatio 0.9', () => {
    const sampler = new InfoBatchSampler({
      size: 11,
      epochs: 2,
      delta: 1,
      pruneRatio: 0.9,
      seed: 9,
    });
    trainEpoch(sampler, 0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100]);
    // (1 - 0.9) * 10 is 0.9999999999999998 in floats.
    expect(sampler.planEpoch(1).numSamples).toBe(2);
  });

  it('counts a sample as easy only when strictly below the mean of all current scores', () => {
    const sampler = new InfoBatchSampler({ size: 4, epochs: 3, seed: 0, pruneRatio: 0.5 });
    sampler.planEpoch(0);
    // Only samples 0 and 1 are reported; 2 and 3 keep the initial score 3. Mean (2 + 2 + 3 + 3) / 4 = 2.5.
    sampler.update([0, 1], [2, 2]);
    const plan = sampler.planEpoch(1);
    expect(plan.meanScore).toBe(2.5);
    expect(sampler.scoreOf(2)).toBe(3);
    expect(plan.numSamples).toBe(3); // hard 2 and 3, plus floor(0.5 * 2) = 1 of {0, 1}
    expect(sorted(plan.indices).slice(-2)).toEqual([2, 3]);
  });

  it('leaves the score of a pruned sample unchanged until it is reported again', () => {
    const sampler = new InfoBatchSampler({ size: 6, epochs: 4, seed: 3 });
    trainEpoch(sampler, 0, [1, 1, 1, 1, 5, 5]);
    const plan = sampler.planEpoch(1);
    const pruned = [0, 1, 2, 3].filter((i) => !plan.indices.includes(i));
    expect(pruned.length).toBe(2);
    sampler.update(
      plan.indices,
      Array.from(plan.indices, () => 0.25),
    );
    for (const index of pruned) expect(sampler.scoreOf(index)).toBe(1);
  });

  it('computes the weighted mean loss of a batch', () => {
    const sampler = new InfoBatchSampler({ size: 6, epochs: 4, seed: 3 });
    trainEpoch(sampler, 0, [1, 1, 1, 1, 5, 5]);
    const plan = sampler.planEpoch(1);
    const easyKept = Array.from(plan.indices).filter((i) => i < 4);
    const { weights, weightedMeanLoss } = sampler.update([easyKept[0]!, 4], [0.5, 3]);
    expect([...weights]).toEqual([2, 1]);
    expect(weightedMeanLoss).toBe((2 * 0.5 + 1 * 3) / 2);
    expect(sampler.weightsOf([5, easyKept[1]!])).toEqual(Float32Array.of(1, 2));
  });

  it('treats a batch of one and a dataset of one', () => {
    const sampler = new InfoBatchSampler({ size: 1, epochs: 3 });
    for (let epoch = 0; epoch < 3; epoch++) {
      const plan = sampler.planEpoch(epoch);
      expect([...plan.indices]).toEqual([0]);
      expect(sampler.update(plan.indices, [epoch + 0.5]).weightedMeanLoss).toBe(epoch + 0.5);
    }
  });
});

describe('InfoBatchSampler: when pruning stops', () => {
  it('prunes epoch e iff e < floor(delta * epochs)', () => {
    expect(pruningEpochCount(30, 0.875)).toBe(26); // 26.25
    expect(pruningEpochCount(8, 0.875)).toBe(7); // 7 exactly
    expect(pruningEpochCount(3, 0.5)).toBe(1); // 1.5
    expect(pruningEpochCount(100, 0.29)).toBe(29); // 0.29 * 100 = 28.999999999999996 in floats
    expect(pruningEpochCount(10, 1)).toBe(10);
    expect(pruningEpochCount(10, 0)).toBe(0);
  });

  it('uses every sample with weight 1 from epoch floor(delta * epochs) on, even when delta * epochs is fractional', () => {
    const size = 40;
    const sampler = new InfoBatchSampler({ size, epochs: 5, delta: 0.5, seed: 11 });
    expect(sampler.pruningEpochs).toBe(2);
    const losses = Array.from({ length: size }, (_, i) => (i % 4 === 0 ? 10 : 0.1));
    expect(trainEpoch(sampler, 0, losses).pruning).toBe(true);
    const pruned = trainEpoch(sampler, 1, losses);
    expect(pruned.pruning).toBe(true);
    expect(pruned.numPruned).toBe(15); // easy = 30, keep 15
    for (let epoch = 2; epoch < 5; epoch++) {
      const plan = sampler.planEpoch(epoch);
      expect(plan.pruning).toBe(false);
      expect(sorted(plan.indices)).toEqual(Array.from({ length: size }, (_, i) => i));
      expect(plan.weights.every((weight) => weight === 1)).toBe(true);
      // Samples upweighted in the last pruning epoch weigh 1 again (InfoBatch's own code
      // keeps their weight 2 when delta * epochs is fractional).
      expect(
        sampler
          .update(
            plan.indices,
            Array.from(plan.indices, (i) => losses[i]!),
          )
          .weights.every((w) => w === 1),
      ).toBe(true);
    }
  });
});

describe('InfoBatchSampler: order and seeds', () => {
  it('shuffles the kept samples by (seed, epoch)', () => {
    const make = (seed: number) => new InfoBatchSampler({ size: 100, epochs: 3, seed });
    const a = make(5).planEpoch(0).indices;
    expect(a).toEqual(make(5).planEpoch(0).indices);
    expect(a).not.toEqual(make(6).planEpoch(0).indices);
    expect(Array.from(a)).not.toEqual(sorted(a));
    const sampler = make(5);
    sampler.planEpoch(0);
    expect(sampler.planEpoch(1).indices).not.toEqual(a);
  });

  it('returns the same plan when the current epoch is planned again', () => {
    const sampler = new InfoBatchSampler({ size: 50, epochs: 3, seed: 2 });
    trainEpoch(
      sampler,
      0,
      Array.from({ length: 50 }, (_, i) => i % 7),
    );
    const first = sampler.planEpoch(1);
    sampler.update(first.indices.subarray(0, 5), [9, 9, 9, 9, 9]);
    const again = sampler.planEpoch(1);
    expect(again.indices).toEqual(first.indices);
    expect(again.weights).toEqual(first.weights);
    expect(again.meanScore).toBe(first.meanScore);
    expect(sampler.history.epochs).toBe(2);
  });
});

describe('InfoBatchSampler: bad input', () => {
  it('rejects bad options, naming the option', () => {
    expect(() => new InfoBatchSampler({ size: 0, epochs: 1 })).toThrow(
      'option size must be a positive integer',
    );
    expect(() => new InfoBatchSampler({ size: 3, epochs: 2.5 })).toThrow('option epochs');
    expect(() => new InfoBatchSampler({ size: 3, epochs: 2, pruneRatio: 1 })).toThrow(
      'option pruneRatio must be in [0, 1)',
    );
    expect(() => new InfoBatchSampler({ size: 3, epochs: 2, delta: 1.5 })).toThrow('option delta');
    expect(() => new InfoBatchSampler({ size: 3, epochs: 2, initialScore: Number.NaN })).toThrow(
      'option initialScore',
    );
    expect(() => new InfoBatchSampler({ size: 3, epochs: 2, seed: 0.5 })).toThrow('option seed');
  });

  it('plans epochs in order and within the configured count', () => {
    const sampler = new InfoBatchSampler({ size: 3, epochs: 2 });
    expect(() => sampler.planEpoch(1)).toThrow(
      'planEpoch(1): epochs are planned in order; expected 0',
    );
    sampler.planEpoch(0);
    expect(() => sampler.planEpoch(2)).toThrow('expected 1 (or 0 again)');
    sampler.planEpoch(1);
    expect(() => sampler.planEpoch(2)).toThrow('set up for 2 epochs');
  });

  it('rejects a bad batch without storing any of it', () => {
    const sampler = new InfoBatchSampler({ size: 6, epochs: 4, seed: 3 });
    expect(() => sampler.update([0], [1])).toThrow('no epoch planned yet');
    trainEpoch(sampler, 0, [1, 1, 1, 1, 5, 5]);
    const plan = sampler.planEpoch(1);
    const prunedIndex = [0, 1, 2, 3].find((i) => !plan.indices.includes(i))!;
    expect(() => sampler.update([4, prunedIndex], [7, 7])).toThrow(
      `sample ${prunedIndex} (indices[1]) is pruned in epoch 1`,
    );
    expect(sampler.scoreOf(4)).toBe(5);
    expect(() => sampler.update([4, 6], [1, 1])).toThrow('sample 6 (indices[1]) is not in [0, 6)');
    expect(() => sampler.update([4, 5], [1])).toThrow('2 indices but 1 losses');
    expect(() => sampler.update([4], [Number.NaN])).toThrow('losses[0] = NaN is not finite');
    expect(() => sampler.update([], [])).toThrow('empty batch');
    expect(() => plan.steps(0)).toThrow('batchSize must be a positive integer');
  });
});
