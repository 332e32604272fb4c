import type { EpochOrder, EpochSampler } from '../pipeline/types.js';
import type { Rng } from '../rng.js';

/** Every sample once per epoch, weight 1, in a fresh seeded order (the dense baseline). */
export class UniformSampler implements EpochSampler {
  constructor(
    private readonly size: number,
    private readonly rng: Rng,
  ) {}

  planEpoch(): EpochOrder {
    const order = this.rng.shuffled(Array.from({ length: this.size }, (_, i) => i));
    return { indices: Int32Array.from(order), weights: new Float32Array(this.size).fill(1) };
  }

  update(): void {}

  saveState(): unknown {
    return { rng: this.rng.getState() };
  }

  loadState(state: unknown): void {
    const rng = (state as { rng?: unknown } | null)?.rng;
    if (typeof rng !== 'number') throw new Error('uniform sampler state: expected { rng: number }');
    this.rng.setState(rng);
  }
}
