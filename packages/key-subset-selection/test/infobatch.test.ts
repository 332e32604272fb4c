import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InfoBatch, InfoBatchSampler, type PerSampleLoss } from '../src/index.js';

/** A stand-in for a tensor library's 1-D loss tensor: it records what InfoBatch asked of it. */
class FakeLossTensor implements PerSampleLoss<{ value: number }> {
  weightsSeen: Float32Array | null = null;
  constructor(readonly values: Float32Array) {}
  dataSync() {
    return this.values;
  }
  mul(weights: Float32Array) {
    this.weightsSeen = weights;
    const products = this.values.map((v, j) => v * weights[j]!);
    return { mean: () => ({ value: products.reduce((a, b) => a + b, 0) / products.length }) };
  }
}

/** A per-sample loss that depends on the sample and the epoch, so the split changes. */
const lossOf = (index: number, epoch: number) => ((index * 7) % 10) / (epoch + 1) + 0.01;

describe('InfoBatch (drop-in loop)', () => {
  it('hands out batches, weighs the loss tensor and records the losses', () => {
    const trainset = new InfoBatch<{ value: number }>({
      size: 20,
      epochs: 4,
      batchSize: 6,
      seed: 3,
    });
    for (let epoch = 0; epoch < 4; epoch++) {
      const seen: number[] = [];
      for (const indices of trainset.batches(epoch)) {
        const loss = new FakeLossTensor(Float32Array.from(indices, (i) => lossOf(i, epoch)));
        const weighted = trainset.update(loss);
        expect(loss.weightsSeen).toEqual(trainset.weights);
        const expected =
          [...loss.values].reduce((sum, v, j) => sum + v * trainset.weights![j]!, 0) /
          indices.length;
        expect(weighted.value).toBeCloseTo(expected, 6);
        for (const i of indices)
          expect(trainset.sampler.scoreOf(i)).toBe(Math.fround(lossOf(i, epoch)));
        seen.push(...indices);
      }
      const plan = trainset.epochPlan!;
      expect(seen.sort((a, b) => a - b)).toEqual([...plan.indices].sort((a, b) => a - b));
      expect(trainset.steps(epoch)).toBe(Math.ceil(plan.numSamples / 6));
    }
    // epoch 1 on prunes: the losses differ, so some easy samples are left out
    expect(trainset.sampler.history.keptCount(1)).toBeLessThan(20);
  });

  it('makes the same plans, weights and history as the sampler driven by hand', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1000 }),
        (size, epochs, batchSize, seed) => {
          const loop = new InfoBatch({ size, epochs, batchSize, seed });
          const manual = new InfoBatchSampler({ size, epochs, seed });
          for (let epoch = 0; epoch < epochs; epoch++) {
            const batches = [...manual.planEpoch(epoch).batches(batchSize)];
            let b = 0;
            for (const indices of loop.batches()) {
              const expected = batches[b++]!;
              expect([...indices]).toEqual([...expected.indices]);
              const losses = Array.from(indices, (i) => lossOf(i, epoch));
              const weighted = loop.update(losses);
              const reference = manual.update(expected.indices, losses);
              expect(weighted).toBe(reference.weightedMeanLoss);
              expect(loop.weights).toEqual(expected.weights);
            }
            expect(b).toBe(batches.length);
          }
          expect(JSON.stringify(loop.sampler)).toBe(JSON.stringify(manual));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('weighs with the weightedMean option when the loss has no chained mul (tfjs-core alone)', () => {
    const seen: Float32Array[] = [];
    const trainset = new InfoBatch<number>({
      size: 6,
      epochs: 1,
      batchSize: 3,
      weightedMean: (loss, weights) => {
        seen.push(weights);
        const values = loss.dataSync();
        return Array.from(values).reduce((sum, v, j) => sum + v * weights[j]!, 0) / values.length;
      },
    });
    for (const indices of trainset.batches()) {
      const result = trainset.update({ dataSync: () => Float32Array.from(indices, (i) => i) });
      expect(result).toBeCloseTo(indices.reduce((a, b) => a + b, 0) / 3, 6);
    }
    expect(seen.length).toBe(2);
    const bare = new InfoBatch<number>({ size: 2, epochs: 1, batchSize: 2 });
    bare.batches().next();
    expect(() => bare.update({ dataSync: () => [1, 2] })).toThrow(
      /no mul\(\) method .* weightedMean/,
    );
    // nothing was recorded by the rejected call
    expect(bare.sampler.scoreOf(0)).toBe(3);
  });

  it('resumes from JSON at an epoch boundary exactly as an uninterrupted run', () => {
    const options = { size: 30, epochs: 5, batchSize: 4, seed: 11 };
    const trainEpoch = (trainset: InfoBatch, epoch: number) => {
      const seen: number[][] = [];
      for (const indices of trainset.batches(epoch)) {
        seen.push([...indices, ...trainset.weights!]);
        trainset.update(Array.from(indices, (i) => lossOf(i, epoch)));
      }
      return seen;
    };
    const straight = new InfoBatch(options);
    const interrupted = new InfoBatch(options);
    for (let epoch = 0; epoch < 2; epoch++) {
      expect(trainEpoch(interrupted, epoch)).toEqual(trainEpoch(straight, epoch));
    }
    const resumed = InfoBatch.fromJSON(JSON.parse(JSON.stringify(interrupted)), {
      size: 30,
      batchSize: 4,
    });
    expect(resumed.sampler.currentEpoch).toBe(1);
    for (let epoch = 2; epoch < 5; epoch++) {
      expect(trainEpoch(resumed, epoch)).toEqual(trainEpoch(straight, epoch));
    }
    expect(() =>
      InfoBatch.fromJSON(JSON.parse(JSON.stringify(straight)), { size: 31, batchSize: 4 }),
    ).toThrow(/saved for a dataset of/);
  });

  it('a batch of one, and dropLast leaves out the short batch', () => {
    const single = new InfoBatch({ size: 3, epochs: 1, batchSize: 1, seed: 0 });
    const batches = [...single.batches()].map((indices) => {
      expect(indices.length).toBe(1);
      return single.update([2]);
    });
    expect(batches).toEqual([2, 2, 2]);
    const dropped = new InfoBatch({ size: 7, epochs: 1, batchSize: 3, dropLast: true });
    let count = 0;
    for (const indices of dropped.batches()) {
      dropped.update(Array.from(indices, () => 1));
      count++;
    }
    expect(count).toBe(2);
  });

  it('says what is wrong: no batch yet, a mean instead of per-sample losses, a bad batch size', () => {
    const trainset = new InfoBatch({ size: 4, epochs: 2, batchSize: 2 });
    expect(() => trainset.update([1, 2])).toThrow(/no batch handed out yet/);
    const batches = trainset.batches(0);
    batches.next();
    expect(() => trainset.update([1])).toThrow(/1 losses for a batch of 2 samples/);
    expect(() => trainset.update(new FakeLossTensor(new Float32Array(3)))).toThrow(
      /3 losses for a batch of 2/,
    );
    expect(() => trainset.update([1, Number.NaN])).toThrow(/not finite/);
    // asking for the next epoch's length mid-epoch would replan under the open batches
    expect(() => trainset.steps(1)).toThrow(/epoch 0 is still handing out batches/);
    expect(trainset.steps(0)).toBe(2);
    batches.return(undefined);
    expect(trainset.steps(1)).toBe(2);
    expect(() => new InfoBatch({ size: 4, epochs: 2, batchSize: 0 })).toThrow(
      /batchSize must be a positive integer/,
    );
  });
});
