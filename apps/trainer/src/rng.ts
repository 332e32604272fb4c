import { fmix32, SplitMix32 } from '@sparsify/internal-random';

/**
 * The trainer's seeded random source: `SplitMix32` with murmur3's fmix32 output
 * (@sparsify/internal-random). Its whole state is one 32-bit integer, so a checkpoint can
 * store it and `--resume` continues the exact same stream (Math.random cannot be saved or
 * seeded).
 */
export class Rng {
  private readonly source: SplitMix32;

  constructor(seed: number) {
    this.source = new SplitMix32(seed, fmix32);
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    return this.source.nextUint32();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.source.nextFloat();
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return this.source.nextBelow(n);
  }

  /** A Fisher-Yates shuffle of a copy of `items`. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const swap = out[i] as T;
      out[i] = out[j] as T;
      out[j] = swap;
    }
    return out;
  }

  /** A seed for a derived stream (e.g. one library's own PRNG), drawn from this one. */
  fork(): number {
    return this.nextUint32();
  }

  getState(): number {
    return this.source.getState();
  }

  setState(state: number): void {
    this.source.setState(state);
  }
}
