import { InfoBatchSampler } from '@sparsify/key-subset-selection';
import type { InfoBatchSettings } from '../config/train-config.js';
import type { EpochOrder, EpochSampler } from '../pipeline/types.js';

/** Level 3 in the loop: InfoBatch plans each epoch and learns each sample's last loss. */
export class InfoBatchEpochSampler implements EpochSampler {
  private sampler: InfoBatchSampler;

  constructor(
    private readonly size: number,
    epochs: number,
    settings: InfoBatchSettings,
    seed: number,
  ) {
    this.sampler = new InfoBatchSampler({
      size,
      epochs,
      pruneRatio: settings.pruneRatio,
      delta: settings.delta,
      seed,
    });
  }

  /** Which samples each epoch kept: what key-subset selection scores. */
  get history() {
    return this.sampler.history;
  }

  planEpoch(epoch: number): EpochOrder {
    const plan = this.sampler.planEpoch(epoch);
    return { indices: Int32Array.from(plan.indices), weights: Float32Array.from(plan.weights) };
  }

  update(indices: ArrayLike<number>, losses: ArrayLike<number>): void {
    this.sampler.update(indices, losses);
  }

  saveState(): unknown {
    return this.sampler.toJSON();
  }

  loadState(state: unknown): void {
    this.sampler = InfoBatchSampler.fromJSON(state, { size: this.size });
  }
}
