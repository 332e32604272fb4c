/**
 * Perception targets as the model's tokens see them. @sparsify/avqa-datasets computes them
 * per second of a scene; here they are reduced to the seconds the model samples, laid out
 * per token (a video token is one patch of one frame; an audio token inherits the targets
 * of its second), and made to follow a sparse run's plans: a masked run keeps the kept
 * tokens' targets, a merged token's target is the size-weighted mean of its sources'
 * targets (a class distribution, soft labels), exactly as merging averages the tokens.
 */
import type { InputSpec } from '@sparsify/amuse-encoder';
import {
  INSTRUMENT_CLASSES,
  PERCEPTION_CLASSES,
  perceptionTargets,
  type Scene,
  spreadTimeSteps,
} from '@sparsify/avqa-datasets';
import { checkRawInputs } from './model-inputs.js';

/** Sounding classes, then start, onset rate, level, pitch, pitch mask. */
export const AUDIO_TARGETS = INSTRUMENT_CLASSES.length + 5;
/** Offsets into an audio target row. */
export const AUDIO = {
  start: INSTRUMENT_CLASSES.length,
  onsetRate: INSTRUMENT_CLASSES.length + 1,
  level: INSTRUMENT_CLASSES.length + 2,
  pitch: INSTRUMENT_CLASSES.length + 3,
  pitchMask: INSTRUMENT_CLASSES.length + 4,
} as const;

/**
 * Per-class targets of an audio step (`--class-perception`): each class's level, then each
 * class's onset rate, scaled as the mix's. Defined only where the class sounds (the
 * sounding classes of the AUDIO row are their mask); 0 elsewhere.
 */
export const CLASS_TARGETS = 2 * INSTRUMENT_CLASSES.length;
/** Offsets into a class target row. */
export const CLASS_ROW = { level: 0, onsetRate: INSTRUMENT_CLASSES.length } as const;

/** One video's targets in token order. */
export interface VideoPerception {
  /** uint8 [T * patchesPerFrame]: 0 background, 1 + class. */
  patchClasses: Uint8Array;
  /** float32 [T, AUDIO_TARGETS], regressions scaled to about [0, 1]. */
  audioSteps: Float32Array;
  /** float32 [T, CLASS_TARGETS], scaled as audioSteps, 0 where the class is silent. */
  classSteps: Float32Array;
}

/** A batch's targets, one row per sample. */
export interface PerceptionBatch {
  /** int32 [B, Nv] patch classes per video token. */
  videoClasses: Int32Array;
  /** float32 [B, T, AUDIO_TARGETS]. */
  audioSteps: Float32Array;
  /** float32 [B, T, CLASS_TARGETS]; needed only by the per-class head (`--class-perception`). */
  classSteps?: Float32Array;
}

/** Scales chosen so each regression spans about [0, 1] on the generator's ranges. */
const scaleOnsets = (rate: number) => Math.log1p(rate) / 3;
const scaleLevel = (db: number) => (db + 40) / 40;
const scalePitch = (log2Hz: number) => (log2Hz - 5) / 6;

/** The targets of one scene at the model's geometry and time steps. */
export function videoPerception(
  scene: Scene,
  inputs: InputSpec,
  patchSize: number,
): VideoPerception {
  const { video, audio } = checkRawInputs(inputs);
  if (video.timeSteps !== audio.timeSteps) {
    throw new Error(
      `perception targets need one time axis, got ${video.timeSteps} and ${audio.timeSteps} steps`,
    );
  }
  const targets = perceptionTargets(scene, {
    frameHeight: video.height,
    frameWidth: video.width,
    patchSize,
  });
  const perFrame = targets.gridRows * targets.gridCols;
  const steps = spreadTimeSteps(scene.seconds, video.timeSteps);
  const classes = INSTRUMENT_CLASSES.length;
  const patchClasses = new Uint8Array(steps.length * perFrame);
  const audioSteps = new Float32Array(steps.length * AUDIO_TARGETS);
  const classSteps = new Float32Array(steps.length * CLASS_TARGETS);
  steps.forEach((second, t) => {
    const perClass = classSteps.subarray(t * CLASS_TARGETS, (t + 1) * CLASS_TARGETS);
    for (let c = 0; c < classes; c++) {
      if (targets.soundingClasses[second * classes + c] !== 1) continue;
      perClass[CLASS_ROW.level + c] = scaleLevel(
        targets.classLevelDb[second * classes + c] as number,
      );
      perClass[CLASS_ROW.onsetRate + c] = scaleOnsets(
        targets.classOnsetRate[second * classes + c] as number,
      );
    }
    patchClasses.set(
      targets.patchClasses.subarray(second * perFrame, (second + 1) * perFrame),
      t * perFrame,
    );
    const row = audioSteps.subarray(t * AUDIO_TARGETS, (t + 1) * AUDIO_TARGETS);
    for (let c = 0; c < classes; c++)
      row[c] = targets.soundingClasses[second * classes + c] as number;
    row[AUDIO.start] = targets.starts[second] as number;
    row[AUDIO.onsetRate] = scaleOnsets(targets.onsetRate[second] as number);
    row[AUDIO.level] = scaleLevel(targets.levelDb[second] as number);
    row[AUDIO.pitch] = targets.pitchMask[second]
      ? scalePitch(targets.pitchLog2[second] as number)
      : 0;
    row[AUDIO.pitchMask] = targets.pitchMask[second] as number;
  });
  return { patchClasses, audioSteps, classSteps };
}

