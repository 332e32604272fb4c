import { perSampleCrossEntropy } from '@sparsify/amuse-encoder';
import * as tf from '@tensorflow/tfjs';
import type { Progress } from '../log/logger.js';
import { inRecordOrder, orderedBatches } from '../pipeline/ordered-batches.js';
import type { BatchSource, TokenCounts, TrainableModel } from '../pipeline/types.js';

export interface SplitPredictions {
  /** Predicted label per record of the split, in record order. */
  predictions: Int32Array;
  meanLoss: number;
  accuracy: number;
  tokens: TokenCounts;
}

/** Runs the model in evaluation mode (no masking) over a whole split. */
export async function predictSplit(
  model: TrainableModel,
  source: BatchSource,
  batchSize: number,
  progress?: Progress,
): Promise<SplitPredictions> {
  const count = source.records.length;
  const predictions = new Int32Array(count);
  let lossSum = 0;
  let correct = 0;
  const tokens: TokenCounts = { videoKept: 0, audioKept: 0, videoTotal: 0, audioTotal: 0 };
  for await (const { indices, batch } of orderedBatches(source, inRecordOrder(source), batchSize)) {
    let batchTokens: TokenCounts = { videoKept: 0, audioKept: 0, videoTotal: 0, audioTotal: 0 };
    let predicted: ArrayLike<number> = [];
    let losses: ArrayLike<number> = [];
    tf.tidy(() => {
      const out = model.forward(batch, { training: false, epoch: 0, step: 0 });
      const labels = tf.tensor1d(batch.labels, 'int32');
      predicted = tf.argMax(out.logits, 1).dataSync();
      losses = perSampleCrossEntropy(out.logits, labels).dataSync();
      batchTokens = out.tokens;
    });
    for (const [i, index] of indices.entries()) {
      predictions[index] = predicted[i] ?? -1;
      lossSum += losses[i] ?? 0;
      if (predicted[i] === batch.labels[i]) correct++;
    }
    tokens.videoKept += batchTokens.videoKept * indices.length;
    tokens.audioKept += batchTokens.audioKept * indices.length;
    tokens.videoTotal += batchTokens.videoTotal * indices.length;
    tokens.audioTotal += batchTokens.audioTotal * indices.length;
    progress?.tick(indices.length);
  }
  progress?.finish();
  const n = Math.max(1, count);
  return {
    predictions,
    meanLoss: lossSum / n,
    accuracy: correct / n,
    tokens: {
      videoKept: tokens.videoKept / n,
      audioKept: tokens.audioKept / n,
      videoTotal: tokens.videoTotal / n,
      audioTotal: tokens.audioTotal / n,
    },
  };
}
