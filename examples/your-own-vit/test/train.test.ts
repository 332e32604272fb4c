import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, perSampleCrossEntropy, trainWithSparsify } from '../src/train.js';
import { patchify } from '../src/vit.js';

describe('your own ViT with Sparsify plugged in', () => {
  it('trains with a shorter sequence: masking, merging per block, InfoBatch pruning', () => {
    const run = trainWithSparsify();
    const { reports } = run;
    expect(run.vit.tokenCount).toBe(17); // (16 / 4)² patches + the class token
    expect(reports.map((r) => r.tokensAfterMasking)).toEqual([9, 9, 17, 17]); // 1 + 16 · 0.5 while masking
    expect(reports.map((r) => r.lengthsAfterBlocks)).toEqual([
      [7, 5],
      [7, 5],
      [15, 13],
      [15, 13],
    ]); // r = 2 merged per block
    expect(reports[0]!.samplesUsed).toBe(DEFAULT_OPTIONS.samples); // equal scores: nothing pruned
    expect(reports[1]!.samplesUsed).toBeLessThan(DEFAULT_OPTIONS.samples);
    expect(reports[1]!.steps).toBe(Math.ceil(reports[1]!.samplesUsed / DEFAULT_OPTIONS.batchSize));
    expect(reports[3]!.samplesUsed).toBe(DEFAULT_OPTIONS.samples); // pruning ends at floor(0.875 · 4)
    for (const r of reports) expect(Number.isFinite(r.meanLoss)).toBe(true);
    expect(reports[3]!.meanLoss).toBeLessThan(reports[0]!.meanLoss);
    expect(run.evaluationLengths).toEqual([15, 13]); // evaluation: no masking, merging on
    expect(run.keySubset.length).toBe(16);
    expect(run.accuracy).toBeGreaterThanOrEqual(0);
    tf.dispose(run.vit.variables);
  });

  it('the dense baseline runs the same loop on every token and sample', () => {
    const run = trainWithSparsify({ dense: true, epochs: 2 });
    expect(run.reports.map((r) => r.tokensAfterMasking)).toEqual([17, 17]);
    expect(run.reports.map((r) => r.lengthsAfterBlocks)).toEqual([
      [17, 17],
      [17, 17],
    ]);
    expect(run.reports.map((r) => r.samplesUsed)).toEqual([64, 64]);
    tf.dispose(run.vit.variables);
  });

  it('is reproducible from its seed', () => {
    const first = trainWithSparsify({ epochs: 2 });
    const second = trainWithSparsify({ epochs: 2 });
    expect(second.reports).toEqual(first.reports);
    tf.dispose([...first.vit.variables, ...second.vit.variables]);
  });

  it('patchify reads patches row by row', () => {
    tf.tidy(() => {
      const image = tf.reshape(tf.range(0, 16), [1, 4, 4, 1]) as tf.Tensor4D;
      expect(patchify(image, 2).arraySync()).toEqual([
        [
          [0, 1, 4, 5],
          [2, 3, 6, 7],
          [8, 9, 12, 13],
          [10, 11, 14, 15],
        ],
      ]);
    });
  });

  it('per-sample cross-entropy is -log softmax at the label, one value per sample', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([
        [0, Math.log(3)],
        [2, 2],
      ]);
      const losses = perSampleCrossEntropy(logits, tf.tensor1d([1, 0]), 2).dataSync();
      expect(losses[0]).toBeCloseTo(-Math.log(3 / 4), 5);
      expect(losses[1]).toBeCloseTo(Math.log(2), 5);
    });
  });
});
