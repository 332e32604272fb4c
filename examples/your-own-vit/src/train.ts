/**
 * Training the plain-tfjs ViT with the three Sparsify levels plugged in, each through its
 * drop-in API:
 *
 *   const masker = createTokenMasker({ ratio, activeEpochs, keep: [0] });   // level 1
 *   const encoder = mergingTransformer(vit.blocks, { r, importance: 'cls' }); // level 2
 *   const trainset = new InfoBatch<tf.Scalar>({ size, epochs, batchSize });   // level 3
 *
 *   for (const indices of trainset.batches(epoch))
 *     optimizer.minimize(() => {
 *       const visible = masker(vit.embed(images), { epoch, step }).tokens;
 *       const logits = vit.head(encoder(visible).tokens);
 *       return trainset.update(perSampleCrossEntropy(logits, labels));
 *     });
 */
import { mergingTransformer } from '@sparsify/iqr-token-merge';
import { InfoBatch, selectKeySubset } from '@sparsify/key-subset-selection';
import { createTokenMasker } from '@sparsify/sparse-masking';
import * as tf from '@tensorflow/tfjs';
import { type SyntheticImages, syntheticImages } from './data.js';
import { createViT, type ViT, type ViTConfig } from './vit.js';

export interface SparsifyTrainingOptions {
  epochs: number;
  batchSize: number;
  /** Training images (synthetic). */
  samples: number;
  seed: number;
  /** Level 1: fraction of patches dropped, and for how many epochs. */
  maskRatio: number;
  maskEpochs: number;
  /** Level 2: tokens merged per block (ToMe's r). */
  mergePerBlock: number;
  /** Level 3: fraction of the easy samples InfoBatch skips per epoch. */
  pruneRatio: number;
  learningRate: number;
  model: Omit<ViTConfig, 'seed'>;
  /** Run the same loop with every level switched off (the dense baseline). Default false. */
  dense: boolean;
}

export const DEFAULT_OPTIONS: SparsifyTrainingOptions = {
  epochs: 4,
  batchSize: 16,
  samples: 64,
  seed: 7,
  maskRatio: 0.5,
  maskEpochs: 2,
  mergePerBlock: 2,
  pruneRatio: 0.5,
  learningRate: 3e-3,
  dense: false,
  model: {
    imageSize: 16,
    patchSize: 4,
    channels: 1,
    width: 32,
    depth: 2,
    heads: 2,
    mlpRatio: 2,
    classes: 2,
  },
};

export interface EpochReport {
  epoch: number;
  /** Optimizer steps and samples InfoBatch used this epoch (of `samples`). */
  steps: number;
  samplesUsed: number;
  /** Mean of the weighted batch losses. */
  meanLoss: number;
  /** Tokens per sample into the first block (after masking), of `vit.tokenCount`. */
  tokensAfterMasking: number;
  /** Sequence length after each block (after merging) in the epoch's last step. */
  lengthsAfterBlocks: number[];
}

export interface SparsifyTrainingRun {
  vit: ViT;
  reports: EpochReport[];
  /** Indices of the key subset (a quarter of the samples) chosen from InfoBatch's history. */
  keySubset: Int32Array;
  /** Accuracy on held-out images, evaluated with merging on and masking off. */
  accuracy: number;
  /** Sequence lengths after each block at evaluation. */
  evaluationLengths: number[];
  /** Wall time of the training epochs (not model setup or evaluation), milliseconds. */
  trainingMs: number;
}

export function trainWithSparsify(
  overrides: Partial<SparsifyTrainingOptions> = {},
): SparsifyTrainingRun {
  const options = { ...DEFAULT_OPTIONS, ...overrides };
  const { epochs, batchSize, samples, seed } = options;
  const vit = createViT({ ...options.model, seed });
  const train = syntheticImages(samples, options.model, seed);
  const heldOut = syntheticImages(64, options.model, seed + 1000);

  const masker = createTokenMasker({
    ratio: options.dense ? 0 : options.maskRatio,
    activeEpochs: options.maskEpochs,
    keep: [0], // the class token
    seed,
  });
  const encoder = mergingTransformer(vit.blocks, {
    r: options.mergePerBlock,
    importance: 'cls',
    enabled: !options.dense,
  });
  const trainset = new InfoBatch<tf.Scalar>({
    size: samples,
    epochs,
    batchSize,
    pruneRatio: options.dense ? 0 : options.pruneRatio,
    seed,
  });
  const optimizer = tf.train.adam(options.learningRate);

  const reports: EpochReport[] = [];
  let step = 0;
  const started = performance.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    let lossSum = 0;
    let steps = 0;
    let tokensAfterMasking = 0;
    for (const indices of trainset.batches(epoch)) {
      const loss = optimizer.minimize(
        () => {
          const images = tf.gather(train.images, indices) as tf.Tensor4D;
          const labels = tf.gather(train.labels, indices) as tf.Tensor1D;
          const visible = masker(vit.embed(images), { epoch, step }).tokens;
          tokensAfterMasking = visible.shape[1];
          const logits = vit.head(encoder(visible).tokens);
          return trainset.update(perSampleCrossEntropy(logits, labels, options.model.classes));
        },
        true,
        vit.variables,
      );
      lossSum += loss!.dataSync()[0]!;
      loss!.dispose();
      steps++;
      step++;
    }
    reports.push({
      epoch,
      steps,
      samplesUsed: trainset.epochPlan!.numSamples,
      meanLoss: lossSum / steps,
      tokensAfterMasking,
      lengthsAfterBlocks: [...encoder.lengths],
    });
  }

  const trainingMs = performance.now() - started;
  const predictions = tf.tidy(() => {
    const tokens = masker(vit.embed(heldOut.images), { epoch: epochs, step, training: false });
    return tf.argMax(vit.head(encoder(tokens.tokens).tokens), 1).dataSync();
  });
  const truth = heldOut.labels.dataSync();
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predictions[i] === truth[i]) correct++;
  const evaluationLengths = [...encoder.lengths];
  const { indices: keySubset } = selectKeySubset(trainset.sampler.history, { fraction: 0.25 });
  disposeImages(train);
  disposeImages(heldOut);
  optimizer.dispose();
  return {
    vit,
    reports,
    keySubset,
    accuracy: correct / truth.length,
    evaluationLengths,
    trainingMs,
  };
}

/** -log softmax(logits)[label] per sample: [B], not yet averaged (InfoBatch weighs it). */
export function perSampleCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  classes: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), classes);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
  });
}

function disposeImages(data: SyntheticImages): void {
  tf.dispose([data.images, data.labels]);
}
