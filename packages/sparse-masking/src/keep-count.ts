/**
 * How many of `total` units (tokens, time steps, bands) survive a mask ratio:
 * round(total * (1 - ratio)), halves rounded up, clamped to [1, total].
 *
 * Rounding rather than MAE's int() truncation: 10 * (1 - 0.9) is 0.9999999999999998 in
 * floating point, which truncation would turn into 0 kept tokens. At least one unit is always
 * kept so every sample still has a token to attend to.
 */
export function keptCount(total: number, ratio: number): number {
  assertRatio(ratio, 'ratio');
  if (!Number.isInteger(total) || total < 1) {
    throw new Error(`keptCount: total must be a positive integer, got ${total}`);
  }
  return Math.min(total, Math.max(1, Math.round(total * (1 - ratio))));
}

/** A mask ratio is the dropped fraction, in [0, 1). */
export function assertRatio(ratio: number, name: string): void {
  if (!(Number.isFinite(ratio) && ratio >= 0 && ratio < 1)) {
    throw new Error(
      `${name} must be a number in [0, 1) (the fraction of tokens dropped), got ${ratio}`,
    );
  }
}
