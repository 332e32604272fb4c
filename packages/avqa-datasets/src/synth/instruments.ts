/**
 * The 22 official instrument classes, each with a synthetic identity: a colour and a
 * shape that make it recognisable in a 64x64 frame, and a timbre (harmonic amplitudes,
 * envelope, pitch range, typical note rate) that makes it recognisable in a spectrogram.
 * Colours are spread over hue and brightness; classes that share a colour family differ
 * in shape, and classes that share a shape differ in colour.
 */
export const INSTRUMENT_CLASSES = [
  'accordion',
  'acoustic_guitar',
  'bagpipe',
  'banjo',
  'bassoon',
  'cello',
  'clarinet',
  'congas',
  'drum',
  'electric_bass',
  'erhu',
  'flute',
  'guzheng',
  'piano',
  'pipa',
  'saxophone',
  'suona',
  'trumpet',
  'tuba',
  'ukulele',
  'violin',
  'xylophone',
] as const;

export type InstrumentClass = (typeof INSTRUMENT_CLASSES)[number];

export type Shape =
  | 'disc'
  | 'square'
  | 'triangle'
  | 'diamond'
  | 'ring'
  | 'cross'
  | 'tall-bar'
  | 'wide-bar';

export interface InstrumentLook {
  /** Body colour when playing, sRGB 0..255. */
  colour: readonly [number, number, number];
  shape: Shape;
}

export interface InstrumentTimbre {
  /** Relative amplitudes of harmonics 1..n of the fundamental. */
  harmonics: readonly number[];
  /** Fundamental range of an instance, Hz (an instance draws one fundamental). */
  pitchRange: readonly [number, number];
  /** Note attack and decay, seconds; sustain 0 makes a plucked or struck note. */
  attack: number;
  decay: number;
  sustain: number;
  /** Typical notes per second; an instance scales it (the "rhythmic" quantity). */
  noteRate: number;
  /** Amount of noise in the excitation (bow, breath, drum skin), 0..1. */
  noise: number;
}

export interface InstrumentSpec {
  name: InstrumentClass;
  look: InstrumentLook;
  timbre: InstrumentTimbre;
}

const bright = (n: number, decay: number): number[] =>
  Array.from({ length: n }, (_, i) => 1 / (i + 1) ** decay);
const odd = (n: number, decay: number): number[] =>
  Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 / (i + 1) ** decay : 0.05));

