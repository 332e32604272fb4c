/**
 * Level 1, step 1 of the README's algorithm ("Draw"): which tokens each sample keeps, per
 * masking mode. Every mode draws, per sample, a uniformly random subset of some unit (token,
 * time step, frequency band) of size keptCount(units, r), by a partial Fisher-Yates shuffle
 * (MAE's per-sample shuffle, keep the first N_keep), so every sample keeps the same number of
 * tokens and batches stay rectangular. mask-plan.ts then keeps them (steps 2-5).
 *
 * Token layout (docs/contracts.md): token n = t * tokensPerStep + j lies in time step t and,
 * for spectrograms, in frequency band j % frequencyBands.
 */
import type { StreamLayout } from './contract.js';
import type { Rng } from './rng.js';

/** Modes that mask one stream on its own. */
export type StreamMaskMode = 'random' | 'time' | 'frequency' | 'time-frequency';

/** A stream's token grid (StreamLayout without the stream name). */
export type TokenGrid = Pick<StreamLayout, 'timeSteps' | 'tokensPerStep' | 'frequencyBands'>;

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

/** The first `count` entries of a uniformly random permutation of 0..n-1 (partial Fisher-Yates). */
export function sampleWithoutReplacement(n: number, count: number, rng: Rng): Int32Array {
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const chosen = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = chosen;
  }
  return pool.subarray(0, count);
}

/** Kept token positions per sample (ascending) for one stream masked on its own. */
export function drawKeepSets(
  mode: StreamMaskMode,
  batchSize: number,
  grid: TokenGrid,
  ratio: number,
  rng: Rng,
): Int32Array[] {
  assertGrid(grid);
  const numTokens = grid.timeSteps * grid.tokensPerStep;
  const keepSets: Int32Array[] = [];
  for (let b = 0; b < batchSize; b++) {
    switch (mode) {
      case 'random': {
        keepSets.push(
          sorted(sampleWithoutReplacement(numTokens, keptCount(numTokens, ratio), rng)),
        );
        break;
      }
      case 'time': {
        const steps = sampleWithoutReplacement(
          grid.timeSteps,
          keptCount(grid.timeSteps, ratio),
          rng,
        );
        keepSets.push(tokensOf(grid, steps, allBands(grid)));
        break;
      }
      case 'frequency': {
        const bandCount = bandsOf(grid, mode);
        const bands = sampleWithoutReplacement(bandCount, keptCount(bandCount, ratio), rng);
        keepSets.push(tokensOf(grid, allSteps(grid), bands));
        break;
      }
      case 'time-frequency': {
        // AudioMAE-style: drop whole time steps and whole bands; each axis keeps sqrt(1 - ratio)
        // so that together about (1 - ratio) of the tokens survive.
        const bandCount = bandsOf(grid, mode);
        const axisRatio = 1 - Math.sqrt(1 - ratio);
        const steps = sampleWithoutReplacement(
          grid.timeSteps,
          keptCount(grid.timeSteps, axisRatio),
          rng,
        );
        const bands = sampleWithoutReplacement(bandCount, keptCount(bandCount, axisRatio), rng);
        keepSets.push(tokensOf(grid, steps, bands));
        break;
      }
      default:
        throw new Error(`drawKeepSets: unknown mode '${mode as string}'`);
    }
  }
  return keepSets;
}

/**
 * Cross-modal mode: video and audio keep the same time steps. Per sample one random order of
 * the time steps is drawn and each stream keeps its first keptCount(T, ratio) steps, so with
 * equal ratios both keep exactly the same steps (and with unequal ones, nested sets).
 */
export function drawCrossModalKeepSets(
  batchSize: number,
  grids: { video: TokenGrid; audio: TokenGrid },
  ratios: { video: number; audio: number },
  rng: Rng,
): { video: Int32Array[]; audio: Int32Array[] } {
  assertGrid(grids.video);
  assertGrid(grids.audio);
  const timeSteps = grids.video.timeSteps;
  if (grids.audio.timeSteps !== timeSteps) {
    throw new Error(
      `cross-modal masking needs the same time steps in both streams, got video ${timeSteps} and audio ${grids.audio.timeSteps}`,
    );
  }
  const videoSteps = keptCount(timeSteps, ratios.video);
  const audioSteps = keptCount(timeSteps, ratios.audio);
  const video: Int32Array[] = [];
  const audio: Int32Array[] = [];
  for (let b = 0; b < batchSize; b++) {
    const order = sampleWithoutReplacement(timeSteps, timeSteps, rng);
    video.push(tokensOf(grids.video, order.subarray(0, videoSteps), allBands(grids.video)));
    audio.push(tokensOf(grids.audio, order.subarray(0, audioSteps), allBands(grids.audio)));
  }
  return { video, audio };
}

/** Ascending positions of the tokens in the given time steps and bands. */
function tokensOf(grid: TokenGrid, steps: Int32Array, bands: Int32Array): Int32Array {
  const bandCount = grid.frequencyBands ?? 1;
  const keepBand = new Uint8Array(bandCount);
  for (const band of bands) keepBand[band] = 1;
  const stepList = sorted(steps);
  const positions: number[] = [];
  for (const step of stepList) {
    for (let j = 0; j < grid.tokensPerStep; j++) {
      if (keepBand[j % bandCount] === 1) positions.push(step * grid.tokensPerStep + j);
    }
  }
  return Int32Array.from(positions);
}

function allSteps(grid: TokenGrid): Int32Array {
  return Int32Array.from({ length: grid.timeSteps }, (_, step) => step);
}

function allBands(grid: TokenGrid): Int32Array {
  return Int32Array.from({ length: grid.frequencyBands ?? 1 }, (_, band) => band);
}

function bandsOf(grid: TokenGrid, mode: StreamMaskMode): number {
  if (grid.frequencyBands === undefined) {
    throw new Error(`'${mode}' masking needs layout.frequencyBands (spectrogram tokens)`);
  }
  return grid.frequencyBands;
}

function sorted(values: Int32Array): Int32Array {
  return Int32Array.from(values).sort();
}

function assertGrid(grid: TokenGrid): void {
  const { timeSteps, tokensPerStep, frequencyBands } = grid;
  if (!Number.isInteger(timeSteps) || timeSteps < 1) {
    throw new Error(`layout.timeSteps must be a positive integer, got ${timeSteps}`);
  }
  if (!Number.isInteger(tokensPerStep) || tokensPerStep < 1) {
    throw new Error(`layout.tokensPerStep must be a positive integer, got ${tokensPerStep}`);
  }
  if (
    frequencyBands !== undefined &&
    !(
      Number.isInteger(frequencyBands) &&
      frequencyBands >= 1 &&
      tokensPerStep % frequencyBands === 0
    )
  ) {
    throw new Error(
      `layout.frequencyBands must be a positive divisor of tokensPerStep (${tokensPerStep}), got ${frequencyBands}`,
    );
  }
}
