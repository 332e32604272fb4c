/**
 * Perception pretraining, the analogue of the pretrained image and audio backbones AMUSE
 * starts from: the shared backbone (stream embeddings, blocks, adapters) and the perception
 * heads learn what the synthetic generator knows of each video (perceptionTargets), with
 * no question and no answer. Its videos come from a benchmark of another data seed than the
 * one a QA run trains and is tested on, so none of them is a test or held-out video.
 */
import { encodeSafetensors, type HookContext, type NamedArray } from '@sparsify/amuse-encoder';
import type { AvqaRecord } from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { optimisationOf, type TrainConfig, timeStepsOf } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { SparsifiedAmuse } from '../pipeline/amuse-model.js';
import { type LoadedDataset, loadDataset } from '../pipeline/dataset.js';
import type { MediaBatchSource } from '../pipeline/media-batch-source.js';
import { inRecordOrder, orderedBatches } from '../pipeline/ordered-batches.js';
import {
  addPerceptionCounts,
  emptyPerceptionCounts,
  type PerceptionCounts,
} from '../pipeline/perception-heads.js';
import type { ArrayBatch, BatchSource } from '../pipeline/types.js';
import { Rng } from '../rng.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { type FlatAdam, trainingOptimizer } from './flat-adam.js';
import { cosineLearningRate, stepDecayLearningRate } from './lr-schedule.js';
import { trainStep } from './train-loop.js';

/** Parameters a pretrained backbone leaves out: they only ever see questions and answers. */
const QA_ONLY = /^(question|fusion)\./;
/** The question every pretraining sample gets: one word, no content (its answer loss weighs 0). */
const NEUTRAL_WORD = 1;

/** Perception accuracy on a set of videos, 0..1. */
export interface PerceptionScores {
  /** Video tokens whose predicted class is the majority of their target. */
  patchAccuracy: number;
  /** The same on tokens holding an instrument. */
  instrumentPatchAccuracy: number;
  /** Audio (token, class) sounds-or-not decisions. */
  audioAccuracy: number;
  /** Sounding (token, class) pairs detected. */
  soundingRecall: number;
}

export function perceptionScores(counts: PerceptionCounts): PerceptionScores {
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  return {
    patchAccuracy: ratio(counts.patchesCorrect, counts.patches),
    instrumentPatchAccuracy: ratio(counts.instrumentPatchesCorrect, counts.instrumentPatches),
    audioAccuracy: ratio(counts.audioCorrect, counts.audioDecisions),
    soundingRecall: ratio(counts.soundingDetected, counts.sounding),
  };
}

export function formatPerceptionScores(scores: PerceptionScores): string {
  const p = (v: number) => `${(v * 100).toFixed(1)}%`;
  return `patches ${p(scores.patchAccuracy)} (instrument patches ${p(scores.instrumentPatchAccuracy)}), audio classes ${p(scores.audioAccuracy)} (sounding recall ${p(scores.soundingRecall)})`;
}

/** One record per video of a split: pretraining batches are videos, not questions. */
export function onePerVideo(source: BatchSource, name: string): MediaBatchSource {
  const seen = new Set<string>();
  const records: AvqaRecord[] = [];
  for (const record of source.records) {
    if (seen.has(record.videoId)) continue;
    seen.add(record.videoId);
    records.push(record);
  }
  return (source as MediaBatchSource).withRecords(name, records);
}

export function neutralQuestions(batch: ArrayBatch): void {
  const media = batch.inputs;
  const length = 14;
  media.question.fill(0);
  for (let i = 0; i < media.question.length; i += length) media.question[i] = NEUTRAL_WORD;
}

/** Perception counts of the model over a set of videos (no masking, no merging). */
export async function evaluatePerception(
  model: SparsifiedAmuse,
  source: BatchSource,
  batchSize: number,
): Promise<PerceptionCounts> {
  const total = emptyPerceptionCounts();
  for await (const { batch } of orderedBatches(source, inRecordOrder(source), batchSize)) {
    neutralQuestions(batch);
    tf.tidy(() => {
      const out = model.forward(
        batch,
        { training: false, epoch: 0, step: 0 },
        { perception: true, perceptionCounts: true },
      );
      if (out.perception?.counts) addPerceptionCounts(total, out.perception.counts);
    });
  }
  return total;
}

/** What a pretraining returns: the arrays written, its scores on its objective, its time. */
export interface PretrainResult<Scores> {
  /** Parameter arrays written to the checkpoint, by name. */
  arrays: Map<string, NamedArray>;
  train: Scores;
  val: Scores;
  trainVideos: number;
  valVideos: number;
  seconds: number;
}

export type PretrainOutcome = PretrainResult<PerceptionScores>;

/**
 * The videos pretraining trains on (one record a video) and scores on, from `config.data`. On
 * the synthetic benchmark, its train and test splits: a pretraining data seed is another
 * benchmark than the QA runs'. On any other data, the train split only, so that no test
 * video is seen, even without its labels.
 */
export async function pretrainingVideos(
  config: TrainConfig,
  logger: Logger,
): Promise<{ dataset: LoadedDataset; train: MediaBatchSource; val: MediaBatchSource }> {
  const dataset = await loadDataset(config.data, logger, timeStepsOf(config));
  const trainRecords =
    config.data.kind === 'synthetic'
      ? [...dataset.train.records, ...dataset.test.records]
      : [...dataset.train.records];
  const train = onePerVideo(
    (dataset.train as MediaBatchSource).withRecords('pretrain', trainRecords),
    'pretrain',
  );
  return { dataset, train, val: onePerVideo(dataset.val, 'pretrain-val') };
}

