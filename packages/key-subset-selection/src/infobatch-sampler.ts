import { SplitMix32 } from '@sparsify/internal-random';
import { bitsetToIndices, createBitset, fillBitset, hasBit, setBit } from './bitset.js';
import { createEpochPlan, type EpochPlan } from './epoch-plan.js';
import { KeptHistory } from './kept-history.js';
import {
  type InfoBatchOptions,
  pruningEpochCount,
  type ResolvedInfoBatchOptions,
  resolveInfoBatchOptions,
} from './options.js';
import { deriveSeed, RandomStream, sampleToFront, shuffleInPlace } from './random.js';
import {
  decodeSamplerState,
  encodeSamplerState,
  type SamplerSnapshot,
  type SamplerStateJSON,
  type StateExpectation,
} from './state.js';

/** What `update` returns for one batch. */
export interface BatchUpdate {
  /** Loss weight of each reported sample, aligned with the indices passed in. */
  weights: Float32Array;
  /** mean_j(weights[j] * losses[j]): the loss InfoBatch back-propagates. */
  weightedMeanLoss: number;
}

/**
 * InfoBatch (Qin et al., ICLR 2024) as a sampler that sees only sample indices and losses.
 *
 * Per epoch e, `planEpoch(e)`:
 * 1. mean = mean of the current scores of all samples (a score is the last reported loss, or
 *    `initialScore` for a sample never reported: unseen and pruned samples keep their score);
 * 2. easy = samples with score < mean; hard (D1) = all others;
 * 3. if e < floor(delta * epochs): keep all hard samples and floor((1 - pruneRatio) * |easy|)
 *    easy ones drawn uniformly by (seed, e); kept easy samples weigh 1 / (1 - pruneRatio),
 *    all others 1. Otherwise keep every sample with weight 1;
 * 4. order the kept samples by a shuffle seeded by (seed, e);
 * 5. record kept (and hard) in the history.
 * `update(indices, losses)` then stores each loss as the sample's score.
 */
export class InfoBatchSampler {
  readonly options: Readonly<ResolvedInfoBatchOptions>;
  /** Epochs 0..pruningEpochs-1 prune; from then on every sample is used with weight 1. */
  readonly pruningEpochs: number;
  /** Which samples each planned epoch kept, and which were hard. */
  readonly history: KeptHistory;
  private readonly scores: Float32Array;
  private readonly upweightedBits: Uint32Array;
  private readonly upweight: number;
  private plannedEpoch = -1;
  private plannedMeanScore = Number.NaN;

  constructor(options: InfoBatchOptions) {
    this.options = Object.freeze(resolveInfoBatchOptions(options));
    const { size, epochs, delta, pruneRatio, initialScore, recordHard } = this.options;
    this.pruningEpochs = pruningEpochCount(epochs, delta);
    this.history = new KeptHistory(size, { recordHard });
    this.scores = new Float32Array(size).fill(initialScore);
    this.upweightedBits = createBitset(size);
    this.upweight = Math.fround(1 / (1 - pruneRatio));
  }

  /** The last planned epoch, or -1 before the first plan. */
  get currentEpoch(): number {
    return this.plannedEpoch;
  }

  /** The score of one sample (last reported loss or the initial score). */
  scoreOf(index: number): number {
    return this.scores[this.checkIndex(index, 'scoreOf')]!;
  }

  /**
   * Plans epoch `epoch`: the next epoch (currentEpoch + 1), or the current one again, which
   * returns the same plan (so a resumed trainer can ask for the epoch it was in).
   */
  planEpoch(epoch: number): EpochPlan {
    if (epoch === this.plannedEpoch) return this.currentPlan();
    const next = this.plannedEpoch + 1;
    if (epoch !== next) {
      throw new RangeError(
        `planEpoch(${epoch}): epochs are planned in order; expected ${next}` +
          (this.plannedEpoch >= 0 ? ` (or ${this.plannedEpoch} again)` : ''),
      );
    }
    if (epoch >= this.options.epochs) {
      throw new RangeError(
        `planEpoch(${epoch}): the sampler was set up for ${this.options.epochs} epochs`,
      );
    }
    const { size, pruneRatio, seed } = this.options;
    const scores = this.scores;

    let sum = 0;
    for (let i = 0; i < size; i++) sum += scores[i]!;
    const meanScore = sum / size;

    const kept = createBitset(size);
    const hard = createBitset(size);
    let easyCount = 0;
    for (let i = 0; i < size; i++) {
      if (scores[i]! < meanScore) easyCount++;
      else setBit(hard, i);
    }
    this.upweightedBits.fill(0);
    if (epoch < this.pruningEpochs) {
      kept.set(hard);
      const easy = new Int32Array(easyCount);
      for (let i = 0, next = 0; i < size; i++) if (scores[i]! < meanScore) easy[next++] = i;
      // The 1e-9 keeps float error from losing a sample: (1 - 0.9) * 10 = 0.9999999999999998.
      const keepCount = Math.floor((1 - pruneRatio) * easyCount + 1e-9);
      const random = new SplitMix32(deriveSeed(seed, epoch, RandomStream.prune));
      for (const index of sampleToFront(easy, keepCount, random)) {
        setBit(kept, index);
        setBit(this.upweightedBits, index);
      }
    } else {
      fillBitset(kept, size);
    }
    this.history.appendEpoch(kept, this.options.recordHard ? hard : undefined);
    this.plannedEpoch = epoch;
    this.plannedMeanScore = meanScore;
    return this.currentPlan();
  }

