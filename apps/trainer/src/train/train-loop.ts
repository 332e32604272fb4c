import { existsSync } from 'node:fs';
import { type HookContext, perSampleCrossEntropy } from '@sparsify/amuse-encoder';
import * as tf from '@tensorflow/tfjs';
import { optimisationOf, type TrainConfig } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { orderedBatches } from '../pipeline/ordered-batches.js';
import type {
  ArrayBatch,
  BatchSource,
  EpochSampler,
  TokenCounts,
  TrainableModel,
} from '../pipeline/types.js';
import type { Rng } from '../rng.js';
import type { EpochMetrics, RunFolder } from '../run/run-folder.js';
import { emptyEpochTotals, type LoopState, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { cpuSecondsSince } from './cpu-clock.js';
import { predictSplit } from './evaluate.js';
import { trainingOptimizer } from './flat-adam.js';
import { adapterGates } from './init-from.js';
import { cosineLearningRate, stepDecayLearningRate } from './lr-schedule.js';
import { NonFiniteLossError } from './training-errors.js';

export interface TrainLoopOptions {
  config: TrainConfig;
  model: TrainableModel;
  train: BatchSource;
  val: BatchSource;
  sampler: EpochSampler;
  rng: Rng;
  folder: RunFolder;
  logger: Logger;
  /** Continue from the folder's last checkpoint when there is one. */
  resume: boolean;
  /** Polled after every step (Ctrl-C): when true the loop saves and returns. */
  shouldStop?: () => boolean;
  /** Stop (saving) after this many optimizer steps in this process: for tests of --resume. */
  stepLimit?: number;
  /** Called after each epoch (e.g. for key-subset's kept history). */
  onEpochEnd?: (metrics: EpochMetrics) => void;
  /**
   * Awaited before each step, untimed, with how far the run is (epochs done plus the
   * fraction of this epoch's steps done): the demo's runs take turns here.
   */
  beforeStep?: (progress: number) => Promise<void>;
  /** Names the run in progress bars and epoch lines (when several runs share a log). */
  label?: string;
}

export interface TrainLoopResult {
  state: LoopState;
  /** True when stopped by `shouldStop` or `stepLimit` before the last epoch. */
  interrupted: boolean;
}

export interface StepOutcome {
  loss: number;
  losses: Float32Array;
  correct: number;
  tokens: TokenCounts;
  /** The step's perception loss (NaN when it had none). */
  perceptionLoss: number;
}

/** How the step's loss is made: answer cross-entropy and perception loss, each weighted. */
export interface LossWeights {
  answer: number;
  perception: number;
}

/**
 * Applies `grads` when `loss` is finite (else drops the step), then disposes them. Adam keeps
 * its moments by position in the gradient map (FlatAdam insists on it), so every variable gets
 * an entry, zero where a hook cut it off this step, and positions never shift.
 */
export function applyEveryGradient(
  optimizer: tf.Optimizer,
  variables: readonly tf.Variable[],
  grads: tf.NamedTensorMap,
  loss: number,
): void {
  if (!Number.isFinite(loss)) {
    tf.dispose(Object.values(grads));
    return;
  }
  const complete: tf.NamedTensorMap = {};
  for (const variable of variables)
    complete[variable.name] = grads[variable.name] ?? tf.zerosLike(variable);
  optimizer.applyGradients(complete);
  tf.dispose(Object.values(complete));
}

/**
 * One optimizer step: per-sample cross-entropy weighted by the sampler's weights (InfoBatch
 * rescales kept easy samples), averaged over the batch. The update is applied only when the
 * loss is finite, so a NaN never reaches the weights.
 */
export function trainStep(
  model: TrainableModel,
  optimizer: tf.Optimizer,
  batch: ArrayBatch,
  weights: Float32Array,
  ctx: HookContext,
  lossWeights: LossWeights = { answer: 1, perception: 0 },
): StepOutcome {
  const variables = [...model.parameters.values()];
  let perSample: tf.Tensor1D | null = null;
  let predicted: tf.Tensor1D | null = null;
  let perceptionValue: tf.Scalar | null = null;
  let tokens: TokenCounts = { videoKept: 0, audioKept: 0, videoTotal: 0, audioTotal: 0 };
  const withPerception = lossWeights.perception > 0;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(batch, ctx, { perception: withPerception });
    tokens = out.tokens;
    const losses = perSampleCrossEntropy(out.logits, tf.tensor1d(batch.labels, 'int32'));
    perSample = tf.keep(losses);
    predicted = tf.keep(tf.argMax(out.logits, 1) as tf.Tensor1D);
    let loss = tf.div(
      tf.sum(tf.mul(losses, tf.tensor1d(weights))),
      batch.labels.length,
    ) as tf.Scalar;
    if (lossWeights.answer !== 1) loss = tf.mul(loss, lossWeights.answer);
    if (withPerception && out.perception) {
      perceptionValue = tf.keep(out.perception.loss);
      loss = tf.add(loss, tf.mul(out.perception.loss, lossWeights.perception));
    }
    return loss;
  }, variables);
  const loss = value.dataSync()[0] ?? Number.NaN;
  const perceptionLoss =
    perceptionValue === null
      ? Number.NaN
      : ((perceptionValue as tf.Scalar).dataSync()[0] ?? Number.NaN);
  const losses = Float32Array.from((perSample as unknown as tf.Tensor1D).dataSync());
  const predictedLabels = (predicted as unknown as tf.Tensor1D).dataSync();
  let correct = 0;
  for (const [i, label] of batch.labels.entries()) if (predictedLabels[i] === label) correct++;
  applyEveryGradient(optimizer, variables, grads, loss);
  tf.dispose([value, perSample as unknown as tf.Tensor, predicted as unknown as tf.Tensor]);
  if (perceptionValue) tf.dispose(perceptionValue as tf.Scalar);
  return { loss, losses, correct, tokens, perceptionLoss };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function freshState(rng: Rng, sampler: EpochSampler): LoopState {
  return {
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    rngState: rng.getState(),
    samplerState: sampler.saveState(),
    order: null,
    totals: emptyEpochTotals(),
    bestValAccuracy: -1,
    bestEpoch: -1,
    metrics: [],
  };
}

