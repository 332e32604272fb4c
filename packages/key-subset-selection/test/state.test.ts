import { describe, expect, it } from 'vitest';
import { InfoBatchSampler, STATE_FORMAT } from '../src/index.js';

function trainedSampler() {
  const sampler = new InfoBatchSampler({ size: 70, epochs: 6, seed: 4, pruneRatio: 0.4 });
  for (let epoch = 0; epoch < 3; epoch++) {
    const plan = sampler.planEpoch(epoch);
    sampler.update(
      plan.indices,
      Array.from(plan.indices, (i) => ((i * 7919 + epoch) % 13) / 3),
    );
  }
  return sampler;
}

const saved = () => JSON.parse(JSON.stringify(trainedSampler())) as Record<string, unknown>;

describe('sampler state as JSON', () => {
  it('round-trips options, scores, history and the current epoch', () => {
    const original = trainedSampler();
    const restored = InfoBatchSampler.fromJSON(saved(), { size: 70 });
    expect(restored.options).toEqual(original.options);
    expect(restored.currentEpoch).toBe(2);
    expect(restored.history.epochs).toBe(3);
    for (let i = 0; i < 70; i++) {
      expect(restored.scoreOf(i)).toBe(original.scoreOf(i));
      expect(restored.history.wasKept(1, i)).toBe(original.history.wasKept(1, i));
      expect(restored.history.wasHard(2, i)).toBe(original.history.wasHard(2, i));
    }
    expect(restored.planEpoch(3).indices).toEqual(original.planEpoch(3).indices);
  });

  it('saves a fresh sampler too', () => {
    const fresh = new InfoBatchSampler({ size: 3, epochs: 2, recordHard: false });
    const restored = InfoBatchSampler.fromJSON(JSON.parse(JSON.stringify(fresh)), { size: 3 });
    expect(restored.currentEpoch).toBe(-1);
    expect(restored.planEpoch(0).numSamples).toBe(3);
  });

  it('rejects a state saved for a dataset of another size, saying what differs', () => {
    expect(() => InfoBatchSampler.fromJSON(saved(), { size: 71 })).toThrow(
      'saved for a dataset of 70 samples, but this dataset has 71',
    );
  });

  it('rejects options that differ from what the trainer expects', () => {
    expect(() => InfoBatchSampler.fromJSON(saved(), { size: 70, seed: 5 })).toThrow(
      'option seed was 4 when saved, expected 5',
    );
    expect(() =>
      InfoBatchSampler.fromJSON(saved(), { size: 70, epochs: 6, pruneRatio: 0.4 }),
    ).not.toThrow();
  });

  it('rejects malformed state, naming the field', () => {
    const broken = (change: (state: Record<string, unknown>) => void) => {
      const state = saved();
      change(state);
      return () => InfoBatchSampler.fromJSON(state, { size: 70 });
    };
    expect(() => InfoBatchSampler.fromJSON('nope', { size: 70 })).toThrow('expected a JSON object');
    expect(broken((s) => (s['format'] = 'other'))).toThrow(`expected "${STATE_FORMAT}"`);
    expect(broken((s) => (s['version'] = 2))).toThrow('version 2 is not supported');
    expect(broken((s) => (s['plannedEpoch'] = 6))).toThrow('plannedEpoch 6 is not in [-1, 5]');
    expect(broken((s) => (s['kept'] = (s['kept'] as string[]).slice(1)))).toThrow(
      "'kept' holds 2 epochs, expected 3",
    );
    expect(broken((s) => (s['hard'] = [1]))).toThrow(
      "field 'hard' must be a list of base64 strings",
    );
    expect(broken((s) => (s['scores'] = 'AAAAAA=='))).toThrow(
      "field 'scores': holds 1 values, expected 70",
    );
    expect(broken((s) => ((s['options'] as Record<string, unknown>)['delta'] = 2))).toThrow(
      'option delta must be in [0, 1]',
    );
    expect(
      broken((s) => {
        const scores = new Float32Array(70).fill(Number.NaN);
        s['scores'] = Buffer.from(scores.buffer).toString('base64');
      }),
    ).toThrow('scores[0] = NaN is not finite');
  });
});
