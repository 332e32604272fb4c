/**
 * InfoBatch as a drop-in, the way the original is used: the sampler hands out the batches,
 * and `update(loss)` takes the batch's per-sample losses, records them and returns the
 * weighted mean to back-propagate. No indices or weights pass through the user's hands.
 *
 * This package depends on no tensor library, so a loss tensor is taken structurally: any
 * object with `dataSync()` (the per-sample values) and `mul(weights).mean()` (a scalar kept
 * in the graph) is accepted, which a TensorFlow.js tensor is. Plain numbers work as well.
 */
import type { EpochPlan } from './epoch-plan.js';
import { InfoBatchSampler } from './infobatch-sampler.js';
import type { InfoBatchOptions } from './options.js';
import type { SamplerStateJSON, StateExpectation } from './state.js';

/**
 * A per-sample loss tensor [B], seen through the methods InfoBatch needs. A TensorFlow.js
 * `Tensor1D` satisfies it: `dataSync()` reads the values (to re-score the samples),
 * `mul(weights).mean()` is the weighted loss, differentiable in the losses. The chained
 * `mul` / `mean` methods exist when `@tensorflow/tfjs` is imported; with
 * `@tensorflow/tfjs-core` alone, give the `weightedMean` option instead.
 */
export interface PerSampleLoss<Scalar> {
  dataSync(): ArrayLike<number>;
  mul?(weights: Float32Array): { mean(): Scalar };
}

export interface InfoBatchLoopOptions<
  Scalar = unknown,
  Loss extends PerSampleLoss<Scalar> = PerSampleLoss<Scalar>,
> extends InfoBatchOptions {
  /** Samples per batch. */
  batchSize: number;
  /** Leave out a last, smaller batch. Default false. */
  dropLast?: boolean;
  /**
   * mean_j(weights[j] · loss[j]) in your tensor library, e.g.
   * `(loss, w) => tf.mean(tf.mul(loss, w))`. Default: `loss.mul(w).mean()`.
   */
  weightedMean?: (loss: Loss, weights: Float32Array) => Scalar;
}

/**
 * `Scalar` is what the weighted mean returns: `new InfoBatch<tf.Scalar>(...)` for
 * TensorFlow.js, so `update(loss)` can be returned from `optimizer.minimize`'s function.
 * `Loss` is the loss type `update` and `weightedMean` take (`tf.Tensor` for tfjs-core).
 */
export class InfoBatch<
  Scalar = unknown,
  Loss extends PerSampleLoss<Scalar> = PerSampleLoss<Scalar>,
