import { GOLDEN_GAMMA, lowbias32 } from './finalisers.js';

/**
 * A 32-bit SplitMix generator: the state walks a Weyl sequence (state += golden gamma) and
 * each output is `finalise(state)`. Its whole state is one 32-bit integer, so a checkpoint
 * can store it and a resumed run continues the same stream.
 */
export class SplitMix32 {
  private state: number;

  constructor(
    seed: number,
    private readonly finalise: (state: number) => number = lowbias32,
  ) {
    this.state = seed >>> 0;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + GOLDEN_GAMMA) >>> 0;
    return this.finalise(this.state);
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, bound), bound <= 2^32 (multiply-shift; bias below bound / 2^32). */
  nextBelow(bound: number): number {
    return Math.floor(this.nextFloat() * bound);
  }

  /** The state as an unsigned 32-bit integer. */
  getState(): number {
    return this.state;
  }

  setState(state: number): void {
    this.state = state >>> 0;
  }
}