  /**
   * Records a batch's per-sample losses as the samples' scores and returns the loss weights
   * of these samples in the current epoch. Every index must be in the current epoch's plan.
   */
  update(indices: ArrayLike<number>, losses: ArrayLike<number>): BatchUpdate {
    if (indices.length !== losses.length) {
      throw new RangeError(`update: ${indices.length} indices but ${losses.length} losses`);
    }
    if (indices.length === 0) throw new RangeError('update: empty batch');
    for (let j = 0; j < losses.length; j++) {
      if (!Number.isFinite(losses[j]))
        throw new RangeError(`update: losses[${j}] = ${losses[j]} is not finite`);
    }
    // Validate the whole batch before storing anything, so a bad batch leaves no trace.
    const weights = this.lookupWeights(indices, 'update');
    let weightedSum = 0;
    for (let j = 0; j < indices.length; j++) {
      const loss = losses[j]!;
      this.scores[indices[j]!] = loss;
      weightedSum += weights[j]! * loss;
    }
    return { weights, weightedMeanLoss: weightedSum / indices.length };
  }

  /** Loss weights of samples in the current epoch (each must be in the current plan). */
  weightsOf(indices: ArrayLike<number>): Float32Array {
    return this.lookupWeights(indices, 'weightsOf');
  }

  private lookupWeights(indices: ArrayLike<number>, caller: string): Float32Array {
    if (this.plannedEpoch < 0)
      throw new Error(`${caller}: no epoch planned yet; call planEpoch(0) first`);
    const kept = this.history.keptBits(this.plannedEpoch);
    const weights = new Float32Array(indices.length);
    for (let j = 0; j < indices.length; j++) {
      const index = this.checkIndex(indices[j]!, caller, j);
      if (!hasBit(kept, index)) {
        throw new RangeError(
          `${caller}: sample ${index} (indices[${j}]) is pruned in epoch ${this.plannedEpoch}`,
        );
      }
      weights[j] = hasBit(this.upweightedBits, index) ? this.upweight : 1;
    }
    return weights;
  }

  /** The whole state as plain JSON (scores, history, current epoch); see `fromJSON`. */
  toJSON(): SamplerStateJSON {
    const kept: Uint32Array[] = [];
    const hard: Uint32Array[] = [];
    for (let epoch = 0; epoch < this.history.epochs; epoch++) {
      kept.push(this.history.keptBits(epoch));
      if (this.options.recordHard) hard.push(this.history.hardBits(epoch));
    }
    return encodeSamplerState({
      options: this.options,
      plannedEpoch: this.plannedEpoch,
      plannedMeanScore: this.plannedMeanScore,
      scores: this.scores,
      upweighted: this.upweightedBits,
      kept,
      hard,
    });
  }

  /**
   * Restores a sampler saved by `toJSON` (parsed JSON). `expect.size` is the size of the
   * dataset being trained now; any other option given in `expect` must match the saved one.
   * Training continues exactly as if it had not been interrupted.
   */
  static fromJSON(state: unknown, expect: StateExpectation): InfoBatchSampler {
    return InfoBatchSampler.restore(decodeSamplerState(state, expect));
  }

  private static restore(snapshot: SamplerSnapshot): InfoBatchSampler {
    const sampler = new InfoBatchSampler(snapshot.options);
    sampler.scores.set(snapshot.scores);
    sampler.upweightedBits.set(snapshot.upweighted);
    snapshot.kept.forEach((kept, epoch) => {
      sampler.history.appendEpoch(kept, snapshot.hard[epoch]);
    });
    sampler.plannedEpoch = snapshot.plannedEpoch;
    sampler.plannedMeanScore = snapshot.plannedMeanScore;
    return sampler;
  }

  /** Rebuilds the current epoch's plan from its recorded kept set, so it is the same every time. */
  private currentPlan(): EpochPlan {
    const epoch = this.plannedEpoch;
    const indices = bitsetToIndices(this.history.keptBits(epoch));
    // Weights are looked up in ascending order (sequential bit reads), then shuffled along.
    const weights = new Float32Array(indices.length);
    for (let j = 0; j < indices.length; j++) {
      weights[j] = hasBit(this.upweightedBits, indices[j]!) ? this.upweight : 1;
    }
    shuffleInPlace(
      indices,
      new SplitMix32(deriveSeed(this.options.seed, epoch, RandomStream.order)),
      weights,
    );
    return createEpochPlan({
      epoch,
      pruning: epoch < this.pruningEpochs,
      indices,
      weights,
      numPruned: this.options.size - indices.length,
      meanScore: this.plannedMeanScore,
    });
  }

  private checkIndex(index: number, caller: string, position?: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.options.size) {
      const where = position === undefined ? '' : ` (indices[${position}])`;
      throw new RangeError(
        `${caller}: sample ${index}${where} is not in [0, ${this.options.size})`,
      );
    }
    return index;
  }
}