> {
  /** The sampler underneath (plans, scores, kept history for the key subset). */
  readonly sampler: InfoBatchSampler;
  readonly batchSize: number;
  readonly dropLast: boolean;
  private batch: { indices: Int32Array; weights: Float32Array } | null = null;
  private plan: EpochPlan | null = null;
  /** True while an epoch's `batches` generator is open (planning another would corrupt it). */
  private iterating = false;
  private readonly weightedMean: InfoBatchLoopOptions<Scalar, Loss>['weightedMean'];

  /** `sampler`: continue with an existing sampler (e.g. restored); its options win. */
  constructor(options: InfoBatchLoopOptions<Scalar, Loss>, sampler?: InfoBatchSampler) {
    const { batchSize, dropLast, weightedMean, ...samplerOptions } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `InfoBatch: option batchSize must be a positive integer, got ${batchSize}`,
      );
    }
    this.sampler = sampler ?? new InfoBatchSampler(samplerOptions);
    this.batchSize = batchSize;
    this.dropLast = dropLast ?? false;
    this.weightedMean = weightedMean;
  }

  /** The plan of the current epoch (null before the first `batches`). */
  get epochPlan(): EpochPlan | null {
    return this.plan;
  }

  /** Sample indices of the batch last handed out (null before the first). */
  get indices(): Int32Array | null {
    return this.batch?.indices ?? null;
  }

  /** Loss weights of the batch last handed out: 1 / (1 - pruneRatio) on kept easy samples, else 1. */
  get weights(): Float32Array | null {
    return this.batch?.weights ?? null;
  }

  /**
   * Batches epoch `epoch` has: the current epoch, or the next one (which this plans, so ask
   * before iterating its `batches`, e.g. for a learning-rate schedule, not in the middle of
   * the current epoch).
   */
  steps(epoch: number): number {
    if (this.iterating && epoch !== this.sampler.currentEpoch) {
      throw new Error(
        `InfoBatch.steps(${epoch}): epoch ${this.sampler.currentEpoch} is still handing out batches; planning another epoch now would change its weights`,
      );
    }
    return this.sampler.planEpoch(epoch).steps(this.batchSize, this.dropLast);
  }

  /**
   * Plans `epoch` (the next one by default) and yields its batches of sample indices, pruned
   * and shuffled. Report each batch's losses with `update` before taking the next.
   */
  *batches(epoch: number = this.sampler.currentEpoch + 1): Generator<Int32Array, void, undefined> {
    if (this.iterating && epoch !== this.sampler.currentEpoch) {
      throw new Error(
        `InfoBatch.batches(${epoch}): epoch ${this.sampler.currentEpoch} is still handing out batches`,
      );
    }
    this.plan = this.sampler.planEpoch(epoch);
    this.iterating = true;
    try {
      for (const batch of this.plan.batches(this.batchSize, this.dropLast)) {
        this.batch = batch;
        yield batch.indices;
      }
    } finally {
      this.iterating = false;
    }
  }

  /**
   * Records the per-sample losses of the batch last handed out and returns
   * mean_j(w_j · loss_j): a scalar in the graph for a tensor, a number for plain values.
   */
  update(loss: Loss): Scalar;
  update(losses: ArrayLike<number>): number;
  update(loss: Loss | ArrayLike<number>): Scalar | number {
    if (this.batch === null) {
      throw new Error('InfoBatch.update: no batch handed out yet; iterate `batches(epoch)` first');
    }
    const isTensor = typeof (loss as PerSampleLoss<Scalar>).dataSync === 'function';
    const values = isTensor
      ? (loss as PerSampleLoss<Scalar>).dataSync()
      : (loss as ArrayLike<number>);
    if (values.length !== this.batch.indices.length) {
      throw new RangeError(
        `InfoBatch.update: ${values.length} losses for a batch of ${this.batch.indices.length} samples; pass one loss per sample (no mean)`,
      );
    }
    const tensor = loss as Loss;
    if (isTensor && this.weightedMean === undefined && typeof tensor.mul !== 'function') {
      throw new TypeError(
        'InfoBatch.update: the loss has no mul() method (TensorFlow.js registers it when @tensorflow/tfjs is imported); with @tensorflow/tfjs-core alone pass the option weightedMean: (loss, w) => tf.mean(tf.mul(loss, w))',
      );
    }
    const { weights, weightedMeanLoss } = this.sampler.update(this.batch.indices, values);
    if (!isTensor) return weightedMeanLoss;
    return this.weightedMean ? this.weightedMean(tensor, weights) : tensor.mul!(weights).mean();
  }

  /** The sampler's state (scores, history, epoch) as plain JSON; see `InfoBatch.fromJSON`. */
  toJSON(): SamplerStateJSON {
    return this.sampler.toJSON();
  }

  /**
   * Resumes from `toJSON()` (parsed). Continue with the next epoch's `batches()`; an epoch
   * saved part-way is planned again identically, so skip the batches already trained.
   * `options.size` must match the saved sampler, as must any other sampler option given.
   */
  static fromJSON<Scalar = unknown, Loss extends PerSampleLoss<Scalar> = PerSampleLoss<Scalar>>(
    state: unknown,
    options: StateExpectation & Omit<InfoBatchLoopOptions<Scalar, Loss>, keyof InfoBatchOptions>,
  ): InfoBatch<Scalar, Loss> {
    const { batchSize, dropLast, weightedMean, ...expect } = options;
    const sampler = InfoBatchSampler.fromJSON(state, expect);
    return new InfoBatch<Scalar, Loss>(
      { ...sampler.options, batchSize, dropLast, weightedMean },
      sampler,
    );
  }
}