/** One pretraining objective, as the shared loop drives it. */
export interface PretrainObjective {
  /** One optimisation step on a batch (the learning rate is set): its loss, and the objective's. */
  step(batch: ArrayBatch, ctx: HookContext): { loss: number; objectiveLoss: number };
  /** After an epoch: the validation videos' score, as a log record and a line. */
  scoreEpoch(): Promise<{ record: unknown; text: string }>;
}

/**
 * The loop every pretraining objective shares: `config.epochs` shuffled passes over `train`,
 * one video a sample, the config's learning-rate schedule, a validation score per epoch.
 * Returns the seconds spent in training steps.
 */
export async function pretrainLoop(
  config: TrainConfig,
  optimizer: FlatAdam,
  train: BatchSource,
  objective: PretrainObjective,
  logger: Logger,
): Promise<number> {
  const optimisation = optimisationOf(config);
  const rng = new Rng(config.seed);
  const stepsPerEpoch = Math.ceil(train.records.length / config.batchSize);
  const totalSteps = config.epochs * stepsPerEpoch;
  let step = 0;
  let seconds = 0;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const order = rng.shuffled(Array.from({ length: train.records.length }, (_, i) => i));
    const progress = logger.progress(`pretrain epoch ${epoch + 1}/${config.epochs}`, stepsPerEpoch);
    let lossSum = 0;
    let s = 0;
    for await (const { batch } of orderedBatches(
      train,
      { indices: Int32Array.from(order) },
      config.batchSize,
    )) {
      neutralQuestions(batch);
      optimizer.learningRate =
        optimisation.lrSchedule === 'cosine'
          ? cosineLearningRate(
              { lr: config.lr, warmupSteps: optimisation.warmupSteps, totalSteps },
              step,
            )
          : stepDecayLearningRate(config.lr, config.lrDecay, epoch);
      const began = performance.now();
      const outcome = objective.step(batch, { training: true, epoch, step });
      seconds += (performance.now() - began) / 1000;
      if (!Number.isFinite(outcome.loss)) {
        throw new Error(
          `pretrain: the loss became ${outcome.loss} at epoch ${epoch + 1}, step ${s}`,
        );
      }
      lossSum += outcome.objectiveLoss;
      step++;
      s++;
      progress.tick(1, `loss ${(lossSum / s).toFixed(3)}`);
    }
    progress.finish();
    const score = await objective.scoreEpoch();
    logger.event(
      'pretrain-epoch',
      { epoch, loss: lossSum / stepsPerEpoch, val: score.record, seconds },
      `pretrain epoch ${epoch + 1}/${config.epochs}: loss ${(lossSum / stepsPerEpoch).toFixed(3)} | val ${score.text} | ${seconds.toFixed(0)} s`,
    );
  }
  return seconds;
}

/**
 * The backbone's parameter arrays (everything but what only questions train, and `leaveOut`),
 * written to `out` as safetensors, atomically. Only settings go in the metadata, never times:
 * the same seed writes the same bytes.
 */
export function writeBackbone(
  parameters: ReadonlyMap<string, tf.Variable>,
  config: TrainConfig,
  out: string,
  command: string,
  options: { leaveOut?: RegExp; metadata?: Record<string, string> } = {},
): Map<string, NamedArray> {
  const arrays = new Map<string, NamedArray>();
  for (const [name, variable] of parameters) {
    if (QA_ONLY.test(name) || options.leaveOut?.test(name)) continue;
    arrays.set(name, {
      dtype: 'F32',
      shape: variable.shape.slice(),
      data: Float32Array.from(variable.dataSync()),
    });
  }
  const bytes = encodeSafetensors(arrays, {
    format: 'sparsify-backbone-1',
    model: config.model,
    timeSteps: String(timeStepsOf(config)),
    data: JSON.stringify(
      config.data.kind === 'synthetic'
        ? { videos: config.data.videos, seed: config.data.seed }
        : {},
    ),
    seed: String(config.seed),
    epochs: String(config.epochs),
    command,
    ...options.metadata,
  });
  writeFileAtomic(out, bytes);
  return arrays;
}

/**
 * Pretrains `config`'s model on perception targets alone and writes the backbone and the
 * perception heads to `out` (safetensors, atomically). Training videos: the train and test
 * splits of the config's synthetic benchmark; scored on its validation videos.
 */
export async function pretrainBackbone(
  config: TrainConfig,
  out: string,
  logger: Logger,
  command = '',
): Promise<PretrainOutcome> {
  if (config.data.kind !== 'synthetic') throw new Error('pretrain needs the synthetic benchmark');
  const { dataset, train, val } = await pretrainingVideos(config, logger);
  const model = new SparsifiedAmuse(config, dataset.inputs, {
    perceptionHeads: true,
    classPerception: config.classPerception === true,
  });
  const optimizer = trainingOptimizer(config, model.parameters);
  try {
    logger.event(
      'pretrain-start',
      { videos: train.records.length, valVideos: val.records.length, config },
      `pretraining on the perception targets of ${train.records.length} videos (${val.records.length} to score)`,
    );
    const seconds = await pretrainLoop(
      config,
      optimizer,
      train,
      {
        step: (batch, ctx) => {
          const outcome = trainStep(
            model,
            optimizer,
            batch,
            new Float32Array(batch.labels.length).fill(1),
            ctx,
            { answer: 0, perception: 1 },
          );
          return { loss: outcome.loss, objectiveLoss: outcome.perceptionLoss };
        },
        scoreEpoch: async () => {
          const scores = perceptionScores(await evaluatePerception(model, val, config.batchSize));
          return { record: scores, text: formatPerceptionScores(scores) };
        },
      },
      logger,
    );
    const trainScores = perceptionScores(await evaluatePerception(model, train, config.batchSize));
    const valScores = perceptionScores(await evaluatePerception(model, val, config.batchSize));
    const arrays = writeBackbone(model.parameters, config, out, command);
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
