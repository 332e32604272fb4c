/**
 * Perception targets of a synthetic scene: what a pretrained image or audio backbone would
 * have learned to see and hear, computed from the generator's own knowledge. They say which
 * instrument is where in each frame, which instruments sound in each second, how dense
 * their notes are, how loud the mix is and how high its loudest voice, and per class how
 * loud and how dense its notes are. They never contain
 * a question or an answer. Everything is plain typed arrays, per second of the clip.
 */
import { INSTRUMENT_CLASSES } from './instruments.js';
import { forEachInstrumentPixel } from './render-frames.js';
import type { Scene } from './scene.js';

/** Classes of a patch label: 0 = background, 1 + index into INSTRUMENT_CLASSES. */
export const PERCEPTION_CLASSES = 1 + INSTRUMENT_CLASSES.length;
/** Level of a silent second, dB relative to full scale (below the quietest instrument's -26). */
export const SILENT_LEVEL_DB = -40;

export interface PerceptionTargetOptions {
  /** Frame size the patches cut (the model's input frames). */
  frameHeight: number;
  frameWidth: number;
  /** Square patch side, dividing both frame sides. */
  patchSize: number;
  /**
   * A patch is labelled with the instrument covering most of its pixels when that covers at
   * least this fraction of the patch; otherwise background. Default 0.1 (an instrument is
   * about 10 px wide in a 64 px frame, so it rarely fills half a 16 px patch).
   */
  minCoverage?: number;
}

export interface PerceptionTargets {
  videoId: string;
  seconds: number;
  /** Patch grid per frame, row-major. */
  gridRows: number;
  gridCols: number;
  /** uint8 [seconds, gridRows * gridCols]: 0 background, 1 + class index. */
  patchClasses: Uint8Array;
  /** uint8 [seconds, 22]: 1 when an instrument of that class (seen or not) sounds in the second. */
  soundingClasses: Uint8Array;
  /** float32 [seconds]: expected note onsets in the second, summed over sounding instruments. */
  onsetRate: Float32Array;
  /** uint8 [seconds]: 1 when some instrument starts playing in the second (second 0 included). */
  starts: Uint8Array;
  /** float32 [seconds]: level of the instrument mix in dB (power sum), SILENT_LEVEL_DB when silent. */
  levelDb: Float32Array;
  /** float32 [seconds]: log2 of the loudest sounding instrument's fundamental in Hz; 0 when silent. */
  pitchLog2: Float32Array;
  /** uint8 [seconds]: 1 where pitchLog2 is defined (something sounds). */
  pitchMask: Uint8Array;
  /**
   * float32 [seconds, 22]: level in dB of each class's instruments (power sum) in the second,
   * SILENT_LEVEL_DB where the class is silent. The mix level cannot say which instrument is
   * the louder; this can ("Is the A louder than the B?" compares exactly these gains).
   */
  classLevelDb: Float32Array;
  /** float32 [seconds, 22]: expected note onsets in the second of each class's instruments, 0 where silent. */
  classOnsetRate: Float32Array;
}

const CLASS_INDEX = new Map<string, number>(INSTRUMENT_CLASSES.map((name, i) => [name, i]));

function classIndex(name: string, videoId: string): number {
  const index = CLASS_INDEX.get(name);
  if (index === undefined) {
    throw new Error(`scene ${videoId}: unknown instrument class "${name}"`);
  }
  return index;
}

