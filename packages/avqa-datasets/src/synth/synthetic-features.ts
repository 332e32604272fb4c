import type { ShapedArray } from '../features/shaped-array.js';
import { fbankPerSecond } from '../media/fbank.js';
import { createRandom } from './random.js';
import type { RenderedFrames } from './render-frames.js';

/**
 * Stand-ins for the community's pre-extracted features, computed from a rendered scene with
 * the official shapes and dtype (float32, one step per second) but no pretrained network:
 * fixed, seeded projections of the frames and fbank, so the files carry the scene (which
 * instrument is where, which is sounding) and a model can learn from them. They are not
 * VGGish, ResNet-18 or CLIP outputs and have other statistics.
 *
 * - vggish [T, 128]: per second, a Kaldi log-mel fbank (64 bins, 25/10 ms); the mean and the
 *   standard deviation of each bin over the second's 98 frames.
 * - res18_14x14 [T, 512, 14, 14]: the frame average-pooled to a 14x14 grid; each cell's mean
 *   R, G, B and luminance deviation, projected to 512 channels by a fixed random matrix,
 *   then ReLU (as ResNet's last block ends in one).
 * - clip [T, 768]: the frame average-pooled to 4x4 cells of mean R, G, B (48 values),
 *   projected to 768 by a fixed random matrix, then tanh.
 */
export const SYNTHETIC_FEATURE_SEED = 0x5eed;

const VGGISH_BINS = 64;
const RES18_CHANNELS = 512;
const RES18_GRID = 14;
const CELL_VALUES = 4;
const CLIP_WIDTH = 768;
const CLIP_GRID = 4;

/** VGGish stand-in [T, 128] from the mono waveform. */
export function syntheticVggish(
  waveform: Float32Array,
  seconds: number,
  sampleRate: number,
): ShapedArray {
  const fbank = fbankPerSecond(waveform, seconds, { sampleRate, melBins: VGGISH_BINS });
  const [, frames] = fbank.shape;
  const data = new Float32Array(seconds * 2 * VGGISH_BINS);
  for (let t = 0; t < seconds; t++) {
    for (let bin = 0; bin < VGGISH_BINS; bin++) {
      let sum = 0;
      let squares = 0;
      for (let f = 0; f < frames; f++) {
        const value = fbank.data[(t * frames + f) * VGGISH_BINS + bin] as number;
        sum += value;
        squares += value * value;
      }
      const mean = sum / frames;
      data[t * 2 * VGGISH_BINS + bin] = mean;
      data[t * 2 * VGGISH_BINS + VGGISH_BINS + bin] = Math.sqrt(
        Math.max(0, squares / frames - mean * mean),
      );
    }
  }
  return { data, shape: [seconds, 2 * VGGISH_BINS] };
}

/** Per cell of a grid x grid pooling of frame t: mean R, G, B in [0, 1] and luminance std. */
function pooledCells(frames: RenderedFrames, t: number, grid: number): Float32Array {
  const [, height, width] = frames.shape;
  const cells = new Float32Array(grid * grid * CELL_VALUES);
  for (let gy = 0; gy < grid; gy++) {
    const y0 = Math.floor((gy * height) / grid);
    const y1 = Math.max(y0 + 1, Math.floor(((gy + 1) * height) / grid));
    for (let gx = 0; gx < grid; gx++) {
      const x0 = Math.floor((gx * width) / grid);
      const x1 = Math.max(x0 + 1, Math.floor(((gx + 1) * width) / grid));
      let r = 0;
      let g = 0;
      let b = 0;
      let lum = 0;
      let lumSquares = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = ((t * height + y) * width + x) * 3;
          const pr = (frames.data[p] as number) / 255;
          const pg = (frames.data[p + 1] as number) / 255;
          const pb = (frames.data[p + 2] as number) / 255;
          const l = 0.299 * pr + 0.587 * pg + 0.114 * pb;
          r += pr;
          g += pg;
          b += pb;
          lum += l;
          lumSquares += l * l;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (gy * grid + gx) * CELL_VALUES;
      cells[o] = r / n;
      cells[o + 1] = g / n;
      cells[o + 2] = b / n;
      cells[o + 3] = Math.sqrt(Math.max(0, lumSquares / n - (lum / n) ** 2));
    }
  }
  return cells;
}

/** A fixed [rows, columns] projection (and bias) from the synthetic-feature seed. */
function projection(rows: number, columns: number, stream: number) {
  const random = createRandom(SYNTHETIC_FEATURE_SEED + stream);
  const scale = 1 / Math.sqrt(columns);
  return {
    weights: Float32Array.from({ length: rows * columns }, () => random.gaussian() * scale * 2),
    bias: Float32Array.from({ length: rows }, () => random.gaussian() * 0.1),
  };
}

let res18Projection: ReturnType<typeof projection> | undefined;
let clipProjection: ReturnType<typeof projection> | undefined;

/** ResNet-18 14x14 stand-in [T, 512, 14, 14] (channels first, as the release stores it). */
export function syntheticResnet18(frames: RenderedFrames): ShapedArray {
  res18Projection ??= projection(RES18_CHANNELS, CELL_VALUES, 1);
  const { weights, bias } = res18Projection;
  const [seconds] = frames.shape;
  const cellCount = RES18_GRID * RES18_GRID;
  const data = new Float32Array(seconds * RES18_CHANNELS * cellCount);
  for (let t = 0; t < seconds; t++) {
    const cells = pooledCells(frames, t, RES18_GRID);
    for (let c = 0; c < RES18_CHANNELS; c++) {
      const row = (t * RES18_CHANNELS + c) * cellCount;
      for (let cell = 0; cell < cellCount; cell++) {
        let value = bias[c] as number;
        for (let k = 0; k < CELL_VALUES; k++)
          value +=
            (weights[c * CELL_VALUES + k] as number) * (cells[cell * CELL_VALUES + k] as number);
        data[row + cell] = Math.max(0, value);
      }
    }
  }
  return { data, shape: [seconds, RES18_CHANNELS, RES18_GRID, RES18_GRID] };
}

/** CLIP frame-feature stand-in [T, 768]. */
export function syntheticClip(frames: RenderedFrames): ShapedArray {
  const inputs = CLIP_GRID * CLIP_GRID * 3;
  clipProjection ??= projection(CLIP_WIDTH, inputs, 2);
  const { weights, bias } = clipProjection;
  const [seconds] = frames.shape;
  const data = new Float32Array(seconds * CLIP_WIDTH);
  const rgb = new Float32Array(inputs);
  for (let t = 0; t < seconds; t++) {
    const cells = pooledCells(frames, t, CLIP_GRID);
    for (let cell = 0; cell < CLIP_GRID * CLIP_GRID; cell++)
      rgb.set(cells.subarray(cell * CELL_VALUES, cell * CELL_VALUES + 3), cell * 3);
    for (let c = 0; c < CLIP_WIDTH; c++) {
      let value = bias[c] as number;
      for (let k = 0; k < inputs; k++)
        value += (weights[c * inputs + k] as number) * (rgb[k] as number);
      data[t * CLIP_WIDTH + c] = Math.tanh(value);
    }
  }
  return { data, shape: [seconds, CLIP_WIDTH] };
}
