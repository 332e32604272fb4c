import { INSTRUMENT_CLASSES, INSTRUMENTS, type InstrumentClass } from './instruments.js';
import type { Random } from './random.js';

export type Position = 'left' | 'middle' | 'right';

/** One instrument of a scene; every question's answer is a function of these fields. */
export interface SceneInstrument {
  name: InstrumentClass;
  /** false: an off-screen source, heard but not seen. */
  visible: boolean;
  /** Centre in frame coordinates, 0..1 (left to right, top to bottom). */
  x: number;
  y: number;
  /** Height of the drawn shape as a fraction of the frame height. */
  size: number;
  /** Fundamental of the instance, Hz. */
  fundamental: number;
  /** RMS level while playing, dB relative to full scale: the "louder" quantity. */
  gainDb: number;
  /** Note onsets per second: the "more rhythmic" quantity. */
  noteRate: number;
  /** playing[t]: the instrument sounds during second t. */
  playing: boolean[];
}

export interface Scene {
  videoId: string;
  /** Seeds the rendering noise, so the same scene always renders to the same bytes. */
  seed: number;
  seconds: number;
  indoor: boolean;
  voiceover: boolean;
  instruments: SceneInstrument[];
}

export interface SceneOptions {
  seconds: number;
  /** Visible instruments per scene, inclusive range, each in 1..4. */
  instrumentsPerScene: readonly [number, number];
  /** 0..1: how continuous playing is (1 = everyone plays throughout, 0 = short, gappy spans). */
  redundancy: number;
}

/** Horizontal slots: two per side and one in the middle, so 4 instruments fit a 64 px frame. */
const SLOTS = [0.12, 0.3, 0.5, 0.7, 0.88] as const;

export function positionOf(instrument: Pick<SceneInstrument, 'x'>): Position {
  if (instrument.x < 1 / 3) return 'left';
  if (instrument.x > 2 / 3) return 'right';
  return 'middle';
}

/** First second in which the instrument plays, or -1 when it never does. */
export function onsetOf(instrument: SceneInstrument): number {
  return instrument.playing.indexOf(true);
}

export function playingSeconds(instrument: SceneInstrument): number {
  return instrument.playing.reduce((n, p) => n + (p ? 1 : 0), 0);
}

export function isSounding(instrument: SceneInstrument): boolean {
  return instrument.playing.includes(true);
}

export function randomScene(videoId: string, options: SceneOptions, rng: Random): Scene {
  const seed = Math.floor(rng.next() * 2 ** 32);
  const [minCount, maxCount] = options.instrumentsPerScene;
  if (!(minCount >= 1 && maxCount <= 4 && minCount <= maxCount)) {
    throw new Error(
      `instrumentsPerScene must be [min, max] within 1..4, got [${minCount}, ${maxCount}]`,
    );
  }
  if (options.seconds < 3) throw new Error(`seconds must be at least 3, got ${options.seconds}`);
  const count = minCount + rng.int(maxCount - minCount + 1);
  const classes: InstrumentClass[] = rng.shuffled(INSTRUMENT_CLASSES).slice(0, count);
  // Repeated classes make "how many <Object>" and "which <Object> sounds first" answerable.
  if (count >= 2 && rng.next() < 0.35) classes[count - 1] = classes[0] as InstrumentClass;
  // Slots in random order, so a repeated class can stand anywhere, not only at both ends.
  const slots = rng.shuffled(SLOTS).slice(0, count);
  const instruments: SceneInstrument[] = classes.map((name, i) =>
    randomInstrument(name, true, (slots[i] as number) + rng.uniform(-0.03, 0.03), options, rng),
  );
  if (rng.next() < 0.2) {
    const offScreen = rng.pick(INSTRUMENT_CLASSES.filter((c) => !classes.includes(c)));
    const source = randomInstrument(offScreen, false, 0.5, options, rng);
    if (!isSounding(source)) source.playing[0] = true;
    instruments.push(source);
  }
  return {
    videoId,
    seed,
    seconds: options.seconds,
    indoor: rng.next() < 0.6,
    voiceover: rng.next() < 0.25,
    instruments,
  };
}

function randomInstrument(
  name: InstrumentClass,
  visible: boolean,
  x: number,
  options: SceneOptions,
  rng: Random,
): SceneInstrument {
  const timbre = INSTRUMENTS[name].timbre;
  const [low, high] = timbre.pitchRange;
  return {
    name,
    visible,
    x,
    y: rng.uniform(0.45, 0.6),
    size: rng.uniform(0.3, 0.42),
    fundamental: low * (high / low) ** rng.next(),
    gainDb: rng.uniform(-26, -8),
    noteRate: timbre.noteRate * rng.uniform(0.5, 1.8),
    playing: randomPlaying(options.seconds, options.redundancy, rng),
  };
}

/** Playing seconds: a main span (long when redundancy is high), maybe with a gap, maybe silent. */
function randomPlaying(seconds: number, redundancy: number, rng: Random): boolean[] {
  const playing = new Array<boolean>(seconds).fill(false);
  if (rng.next() < 0.12) return playing;
  const r = Math.min(1, Math.max(0, redundancy));
  const start = rng.next() < 0.25 + 0.6 * r ? 0 : rng.int(Math.ceil(seconds * 0.6));
  const end =
    rng.next() < 0.25 + 0.6 * r ? seconds : Math.min(seconds, start + 1 + rng.int(seconds - start));
  for (let t = start; t < end; t++) playing[t] = true;
  if (end - start >= 4 && rng.next() < 0.8 * (1 - r)) {
    const gapStart = start + 1 + rng.int(end - start - 2);
    const gapLength = 1 + rng.int(2);
    for (let t = gapStart; t < Math.min(end - 1, gapStart + gapLength); t++) playing[t] = false;
  }
  return playing;
}
