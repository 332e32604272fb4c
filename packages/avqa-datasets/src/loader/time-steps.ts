/**
 * `count` time steps spread uniformly over `total` (the centre of each of `count` equal
 * segments), as AMUSE samples 5 frames from a clip; count >= total keeps every step.
 */
export function uniformTimeSteps(total: number, count: number): Int32Array {
  if (!(Number.isInteger(count) && count >= 1))
    throw new Error(`timeSteps must be a positive integer, got ${count}`);
  if (count >= total) return Int32Array.from({ length: total }, (_, i) => i);
  return Int32Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * total) / count));
}

/** Copies the chosen steps of a [T, ...] array into `target` at `offset`. */
export function gatherSteps<T extends Uint8Array | Float32Array>(
  source: T,
  stepSize: number,
  steps: Int32Array,
  target: T,
  offset: number,
): void {
  steps.forEach((step, i) => {
    target.set(source.subarray(step * stepSize, (step + 1) * stepSize), offset + i * stepSize);
  });
}

/**
 * Exactly `count` time steps of a `total`-step clip: uniformTimeSteps, except that a clip
 * shorter than `count` repeats steps instead of leaving the last ones empty (zeros).
 */
export function spreadTimeSteps(total: number, count: number): Int32Array {
  if (count <= total) return uniformTimeSteps(total, count);
  return Int32Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * total) / count));
}
