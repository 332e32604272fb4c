import { bitsetFromIndices, bitsetWords, countBits, hasBit } from './bitset.js';

/**
 * Which samples each epoch kept (trained on) and, optionally, which were hard (the paper's
 * D1: not below the mean score when the epoch was planned). One bit per sample per epoch, so
 * 1,000,000 samples x 30 epochs take 3.75 MB per record.
 *
 * The sampler appends to it; a trainer that prunes by other means (or in another language)
 * can fill one from index lists with `appendEpochIndices` and still select a key subset.
 */
export class KeptHistory {
  readonly size: number;
  readonly recordsHard: boolean;
  private readonly kept: Uint32Array[] = [];
  private readonly hard: Uint32Array[] = [];

  constructor(size: number, options: { recordHard?: boolean } = {}) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`KeptHistory: size must be a positive integer, got ${size}`);
    }
    this.size = size;
    this.recordsHard = options.recordHard ?? true;
  }

  /** Number of recorded epochs. */
  get epochs(): number {
    return this.kept.length;
  }

  /** Bytes held by the bitsets. */
  get byteLength(): number {
    let bytes = 0;
    for (const bits of this.kept) bytes += bits.byteLength;
    for (const bits of this.hard) bytes += bits.byteLength;
    return bytes;
  }

  /**
   * Records the next epoch from bitsets (bit i = sample i). `hard` is required when the
   * history records hard samples and ignored otherwise. The bitsets are kept, not copied.
   */
  appendEpoch(kept: Uint32Array, hard?: Uint32Array): void {
    const words = bitsetWords(this.size);
    if (kept.length !== words) {
      throw new RangeError(
        `KeptHistory.appendEpoch: kept bitset has ${kept.length} words, expected ${words} for ${this.size} samples`,
      );
    }
    if (this.recordsHard) {
      if (hard === undefined) {
        throw new TypeError(
          'KeptHistory.appendEpoch: this history records hard samples; pass `hard`',
        );
      }
      if (hard.length !== words) {
        throw new RangeError(
          `KeptHistory.appendEpoch: hard bitset has ${hard.length} words, expected ${words} for ${this.size} samples`,
        );
      }
      this.hard.push(hard);
    }
    this.kept.push(kept);
  }

  /** Records the next epoch from lists of sample indices. */
  appendEpochIndices(kept: ArrayLike<number>, hard?: ArrayLike<number>): void {
    this.appendEpoch(
      bitsetFromIndices(this.size, kept, 'kept'),
      hard === undefined ? undefined : bitsetFromIndices(this.size, hard, 'hard'),
    );
  }

  wasKept(epoch: number, index: number): boolean {
    return hasBit(this.keptBits(epoch), this.checkIndex(index));
  }

  wasHard(epoch: number, index: number): boolean {
    return hasBit(this.hardBits(epoch), this.checkIndex(index));
  }

  keptCount(epoch: number): number {
    return countBits(this.keptBits(epoch));
  }

  /** The kept bitset of an epoch (shared, do not modify). */
  keptBits(epoch: number): Uint32Array {
    return this.kept[this.checkEpoch(epoch)]!;
  }

  /** The hard bitset of an epoch (shared, do not modify). */
  hardBits(epoch: number): Uint32Array {
    if (!this.recordsHard) {
      throw new Error('KeptHistory: hard samples were not recorded (recordHard: false)');
    }
    return this.hard[this.checkEpoch(epoch)]!;
  }

  private checkEpoch(epoch: number): number {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch >= this.kept.length) {
      throw new RangeError(
        `KeptHistory: epoch ${epoch} is not recorded (recorded: 0..${this.kept.length - 1})`,
      );
    }
    return epoch;
  }

  private checkIndex(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`KeptHistory: sample ${index} is not in [0, ${this.size})`);
    }
    return index;
  }
}
