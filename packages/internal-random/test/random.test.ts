import { describe, expect, it } from 'vitest';
import { fmix32, lowbias32, mulberry32, SplitMix32 } from '../src/index.js';

// Known answers recorded from the five generators this package replaced (commit 0adb5bb):
// amuse-encoder's, avqa-datasets' and sparse-masking's mulberry32, key-subset-selection's
// SplitMix32 and the trainer's Rng. If one changes, saved runs and generated data change.
describe('known answers of the generators the packages used before', () => {
  it('mulberry32(3)', () => {
    const next = mulberry32(3);
    expect(Array.from({ length: 4 }, next)).toEqual([
      0.7202267837710679, 0.03866216051392257, 0.4561921926215291, 0.07492800964973867,
    ]);
  });

  it('SplitMix32 with lowbias32 (key-subset-selection), also from a negative seed', () => {
    const draws = (seed: number) => {
      const random = new SplitMix32(seed);
      return Array.from({ length: 4 }, () => random.nextUint32());
    };
    expect(draws(3)).toEqual([2377132070, 4151384117, 1437520376, 701051360]);
    expect(draws(-5)).toEqual([1426393522, 69271245, 3725471609, 3460411464]);
  });

  it('SplitMix32 with fmix32 (the trainer), also from a negative seed', () => {
    const draws = (seed: number) => {
      const random = new SplitMix32(seed, fmix32);
      return Array.from({ length: 4 }, () => random.nextUint32());
    };
    expect(draws(3)).toEqual([3984711379, 746935934, 1102698049, 1507035486]);
    expect(draws(-5)).toEqual([1959625965, 3985765495, 1553781357, 1563421749]);
  });
});

describe('SplitMix32', () => {
  it('resumes the same stream from a saved state', () => {
    const random = new SplitMix32(11, fmix32);
    random.nextUint32();
    const saved = random.getState();
    const ahead = [random.nextUint32(), random.nextBelow(10), random.nextFloat()];
    const resumed = new SplitMix32(0, fmix32);
    resumed.setState(saved);
    expect([resumed.nextUint32(), resumed.nextBelow(10), resumed.nextFloat()]).toEqual(ahead);
  });

  it('draws below the bound, roughly uniformly', () => {
    const random = new SplitMix32(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[random.nextBelow(4)]!++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });
});

describe('finalisers', () => {
  it('are bijective on a sample (no two inputs share an output) and unsigned', () => {
    for (const finalise of [fmix32, lowbias32]) {
      const outputs = new Set<number>();
      for (let i = 0; i < 10_000; i++) {
        const value = finalise(i * 2654435761);
        expect(value >>> 0).toBe(value);
        outputs.add(value);
      }
      expect(outputs.size).toBe(10_000);
    }
  });
});
