import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AudioBatch,
  type AudioInputSpec,
  DEFAULT_INPUTS,
  type InputSpec,
  type VideoBatch,
  type VideoInputSpec,
} from '@sparsify/amuse-encoder';
import {
  clipFrameLayout,
  type FeatureLayout,
  featureFilePath,
  RES18_14X14_LAYOUT,
  VGGISH_LAYOUT,
} from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../config/config-error.js';

/** Pre-extracted video features a MUSIC-AVQA run can read instead of raw frames. */
export const VIDEO_FEATURE_KINDS = ['resnet18', 'clip'] as const;
export type VideoFeatureKind = (typeof VIDEO_FEATURE_KINDS)[number];
/** Pre-extracted audio features a MUSIC-AVQA run can read instead of fbank windows. */
export const AUDIO_FEATURE_KINDS = ['vggish'] as const;
export type AudioFeatureKind = (typeof AUDIO_FEATURE_KINDS)[number];
export const RESNET_GRIDS = [1, 2, 7, 14] as const;
export type ResnetGrid = (typeof RESNET_GRIDS)[number];

/**
 * ResNet-18 maps are pooled to 7x7 tokens a step by default: 14x14 would give 196 tokens a
 * step (980 for 5 steps), 12x the raw-frame path's 16, too slow to train on 2 CPU cores.
 */
export const DEFAULT_RESNET_GRID: ResnetGrid = 7;

/** Which streams of a MUSIC-AVQA run come from feature files (the others from raw media). */
export interface FeatureChoice {
  videoFeatures?: VideoFeatureKind;
  audioFeatures?: AudioFeatureKind;
  resnetGrid?: ResnetGrid;
}

/** The model's inputs for a run: raw streams keep the default geometry, features their own. */
export function inputsForFeatures(choice: FeatureChoice): InputSpec {
  const video: VideoInputSpec =
    choice.videoFeatures === 'resnet18'
      ? {
          kind: 'resnet18',
          timeSteps: DEFAULT_INPUTS.video.timeSteps,
          grid: choice.resnetGrid ?? DEFAULT_RESNET_GRID,
        }
      : choice.videoFeatures === 'clip'
        ? { kind: 'clip', timeSteps: DEFAULT_INPUTS.video.timeSteps }
        : DEFAULT_INPUTS.video;
  const audio: AudioInputSpec =
    choice.audioFeatures === 'vggish'
      ? { kind: 'vggish', timeSteps: DEFAULT_INPUTS.audio.timeSteps }
      : DEFAULT_INPUTS.audio;
  return { video, audio };
}

/** The inputs with every feature stream replaced by the default raw one: what media decoding yields. */
export function rawInputsFor(inputs: InputSpec): {
  video: Extract<VideoInputSpec, { kind: 'frames' }>;
  audio: Extract<AudioInputSpec, { kind: 'fbank' }>;
} {
  return {
    video: (inputs.video.kind === 'frames' ? inputs.video : DEFAULT_INPUTS.video) as Extract<
      VideoInputSpec,
      { kind: 'frames' }
    >,
    audio: (inputs.audio.kind === 'fbank' ? inputs.audio : DEFAULT_INPUTS.audio) as Extract<
      AudioInputSpec,
      { kind: 'fbank' }
    >,
  };
}

export function usesRawMedia(inputs: InputSpec): boolean {
  return inputs.video.kind === 'frames' || inputs.audio.kind === 'fbank';
}

/** The on-disk layout of a feature stream, or null for a raw one. */
export function featureLayoutOf(spec: VideoInputSpec | AudioInputSpec): FeatureLayout | null {
  switch (spec.kind) {
    case 'resnet18':
      return RES18_14X14_LAYOUT;
    case 'clip':
      return clipFrameLayout();
    case 'vggish':
      return VGGISH_LAYOUT;
    default:
      return null;
  }
}

/** Values one sample holds for a stream, as the encoder reads them. */
export function valuesPerSample(spec: VideoInputSpec | AudioInputSpec): number {
  switch (spec.kind) {
    case 'frames':
      return spec.timeSteps * spec.height * spec.width * 3;
    case 'fbank':
      return spec.timeSteps * spec.frames * spec.melBins;
    default: {
      const layout = featureLayoutOf(spec) as FeatureLayout;
      return spec.timeSteps * layout.stepShape.reduce((a, b) => a * b, 1);
    }
  }
}

/**
 * Throws a ConfigError naming the flag, the layout and the first missing files when any video
 * lacks its feature file: checked before training rather than an hour into an epoch.
 */
export function checkFeatureFiles(
  root: string,
  spec: VideoInputSpec | AudioInputSpec,
  videoIds: Iterable<string>,
): void {
  const layout = featureLayoutOf(spec);
  if (!layout) return;
  const ids = [...videoIds];
  const missing = ids.filter((id) => !existsSync(featureFilePath(root, layout, id)));
  if (missing.length === 0) return;
  const flag = spec.kind === 'vggish' ? '--audio-features' : '--video-features';
  throw new ConfigError(
    flag,
    `${missing.length} of ${ids.length} videos have no ${spec.kind} features in ${join(root, layout.directory)}/<video_id>.npy ` +
      `(first missing: ${missing
        .slice(0, 3)
        .map((id) => featureFilePath(root, layout, id))
        .join(', ')})`,
  );
}

/** A batch's video values as the encoder's input tensor of `spec`'s kind. */
export function videoBatchFrom(spec: VideoInputSpec, values: Float32Array, b: number): VideoBatch {
  switch (spec.kind) {
    case 'frames':
      return {
        kind: 'frames',
        frames: tf.tensor4d(values, [b * spec.timeSteps, spec.height, spec.width, 3]),
      };
    case 'resnet18':
      return { kind: 'resnet18', maps: tf.tensor3d(values, [b * spec.timeSteps, 512, 196]) };
    case 'clip':
      return { kind: 'clip', features: tf.tensor3d(values, [b, spec.timeSteps, 768]) };
  }
}

/** A batch's audio values as the encoder's input tensor of `spec`'s kind. */
export function audioBatchFrom(spec: AudioInputSpec, values: Float32Array, b: number): AudioBatch {
  if (spec.kind === 'fbank') {
    return {
      kind: 'fbank',
      fbank: tf.tensor4d(values, [b, spec.timeSteps, spec.frames, spec.melBins]),
    };
  }
  return { kind: 'vggish', features: tf.tensor3d(values, [b, spec.timeSteps, 128]) };
}
