import type { ShapedArray } from './shaped-array.js';

export interface TemporalSampling {
  /**
   * Keep every `stride`-th time step. Default 6: the official loader takes
   * `features[::6]`, 10 of 60 one-second steps.
   */
  stride?: number;
  /** First time step kept (default 0). */
  offset?: number;
}

/** The time steps Python's `x[offset::stride]` keeps from `timeSteps` steps. */
export function keptTimeSteps(timeSteps: number, sampling: TemporalSampling = {}): number[] {
  const stride = sampling.stride ?? 6;
  const offset = sampling.offset ?? 0;
  if (!Number.isInteger(stride) || stride < 1)
    throw new Error(`stride must be a positive integer, got ${stride}`);
  if (!Number.isInteger(offset) || offset < 0)
    throw new Error(`offset must be a non-negative integer, got ${offset}`);
  const kept: number[] = [];
  for (let step = offset; step < timeSteps; step += stride) kept.push(step);
  return kept;
}

/** Time steps offset, offset + stride, ... of a [T, ...] array (the official `x[offset::stride]`). */
export function subsampleTimeSteps(
  array: ShapedArray,
  sampling: TemporalSampling = {},
): ShapedArray {
  const [timeSteps, ...stepShape] = array.shape;
  if (timeSteps === undefined) throw new Error('cannot subsample a 0-d array over time');
  const kept = keptTimeSteps(timeSteps, sampling);
  const stepSize = stepShape.reduce((size, dimension) => size * dimension, 1);
  const data = new Float32Array(kept.length * stepSize);
  kept.forEach((step, row) => {
    data.set(array.data.subarray(step * stepSize, (step + 1) * stepSize), row * stepSize);
  });
  return { data, shape: [kept.length, ...stepShape] };
}