/**
 * The training loop: Adam with step decay, epochs planned by the sampler, validation after
 * every epoch (the best checkpoint is chosen on validation, never on test), a checkpoint
 * after every epoch and on interruption.
 */
export async function runTrainingLoop(options: TrainLoopOptions): Promise<TrainLoopResult> {
  const { config, model, train, val, sampler, rng, folder, logger } = options;
  const optimisation = optimisationOf(config);
  const optimizer = trainingOptimizer(config, model.parameters);
  const lossWeights: LossWeights = { answer: 1, perception: optimisation.auxWeight };
  // The cosine schedule spans the planned steps: every epoch at the full training set.
  const totalSteps = config.epochs * Math.ceil(train.records.length / config.batchSize);
  const stepLearningRate = (step: number, epochLr: number) =>
    optimisation.lrSchedule === 'cosine'
      ? cosineLearningRate(
          { lr: config.lr, warmupSteps: optimisation.warmupSteps, totalSteps },
          step,
        )
      : epochLr;
  let state = freshState(rng, sampler);
  if (options.resume && existsSync(folder.lastCheckpointPath)) {
    state = await loadCheckpoint(folder.lastCheckpointPath, model.parameters, optimizer, (text) =>
      logger.warn(text),
    );
    rng.setState(state.rngState);
    sampler.loadState(state.samplerState);
    folder.writeMetrics(state.metrics);
    logger.event(
      'resume',
      { epoch: state.epoch, step: state.stepInEpoch, checkpoint: folder.lastCheckpointPath },
      `resuming at epoch ${state.epoch + 1}, step ${state.stepInEpoch} from ${folder.lastCheckpointPath}`,
    );
  } else {
    if (options.resume) {
      // A run killed (or out of disk space) before its first checkpoint has nothing to resume.
      logger.warn(
        `nothing to resume: ${folder.lastCheckpointPath} is missing (no checkpoint was completed); training starts again at epoch 1`,
      );
    }
    folder.writeMetrics([]);
  }
  const save = async () => {
    state.rngState = rng.getState();
    state.samplerState = sampler.saveState();
    await saveCheckpoint(folder.lastCheckpointPath, model.parameters, optimizer, state);
  };
  let stepsThisProcess = 0;
  logger.planEpochs(config.epochs, state.epoch);
  try {
    while (state.epoch < config.epochs) {
      const epoch = state.epoch;
      const epochLr = stepDecayLearningRate(config.lr, config.lrDecay, epoch);
      let lr = stepLearningRate(state.globalStep, epochLr);
      optimizer.learningRate = lr;
      if (!state.order) state.order = sampler.planEpoch(epoch);
      const order = state.order;
      const steps = Math.ceil(order.indices.length / config.batchSize);
      const prefix = options.label ? `${options.label}: ` : '';
      const progress = logger.progress(`${prefix}epoch ${epoch + 1}/${config.epochs}`, steps, {
        epoch: true,
        startAt: state.stepInEpoch,
      });
      // The epoch's batches through avqa-datasets' loader, prefetched; a resumed run starts at
      // the step it stopped at, in the same order.
      const batches = orderedBatches(train, order, config.batchSize, {
        fromBatch: state.stepInEpoch,
      });
      try {
        while (state.stepInEpoch < steps) {
          await options.beforeStep?.(epoch + state.stepInEpoch / steps);
          // A step runs to its end without yielding; this turn of the event loop is where
          // Ctrl-C's handler runs (a few microseconds per step: docs/notebook/2026-12-05-run-safety.md).
          await yieldToEventLoop();
          if (
            options.shouldStop?.() ||
            (options.stepLimit !== undefined && stepsThisProcess >= options.stepLimit)
          ) {
            await save();
            progress.finish('interrupted');
            logger.event(
              'interrupted',
              { epoch, step: state.stepInEpoch, checkpoint: folder.lastCheckpointPath },
              `saved ${folder.lastCheckpointPath}; continue with --resume`,
            );
            return { state, interrupted: true };
          }
          const began = performance.now();
          const cpuBegan = process.cpuUsage();
          const next = await batches.next();
          if (next.done)
            throw new Error(
              `epoch ${epoch + 1}: the loader ran out of batches at step ${state.stepInEpoch} of ${steps}`,
            );
          const { indices, weights, batch } = next.value;
          lr = stepLearningRate(state.globalStep, epochLr);
          optimizer.learningRate = lr;
          const outcome = trainStep(
            model,
            optimizer,
            batch,
            weights,
            { training: true, epoch, step: state.globalStep },
            lossWeights,
          );
          if (!Number.isFinite(outcome.loss)) {
            throw new NonFiniteLossError(
              epoch,
              state.stepInEpoch,
              outcome.loss,
              existsSync(folder.lastCheckpointPath) ? folder.lastCheckpointPath : null,
              { dir: folder.dir, lr: config.lr },
            );
          }
          sampler.update(indices, outcome.losses);
          const totals = state.totals;
          const n = indices.length;
          for (const value of outcome.losses) totals.lossSum += value;
          totals.correct += outcome.correct;
          totals.seen += n;
          totals.videoTokensKept += outcome.tokens.videoKept * n;
          totals.audioTokensKept += outcome.tokens.audioKept * n;
          totals.videoTokensTotal += outcome.tokens.videoTotal * n;
          totals.audioTokensTotal += outcome.tokens.audioTotal * n;
          totals.seconds += (performance.now() - began) / 1000;
          totals.cpuSeconds = (totals.cpuSeconds ?? 0) + cpuSecondsSince(cpuBegan);
          if (!Number.isNaN(outcome.perceptionLoss)) {
            totals.perceptionLossSum = (totals.perceptionLossSum ?? 0) + outcome.perceptionLoss;
            totals.steps = (totals.steps ?? 0) + 1;
          }
          state.stepInEpoch++;
          state.globalStep++;
          stepsThisProcess++;
          progress.tick(1, `loss ${(totals.lossSum / totals.seen).toFixed(3)}`);
        }
      } finally {
        // Stops the prefetching of an epoch left early (interrupted, or a step that threw).
        await batches.return(undefined);
      }
      progress.finish();
      const validation = await predictSplit(
        model,
        val,
        config.batchSize,
        logger.progress('  validation', val.records.length),
      );
      const totals = state.totals;
      const seen = Math.max(1, totals.seen);
      const metrics: EpochMetrics = {
        epoch,
        lr,
        trainLoss: totals.lossSum / seen,
        trainAccuracy: totals.correct / seen,
        valLoss: validation.meanLoss,
        valAccuracy: validation.accuracy,
        samplesUsed: totals.seen,
        datasetSize: train.records.length,
        videoTokensKept: totals.videoTokensKept / seen,
        audioTokensKept: totals.audioTokensKept / seen,
        videoTokensTotal: totals.videoTokensTotal / seen,
        audioTokensTotal: totals.audioTokensTotal / seen,
        seconds: totals.seconds,
        cpuSeconds: totals.cpuSeconds ?? 0,
        ...(totals.steps ? { perceptionLoss: (totals.perceptionLossSum ?? 0) / totals.steps } : {}),
        gates: adapterGates(model.parameters),
      };
      state.metrics.push(metrics);
      folder.appendMetrics(metrics);
      logger.event(
        'epoch',
        { ...(options.label ? { run: options.label } : {}), ...metrics },
        prefix + formatEpoch(metrics, config.epochs),
      );
      options.onEpochEnd?.(metrics);
      const improved = metrics.valAccuracy > state.bestValAccuracy;
      state.epoch++;
      state.stepInEpoch = 0;
      state.order = null;
      state.totals = emptyEpochTotals();
      if (improved) {
        state.bestValAccuracy = metrics.valAccuracy;
        state.bestEpoch = epoch;
        await saveCheckpoint(folder.bestCheckpointPath, model.parameters, null, state);
      }
      await save();
    }
    return { state, interrupted: false };
  } finally {
    optimizer.dispose();
  }
}

function formatEpoch(m: EpochMetrics, epochs: number): string {
  const tokens = m.videoTokensKept + m.audioTokensKept;
  const total = m.videoTokensTotal + m.audioTokensTotal;
  return (
    `epoch ${m.epoch + 1}/${epochs}: loss ${m.trainLoss.toFixed(3)} acc ${(m.trainAccuracy * 100).toFixed(1)}% | ` +
    `val loss ${m.valLoss.toFixed(3)} acc ${(m.valAccuracy * 100).toFixed(1)}% | ` +
    `${m.samplesUsed}/${m.datasetSize} samples, ${tokens.toFixed(0)}/${total.toFixed(0)} tokens, ${m.seconds.toFixed(1)} s` +
    (m.perceptionLoss === undefined ? '' : ` | perception loss ${m.perceptionLoss.toFixed(3)}`)
  );
}