/** The perception targets of one scene, second by second. */
export function perceptionTargets(
  scene: Scene,
  options: PerceptionTargetOptions,
): PerceptionTargets {
  const { frameHeight: height, frameWidth: width, patchSize: patch } = options;
  const minCoverage = options.minCoverage ?? 0.1;
  if (
    !(Number.isInteger(patch) && patch > 0 && height % patch === 0 && width % patch === 0) ||
    height < 1 ||
    width < 1
  ) {
    throw new Error(
      `perceptionTargets: patchSize ${patch} must divide the frame ${height}x${width}`,
    );
  }
  if (!(minCoverage >= 0 && minCoverage <= 1)) {
    throw new Error(`perceptionTargets: minCoverage must be in [0, 1], got ${minCoverage}`);
  }
  const seconds = scene.seconds;
  for (const [i, instrument] of scene.instruments.entries()) {
    if (instrument.playing.length !== seconds) {
      throw new Error(
        `scene ${scene.videoId}: instruments[${i}].playing has ${instrument.playing.length} seconds, the scene ${seconds}`,
      );
    }
  }
  const rows = height / patch;
  const cols = width / patch;
  const patches = rows * cols;
  const classes = INSTRUMENT_CLASSES.length;
  const patchClasses = new Uint8Array(seconds * patches);
  const soundingClasses = new Uint8Array(seconds * classes);
  const onsetRate = new Float32Array(seconds);
  const starts = new Uint8Array(seconds);
  const levelDb = new Float32Array(seconds).fill(SILENT_LEVEL_DB);
  const pitchLog2 = new Float32Array(seconds);
  const pitchMask = new Uint8Array(seconds);
  const classPower = new Float64Array(seconds * classes);
  const classOnsetRate = new Float32Array(seconds * classes);

  const owner = new Uint8Array(height * width);
  const counts = new Uint16Array(patches * PERCEPTION_CLASSES);
  const threshold = minCoverage * patch * patch;
  for (let t = 0; t < seconds; t++) {
    // Later instruments are drawn over earlier ones: the last to cover a pixel owns it.
    owner.fill(0);
    for (const instrument of scene.instruments) {
      if (!instrument.visible) continue;
      const label = 1 + classIndex(instrument.name, scene.videoId);
      forEachInstrumentPixel(instrument, t, height, width, (x, y) => {
        owner[y * width + x] = label;
      });
    }
    counts.fill(0);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const label = owner[y * width + x] as number;
        if (label === 0) continue;
        const cell = Math.floor(y / patch) * cols + Math.floor(x / patch);
        const at = cell * PERCEPTION_CLASSES + label;
        counts[at] = (counts[at] as number) + 1;
      }
    }
    for (let cell = 0; cell < patches; cell++) {
      let best = 0;
      let bestCount = 0;
      for (let label = 1; label < PERCEPTION_CLASSES; label++) {
        const count = counts[cell * PERCEPTION_CLASSES + label] as number;
        if (count > bestCount) {
          best = label;
          bestCount = count;
        }
      }
      patchClasses[t * patches + cell] = bestCount > 0 && bestCount >= threshold ? best : 0;
    }

    let power = 0;
    let loudest = -Infinity;
    for (const instrument of scene.instruments) {
      if (instrument.playing[t] !== true) continue;
      const cell = t * classes + classIndex(instrument.name, scene.videoId);
      soundingClasses[cell] = 1;
      classPower[cell] = (classPower[cell] as number) + 10 ** (instrument.gainDb / 10);
      classOnsetRate[cell] = (classOnsetRate[cell] as number) + instrument.noteRate;
      onsetRate[t] = (onsetRate[t] as number) + instrument.noteRate;
      if (t === 0 || instrument.playing[t - 1] !== true) starts[t] = 1;
      power += 10 ** (instrument.gainDb / 10);
      if (instrument.gainDb > loudest) {
        loudest = instrument.gainDb;
        pitchLog2[t] = Math.log2(instrument.fundamental);
        pitchMask[t] = 1;
      }
    }
    if (power > 0) levelDb[t] = 10 * Math.log10(power);
  }
  const classLevelDb = new Float32Array(seconds * classes).fill(SILENT_LEVEL_DB);
  classPower.forEach((p, i) => {
    if (p > 0) classLevelDb[i] = 10 * Math.log10(p);
  });
  return {
    videoId: scene.videoId,
    seconds,
    gridRows: rows,
    gridCols: cols,
    patchClasses,
    soundingClasses,
    onsetRate,
    starts,
    levelDb,
    pitchLog2,
    pitchMask,
    classLevelDb,
    classOnsetRate,
  };
}
