/**
 * Self-supervised pretraining of the shared backbone: masked patches (MAE-style), for videos
 * without labels. The input masker of @sparsify/sparse-masking drops a share of each stream's
 * patches, so the encoder runs on the visible ones only (as MAE's encoder does, and as
 * Sparsify's level 1 does), and a small decoder (masked-patch-decoder.ts) predicts the dropped
 * patches from them. No question, answer or perception target is read, so any data the
 * trainer loads will do, the real MUSIC-AVQA videos or features among them.
 */
import { createInputMasker, type SparseInputMasker } from '@sparsify/sparse-masking';
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { SparsifiedAmuse } from '../pipeline/amuse-model.js';
import {
  MASKED_PATCH_DECODER,
  MaskedPatchDecoder,
  type MaskedPatchLoss,
} from '../pipeline/masked-patch-decoder.js';
import { inRecordOrder, orderedBatches } from '../pipeline/ordered-batches.js';
import type { ArrayBatch, BatchSource } from '../pipeline/types.js';
import { trainingOptimizer } from './flat-adam.js';
import {
  neutralQuestions,
  type PretrainResult,
  pretrainingVideos,
  pretrainLoop,
  writeBackbone,
} from './pretrain.js';
import { applyEveryGradient } from './train-loop.js';

/** MAE's ratio: with most of a stream hidden, a patch cannot be copied from its neighbour. */
export const DEFAULT_PATCH_MASK_RATIO = 0.75;

export interface MaskedPatchScores {
  /** Squared error on masked patches, each target patch normalised (mean 0, variance 1). */
  loss: number;
  /** The same for predicting 0: the share of masked patches that are not constant. */
  zeroPredictorLoss: number;
}

export type MaskedPretrainOutcome = PretrainResult<MaskedPatchScores>;

export function formatMaskedPatchScores(scores: MaskedPatchScores): string {
  return `masked-patch loss ${scores.loss.toFixed(4)} (predicting 0: ${scores.zeroPredictorLoss.toFixed(4)})`;
}

/** The pieces of one masked-patch objective: the model, its decoder and its masker. */
export class MaskedPatchObjective {
  readonly decoder: MaskedPatchDecoder;
  readonly masker: SparseInputMasker;

  constructor(
    readonly model: SparsifiedAmuse,
    ratio: number,
    epochs: number,
    seed: number,
  ) {
    if (!(ratio > 0 && ratio < 1)) {
      throw new Error(`the patch mask ratio must be in (0, 1), got ${ratio}`);
    }
    this.decoder = new MaskedPatchDecoder(model.encoder);
    this.masker = createInputMasker({ activeEpochs: epochs, ratio, seed });
  }

  /** The loss of one masked pass over `batch` (on the tape when called inside variableGrads). */
  loss(batch: ArrayBatch, epoch: number, step: number): MaskedPatchLoss {
    const inputs = this.model.encoderBatch(batch);
    const { streams } = this.model.encoder.forward(inputs, {
      training: true,
      masker: this.masker,
      ctx: { epoch, step },
      returnStreams: true,
    });
    if (!streams) throw new Error('the encoder returned no streams');
    return this.decoder.loss(streams, this.model.encoder.inputPatches(inputs, batch.labels.length));
  }

  /** One optimisation step (`applyEveryGradient`); returns the loss. */
  step(optimizer: tf.Optimizer, batch: ArrayBatch, epoch: number, step: number): number {
    const variables = [...this.model.parameters.values()];
    const { value, grads } = tf.variableGrads(() => this.loss(batch, epoch, step).loss, variables);
    const loss = value.dataSync()[0] ?? Number.NaN;
    applyEveryGradient(optimizer, variables, grads, loss);
    value.dispose();
    return loss;
  }

  /**
   * Mean scores over `source`'s videos, each batch masked as training step `i` of epoch 0
   * would be: the same masks at every call, so epochs compare.
   */
  async score(source: BatchSource, batchSize: number): Promise<MaskedPatchScores> {
    let loss = 0;
    let zero = 0;
    let samples = 0;
    let i = 0;
    for await (const { batch } of orderedBatches(source, inRecordOrder(source), batchSize)) {
      neutralQuestions(batch);
      const [l, z] = tf.tidy(() => {
        const out = this.loss(batch, 0, i);
        return [out.loss.dataSync()[0] as number, out.zeroPredictorLoss.dataSync()[0] as number];
      });
      const b = batch.labels.length;
      loss += (l as number) * b;
      zero += (z as number) * b;
      samples += b;
      i++;
    }
    return { loss: loss / samples, zeroPredictorLoss: zero / samples };
  }
}

/**
 * Pretrains `config`'s backbone on masked patches and writes it to `out` (safetensors,
 * atomically), without the decoder. Its videos are `pretrainingVideos`'.
 */
export async function pretrainMaskedPatches(
  config: TrainConfig,
  out: string,
  logger: Logger,
  command = '',
  ratio = DEFAULT_PATCH_MASK_RATIO,
): Promise<MaskedPretrainOutcome> {
  const { dataset, train, val } = await pretrainingVideos(config, logger);
  // No sparsifier of the QA run: the objective brings its own masker, and nothing merges.
  const model = new SparsifiedAmuse({ ...config, mask: null, merge: null }, dataset.inputs);
  const objective = new MaskedPatchObjective(model, ratio, config.epochs, config.seed);
  const optimizer = trainingOptimizer(config, model.parameters);
  try {
    logger.event(
      'pretrain-start',
      {
        objective: 'masked-patches',
        ratio,
        videos: train.records.length,
        valVideos: val.records.length,
        config,
      },
      `pretraining on masked patches (ratio ${ratio}) of ${train.records.length} videos (${val.records.length} to score)`,
    );
    const seconds = await pretrainLoop(
      config,
      optimizer,
      train,
      {
        step: (batch, ctx) => {
          const loss = objective.step(optimizer, batch, ctx.epoch, ctx.step);
          return { loss, objectiveLoss: loss };
        },
        scoreEpoch: async () => {
          const scores = await objective.score(val, config.batchSize);
          return { record: scores, text: formatMaskedPatchScores(scores) };
        },
      },
      logger,
    );
    const trainScores = await objective.score(train, config.batchSize);
    const valScores = await objective.score(val, config.batchSize);
    const arrays = writeBackbone(model.parameters, config, out, command, {
      leaveOut: new RegExp(`^${MASKED_PATCH_DECODER}\\.`),
      metadata: { objective: 'masked-patches', patchMaskRatio: String(ratio) },
    });
    return {
      arrays,
      train: trainScores,
      val: valScores,
      trainVideos: train.records.length,
      valVideos: val.records.length,
      seconds,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
