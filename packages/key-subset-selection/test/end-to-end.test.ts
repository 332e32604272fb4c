import { describe, expect, it } from 'vitest';
import { InfoBatchSampler, selectKeySubset } from '../src/index.js';

/**
 * A dataset whose samples are learned at different epochs: sample i has loss 1 until epoch
 * learnedAt(i), then 0.1. Some are never learned within the run, so the mean stays between
 * the two levels and "hard" means "not learned yet".
 */
const size = 400;
const epochs = 15;
const learnedAt = (index: number) => (index * 37) % 20;
const lossOf = (index: number, epoch: number) => (epoch < learnedAt(index) ? 1 : 0.1);

function run() {
  const sampler = new InfoBatchSampler({ size, epochs, seed: 42 });
  for (let epoch = 0; epoch < epochs; epoch++) {
    const plan = sampler.planEpoch(epoch);
    for (const batch of plan.batches(8)) {
      sampler.update(
        batch.indices,
        Array.from(batch.indices, (i) => lossOf(i, epoch)),
      );
    }
  }
  return sampler;
}

describe('InfoBatch + key subset on samples learned at different epochs', () => {
  it('prunes learned samples, so pruning epochs shrink as training goes on', () => {
    const sampler = run();
    const keptPerEpoch = Array.from({ length: epochs }, (_, epoch) =>
      sampler.history.keptCount(epoch),
    );
    expect(keptPerEpoch[0]).toBe(size);
    expect(keptPerEpoch[12]).toBeLessThan(keptPerEpoch[2]!);
    expect(keptPerEpoch[14]).toBe(size); // after delta: floor(0.875 * 15) = 13 pruning epochs
  });

  it("'hard' mode selects the samples learned last", () => {
    const sampler = run();
    const { indices } = selectKeySubset(sampler.history, { mode: 'hard', fraction: 0.25 });
    expect(indices.length).toBe(100);
    // A sample is hard in epoch e iff its previous loss was 1; epochs run out at 15, so
    // learning times from 14 on look alike.
    const seenLearnedAt = (index: number) => Math.min(learnedAt(index), epochs - 1);
    const chosen = new Set(indices);
    const worstChosen = Math.min(...Array.from(indices, seenLearnedAt));
    for (let i = 0; i < size; i++)
      if (!chosen.has(i)) expect(seenLearnedAt(i)).toBeLessThanOrEqual(worstChosen);
  });

  it("'kept' mode selects late learners too, blurred by InfoBatch's random keeps", () => {
    const sampler = run();
    const kept = Array.from(
      selectKeySubset(sampler.history, { mode: 'kept', fraction: 0.25 }).indices,
    );
    // Samples learned after the last pruning epoch (12) are kept in every epoch, so 'kept'
    // cannot tell them apart (they tie, lower index first); earlier learners only score
    // high when the random keeps favoured them.
    expect(Math.min(...kept.map(learnedAt))).toBeGreaterThanOrEqual(9);
    const meanLearnedAt = kept.reduce((sum, index) => sum + learnedAt(index), 0) / kept.length;
    expect(meanLearnedAt).toBeGreaterThan(13); // the whole dataset's mean is 9.5
  });
});