export const INSTRUMENTS: Readonly<Record<InstrumentClass, InstrumentSpec>> = {
  accordion: spec(
    'accordion',
    [220, 40, 40],
    'wide-bar',
    bright(10, 0.7),
    [200, 400],
    0.05,
    0.1,
    0.9,
    2,
    0.05,
  ),
  acoustic_guitar: spec(
    'acoustic_guitar',
    [205, 140, 60],
    'disc',
    bright(8, 1.2),
    [110, 330],
    0.005,
    0.8,
    0,
    3,
    0.02,
  ),
  bagpipe: spec(
    'bagpipe',
    [120, 30, 140],
    'cross',
    bright(12, 0.5),
    [400, 600],
    0.03,
    0.1,
    1,
    1,
    0.08,
  ),
  banjo: spec(
    'banjo',
    [245, 245, 230],
    'disc',
    bright(10, 0.9),
    [200, 500],
    0.002,
    0.3,
    0,
    6,
    0.04,
  ),
  bassoon: spec(
    'bassoon',
    [110, 60, 20],
    'tall-bar',
    odd(9, 0.8),
    [60, 160],
    0.04,
    0.2,
    0.8,
    1.5,
    0.06,
  ),
  cello: spec(
    'cello',
    [150, 45, 20],
    'diamond',
    bright(9, 1.0),
    [70, 220],
    0.08,
    0.3,
    0.85,
    1.2,
    0.07,
  ),
  clarinet: spec(
    'clarinet',
    [20, 20, 20],
    'tall-bar',
    odd(9, 1.1),
    [150, 500],
    0.03,
    0.15,
    0.85,
    2,
    0.04,
  ),
  congas: spec(
    'congas',
    [230, 120, 20],
    'square',
    bright(4, 2.0),
    [180, 260],
    0.001,
    0.15,
    0,
    5,
    0.5,
  ),
  drum: spec('drum', [200, 200, 200], 'square', bright(3, 2.5), [60, 110], 0.001, 0.12, 0, 4, 0.7),
  electric_bass: spec(
    'electric_bass',
    [30, 30, 160],
    'tall-bar',
    bright(6, 1.4),
    [40, 100],
    0.005,
    0.5,
    0.2,
    2.5,
    0.02,
  ),
  erhu: spec(
    'erhu',
    [160, 20, 60],
    'triangle',
    bright(10, 0.9),
    [300, 700],
    0.1,
    0.2,
    0.9,
    1.5,
    0.1,
  ),
  flute: spec(
    'flute',
    [190, 190, 255],
    'wide-bar',
    [1, 0.3, 0.1, 0.05],
    [500, 1000],
    0.06,
    0.1,
    0.9,
    2,
    0.15,
  ),
  guzheng: spec(
    'guzheng',
    [190, 160, 90],
    'wide-bar',
    bright(9, 1.1),
    [200, 600],
    0.003,
    1.0,
    0,
    4,
    0.02,
  ),
  piano: spec(
    'piano',
    [245, 245, 245],
    'wide-bar',
    bright(8, 1.5),
    [130, 520],
    0.003,
    1.2,
    0.1,
    3,
    0.01,
  ),
  pipa: spec(
    'pipa',
    [240, 200, 120],
    'triangle',
    bright(9, 1.0),
    [220, 660],
    0.002,
    0.4,
    0,
    7,
    0.03,
  ),
  saxophone: spec(
    'saxophone',
    [230, 190, 30],
    'diamond',
    bright(12, 0.8),
    [140, 420],
    0.03,
    0.2,
    0.8,
    2.5,
    0.08,
  ),
  suona: spec(
    'suona',
    [255, 90, 160],
    'triangle',
    bright(14, 0.5),
    [500, 900],
    0.02,
    0.1,
    0.95,
    3,
    0.1,
  ),
  trumpet: spec(
    'trumpet',
    [250, 220, 80],
    'cross',
    bright(12, 0.6),
    [230, 700],
    0.02,
    0.1,
    0.85,
    3,
    0.04,
  ),
  tuba: spec('tuba', [180, 150, 40], 'disc', bright(7, 1.3), [45, 120], 0.04, 0.2, 0.8, 1.2, 0.03),
  ukulele: spec(
    'ukulele',
    [60, 190, 120],
    'ring',
    bright(7, 1.2),
    [260, 520],
    0.003,
    0.5,
    0,
    5,
    0.02,
  ),
  violin: spec(
    'violin',
    [200, 90, 40],
    'diamond',
    bright(11, 0.8),
    [300, 900],
    0.06,
    0.2,
    0.9,
    2,
    0.08,
  ),
  xylophone: spec(
    'xylophone',
    [40, 200, 220],
    'square',
    [1, 0.05, 0.4, 0.02, 0.15],
    [520, 1200],
    0.001,
    0.25,
    0,
    6,
    0.05,
  ),
};

function spec(
  name: InstrumentClass,
  colour: readonly [number, number, number],
  shape: Shape,
  harmonics: readonly number[],
  pitchRange: readonly [number, number],
  attack: number,
  decay: number,
  sustain: number,
  noteRate: number,
  noise: number,
): InstrumentSpec {
  return {
    name,
    look: { colour, shape },
    timbre: { harmonics, pitchRange, attack, decay, sustain, noteRate, noise },
  };
}

/** The official count answers (index = count); larger counts answer 'more than ten'. */
export const COUNT_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
] as const;

export function countWord(count: number): string {
  return count > 10 ? 'more than ten' : (COUNT_WORDS[count] as string);
}
