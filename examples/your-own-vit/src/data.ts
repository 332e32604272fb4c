/**
 * Tiny synthetic images so the example needs no download: a bright square on the left
 * half (class 0) or the right half (class 1) of a noisy image.
 */
import * as tf from '@tensorflow/tfjs';

export interface SyntheticImages {
  /** [S, H, W, C] */
  images: tf.Tensor4D;
  /** [S] class 0 or 1 */
  labels: tf.Tensor1D;
}

export function syntheticImages(
  count: number,
  shape: { imageSize: number; channels: number },
  seed: number,
): SyntheticImages {
  const { imageSize: size, channels } = shape;
  let state = seed >>> 0;
  const random = () => {
    // mulberry32: a seeded uniform [0, 1) source, so the data is the same on every run
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pixels = new Float32Array(count * size * size * channels);
  const labels = new Float32Array(count);
  const square = Math.max(2, Math.floor(size / 4));
  for (let s = 0; s < count; s++) {
    const label = random() < 0.5 ? 0 : 1;
    labels[s] = label;
    const half = size / 2;
    const left = label * half + Math.floor(random() * (half - square + 1));
    const top = Math.floor(random() * (size - square + 1));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = x >= left && x < left + square && y >= top && y < top + square;
        for (let c = 0; c < channels; c++) {
          pixels[((s * size + y) * size + x) * channels + c] =
            (inside ? 1 : 0) + 0.3 * (random() - 0.5);
        }
      }
    }
  }
  return {
    images: tf.tensor4d(pixels, [count, size, size, channels]),
    labels: tf.tensor1d(labels),
  };
}
