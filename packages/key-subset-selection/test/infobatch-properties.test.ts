import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EpochPlan, InfoBatchSampler, selectKeySubset } from '../src/index.js';

interface Run {
  size: number;
  epochs: number;
  pruneRatio: number;
  delta: number;
  seed: number;
  batchSize: number;
  /** Loss of sample i in epoch e: lossTable[(e * size + i) % length]. */
  lossTable: number[];
}

const runArbitrary: fc.Arbitrary<Run> = fc.record({
  size: fc.integer({ min: 1, max: 120 }),
  epochs: fc.integer({ min: 1, max: 8 }),
  pruneRatio: fc.double({ min: 0, max: 0.95, noNaN: true }),
  delta: fc.double({ min: 0, max: 1, noNaN: true }),
  seed: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  batchSize: fc.integer({ min: 1, max: 16 }),
  lossTable: fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 40 }),
});

const lossOf = (run: Run, epoch: number, index: number) =>
  run.lossTable[(epoch * run.size + index) % run.lossTable.length]!;

/** Plans and trains every epoch, calling `visit` on each plan before reporting its losses. */
function train(
  run: Run,
  sampler = newSampler(run),
  from = 0,
  visit: (plan: EpochPlan) => void = () => {},
) {
  for (let epoch = from; epoch < run.epochs; epoch++) {
    const plan = sampler.planEpoch(epoch);
    visit(plan);
    for (const batch of plan.batches(run.batchSize)) {
      sampler.update(
        batch.indices,
        Array.from(batch.indices, (i) => lossOf(run, epoch, i)),
      );
    }
  }
  return sampler;
}

function newSampler(run: Run) {
  const { size, epochs, pruneRatio, delta, seed } = run;
  return new InfoBatchSampler({ size, epochs, pruneRatio, delta, seed });
}

describe('InfoBatchSampler properties', () => {
  it('gives every sample weight 1 or 1 / (1 - pruneRatio), the latter only to easy samples kept while pruning', () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        const upweight = Math.fround(1 / (1 - run.pruneRatio));
        const sampler = newSampler(run);
        train(run, sampler, 0, (plan) => {
          plan.weights.forEach((weight, j) => {
            const index = plan.indices[j]!;
            const hard = sampler.history.wasHard(plan.epoch, index);
            expect(weight).toBe(plan.pruning && !hard ? upweight : 1);
          });
        });
      }),
    );
  });

  it('keeps every hard sample and floor((1 - pruneRatio) * |easy|) easy ones, each once', () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        const sampler = newSampler(run);
        train(run, sampler, 0, (plan) => {
          expect(new Set(plan.indices).size).toBe(plan.numSamples);
          if (!plan.pruning) return;
          let hard = 0;
          for (let i = 0; i < run.size; i++) if (sampler.history.wasHard(plan.epoch, i)) hard++;
          const easyKept = Array.from(plan.indices).filter(
            (i) => !sampler.history.wasHard(plan.epoch, i),
          ).length;
          expect(plan.numSamples - easyKept).toBe(hard);
          expect(easyKept).toBe(Math.floor((1 - run.pruneRatio) * (run.size - hard) + 1e-9));
        });
      }),
    );
  });

  it('loses no sample after delta: later epochs use all samples with weight 1', () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        const sampler = newSampler(run);
        train(run, sampler, 0, (plan) => {
          if (plan.epoch < sampler.pruningEpochs) return;
          expect(plan.pruning).toBe(false);
          expect(Array.from(plan.indices).sort((a, b) => a - b)).toEqual(
            Array.from({ length: run.size }, (_, i) => i),
          );
          expect(plan.weights.every((weight) => weight === 1)).toBe(true);
        });
      }),
    );
  });

  it('gives the same plans for the same seed and losses', () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        const plans: EpochPlan[] = [];
        train(run, newSampler(run), 0, (plan) => plans.push(plan));
        let epoch = 0;
        train(run, newSampler(run), 0, (plan) => {
          expect(plan.indices).toEqual(plans[epoch]!.indices);
          expect(plan.weights).toEqual(plans[epoch++]!.weights);
        });
      }),
    );
  });

  it('resumes from JSON mid-epoch exactly as an uninterrupted run', () => {
    fc.assert(
      fc.property(runArbitrary, fc.nat(), fc.nat(), (run, epochSeed, batchSeed) => {
        const uninterrupted: EpochPlan[] = [];
        const whole = train(run, newSampler(run), 0, (plan) => uninterrupted.push(plan));

        // Train up to a cut inside epoch `cut`, save, restore from text, and finish.
        const cut = epochSeed % run.epochs;
        const first = newSampler(run);
        const partial = { ...run, epochs: cut };
        train(partial, first);
        const plan = first.planEpoch(cut);
        const batches = [...plan.batches(run.batchSize)];
        const done = batchSeed % (batches.length + 1);
        for (const batch of batches.slice(0, done)) {
          first.update(
            batch.indices,
            Array.from(batch.indices, (i) => lossOf(run, cut, i)),
          );
        }
        const resumed = InfoBatchSampler.fromJSON(JSON.parse(JSON.stringify(first)), {
          size: run.size,
        });
        const replanned = resumed.planEpoch(cut);
        expect(replanned.indices).toEqual(uninterrupted[cut]!.indices);
        expect(replanned.weights).toEqual(uninterrupted[cut]!.weights);
        for (const batch of batches.slice(done)) {
          resumed.update(
            batch.indices,
            Array.from(batch.indices, (i) => lossOf(run, cut, i)),
          );
        }
        train(run, resumed, cut + 1, (later) => {
          expect(later.indices).toEqual(uninterrupted[later.epoch]!.indices);
          expect(later.weights).toEqual(uninterrupted[later.epoch]!.weights);
        });
        expect(resumed.toJSON()).toEqual(whole.toJSON());
        const options = { fraction: 0.5, k: 2 } as const;
        expect(selectKeySubset(resumed.history, options).indices).toEqual(
          selectKeySubset(whole.history, options).indices,
        );
      }),
    );
  });
});
