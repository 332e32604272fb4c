import { join } from 'node:path';
import { assertSafeVideoId } from '../annotations/video-id.js';
import { readNpyTimeSteps } from './npy-file.js';
import type { ShapedArray } from './shaped-array.js';
import type { TemporalSampling } from './temporal-sampling.js';

/** Where one kind of pre-extracted feature lives and the shape of one time step. */
export interface FeatureLayout {
  name: string;
  /** Directory under the dataset root holding `<videoId>.npy`. */
  directory: string;
  /** Shape of one time step (the file is [T, ...stepShape]). */
  stepShape: readonly number[];
  /** Time steps per file in the community release (one per second of a 60 s clip). */
  timeSteps: number;
}

/** VGGish audio embeddings, one per second: feats/vggish/<id>.npy [60, 128]. */
export const VGGISH_LAYOUT: FeatureLayout = Object.freeze({
  name: 'vggish',
  directory: 'feats/vggish',
  stepShape: [128],
  timeSteps: 60,
});

/** ResNet-18 14x14 feature maps of one frame per second: feats/res18_14x14/<id>.npy [60, 512, 14, 14]. */
export const RES18_14X14_LAYOUT: FeatureLayout = Object.freeze({
  name: 'res18_14x14',
  directory: 'feats/res18_14x14',
  stepShape: [512, 14, 14],
  timeSteps: 60,
});

/**
 * CLIP ViT-L/14 frame features, one per second, [60, 768]. Repositories name the
 * directory differently, so pass yours (default 'feats/clip_vit_l14').
 */
export function clipFrameLayout(directory = 'feats/clip_vit_l14', width = 768): FeatureLayout {
  return Object.freeze({ name: 'clip', directory, stepShape: [width], timeSteps: 60 });
}

/** `<root>/<layout.directory>/<videoId>.npy`: where a video's features of a layout live. */
export function featureFilePath(root: string, layout: FeatureLayout, videoId: string): string {
  return join(root, layout.directory, `${assertSafeVideoId(videoId)}.npy`);
}

export interface LoadFeaturesOptions extends TemporalSampling {
  /** Require exactly the layout's time steps (60) before subsampling. Default true. */
  strictTimeSteps?: boolean;
}

/**
 * Loads `<root>/<layout.directory>/<videoId>.npy`, checks its shape against the layout and
 * applies the temporal subsampling. Returns float32 C-order data: [T', ...stepShape].
 */
export async function loadFeatures(
  root: string,
  videoId: string,
  layout: FeatureLayout,
  options: LoadFeaturesOptions = {},
): Promise<ShapedArray> {
  const path = featureFilePath(root, layout, videoId);
  // Only the kept time steps are read from disk (a C-order file holds each one contiguously).
  const array = await readNpyTimeSteps(path, options);
  const timeSteps = array.storedShape[0];
  const stepShape = array.storedShape.slice(1);
  const expected = `[${options.strictTimeSteps === false ? 'T' : layout.timeSteps}, ${layout.stepShape.join(', ')}]`;
  const stepMatches =
    stepShape.length === layout.stepShape.length &&
    stepShape.every((dimension, axis) => dimension === layout.stepShape[axis]);
  const timeMatches =
    timeSteps !== undefined &&
    (options.strictTimeSteps === false || timeSteps === layout.timeSteps);
  if (!stepMatches || !timeMatches) {
    throw new Error(
      `${path}: ${layout.name} features must have shape ${expected}, got [${array.storedShape.join(', ')}]`,
    );
  }
  return { data: array.data, shape: array.shape };
}