/**
 * Where each of a stream's output tokens came from, per sample: lists of original token
 * positions (one each when nothing merged), or null for a padding slot. `keepIndices`
 * (the masker's kept positions) maps a masked sequence back to the original one; `sources`
 * (a merge plan's, in positions of the sequence the reducer saw) groups them.
 */
export function tokenSources(
  batch: number,
  outputTokens: number,
  keepIndices: readonly Int32Array[] | null,
  sources: readonly (readonly Int32Array[])[] | null,
): (Int32Array | null)[][] {
  return Array.from({ length: batch }, (_, b) => {
    const keep = keepIndices?.[b] ?? null;
    const original = (position: number) => {
      if (keep === null) return position;
      const value = keep[position];
      if (value === undefined)
        throw new Error(`token position ${position} is beyond the ${keep.length} kept`);
      return value;
    };
    return Array.from({ length: outputTokens }, (_, m) => {
      if (sources === null) return Int32Array.of(original(m));
      const members = sources[b]?.[m];
      if (members === undefined || members.length === 0) return null;
      return Int32Array.from(members, original);
    });
  });
}

/** Per output token: the size-weighted class distribution of its sources [B, M, classes] and sizes [B, M]. */
export function followVideoTargets(
  classes: Int32Array,
  originalTokens: number,
  sources: (Int32Array | null)[][],
): { distribution: Float32Array; sizes: Float32Array } {
  const batch = sources.length;
  const outputs = sources[0]?.length ?? 0;
  const distribution = new Float32Array(batch * outputs * PERCEPTION_CLASSES);
  const sizes = new Float32Array(batch * outputs);
  sources.forEach((row, b) => {
    row.forEach((members, m) => {
      if (members === null) return;
      sizes[b * outputs + m] = members.length;
      const at = (b * outputs + m) * PERCEPTION_CLASSES;
      for (const n of members) {
        const label = classes[b * originalTokens + n] as number;
        distribution[at + label] = (distribution[at + label] as number) + 1 / members.length;
      }
    });
  });
  return { distribution, sizes };
}

/**
 * Per output token: the mean target row of its sources' seconds [B, M, width] and sizes.
 * Rows are AUDIO rows by default, or any per-step rows of `width` values (the class rows).
 */
export function followAudioTargets(
  audioSteps: Float32Array,
  timeSteps: number,
  tokensPerStep: number,
  sources: (Int32Array | null)[][],
  width: number = AUDIO_TARGETS,
): { targets: Float32Array; sizes: Float32Array } {
  const batch = sources.length;
  const outputs = sources[0]?.length ?? 0;
  const targets = new Float32Array(batch * outputs * width);
  const sizes = new Float32Array(batch * outputs);
  sources.forEach((row, b) => {
    row.forEach((members, m) => {
      if (members === null) return;
      sizes[b * outputs + m] = members.length;
      const at = (b * outputs + m) * width;
      for (const n of members) {
        const step = Math.floor(n / tokensPerStep);
        const from = (b * timeSteps + step) * width;
        for (let k = 0; k < width; k++) {
          targets[at + k] =
            (targets[at + k] as number) + (audioSteps[from + k] as number) / members.length;
        }
      }
    });
  });
  return { targets, sizes };
}
