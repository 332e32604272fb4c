import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INSTRUMENT_CLASSES } from '../../src/synth/instruments.js';
import {
  PERCEPTION_CLASSES,
  perceptionTargets,
  SILENT_LEVEL_DB,
} from '../../src/synth/perception.js';
import { renderFrames } from '../../src/synth/render-frames.js';
import type { Scene, SceneInstrument } from '../../src/synth/scene.js';

const label = (name: string) => 1 + INSTRUMENT_CLASSES.indexOf(name as never);

function instrument(overrides: Partial<SceneInstrument>): SceneInstrument {
  return {
    name: 'drum',
    visible: true,
    x: 0.25,
    y: 0.25,
    size: 0.4,
    fundamental: 110,
    gainDb: -10,
    noteRate: 2,
    playing: [true, true, false, true],
    ...overrides,
  };
}

/** A drum in the top-left patch of a 32x32 frame and an off-screen flute. */
const SCENE: Scene = {
  videoId: 'hand-made',
  seed: 1,
  seconds: 4,
  indoor: true,
  voiceover: false,
  instruments: [
    instrument({}),
    instrument({
      name: 'flute',
      visible: false,
      gainDb: -20,
      fundamental: 880,
      noteRate: 3,
      playing: [false, true, true, false],
    }),
  ],
};
const GRID = { frameHeight: 32, frameWidth: 32, patchSize: 16 };

describe('perceptionTargets', () => {
  it('labels the patch an instrument stands in, and nothing for an off-screen source', () => {
    const targets = perceptionTargets(SCENE, GRID);
    expect([targets.gridRows, targets.gridCols]).toEqual([2, 2]);
    const drum = label('drum');
    expect(Array.from(targets.patchClasses)).toEqual([
      ...[drum, 0, 0, 0],
      ...[drum, 0, 0, 0],
      ...[drum, 0, 0, 0],
      ...[drum, 0, 0, 0],
    ]);
    expect(Math.max(...targets.patchClasses)).toBeLessThan(PERCEPTION_CLASSES);
  });

  it('agrees with the rendered frames: labelled patches differ from the empty scene', () => {
    const targets = perceptionTargets(SCENE, GRID);
    const frames = renderFrames(SCENE, { height: 32, width: 32, noise: 0, seed: 1 }).data;
    const empty = renderFrames(
      { ...SCENE, instruments: [] },
      { height: 32, width: 32, noise: 0, seed: 1 },
    ).data;
    for (let t = 0; t < 4; t++) {
      for (let cell = 0; cell < 4; cell++) {
        const [r, c] = [Math.floor(cell / 2), cell % 2];
        let changed = 0;
        for (let y = r * 16; y < r * 16 + 16; y++) {
          for (let x = c * 16; x < c * 16 + 16; x++) {
            const p = (t * 32 * 32 + y * 32 + x) * 3;
            if (frames[p] !== empty[p]) changed++;
          }
        }
        const labelled = targets.patchClasses[t * 4 + cell] !== 0;
        // The sound bar above a playing instrument changes pixels too, but never a whole patch's worth.
        if (labelled) expect(changed).toBeGreaterThan(25);
        else expect(changed).toBeLessThan(16);
      }
    }
  });

  it('gives an overlapping later instrument the pixels it covers, and respects minCoverage', () => {
    const scene: Scene = {
      ...SCENE,
      instruments: [
        instrument({ name: 'drum', x: 0.25 }),
        instrument({ name: 'violin', x: 0.25, size: 0.45 }),
      ],
    };
    const targets = perceptionTargets(scene, GRID);
    expect(targets.patchClasses[0]).toBe(label('violin'));
    const strict = perceptionTargets(scene, { ...GRID, minCoverage: 1 });
    expect(Array.from(strict.patchClasses).every((v) => v === 0)).toBe(true);
  });

  it('says which classes sound, when they start, how dense, loud and high the mix is', () => {
    const targets = perceptionTargets(SCENE, GRID);
    const classes = INSTRUMENT_CLASSES.length;
    const sounding = (t: number) =>
      INSTRUMENT_CLASSES.filter((_, i) => targets.soundingClasses[t * classes + i] === 1);
    expect([0, 1, 2, 3].map(sounding)).toEqual([['drum'], ['drum', 'flute'], ['flute'], ['drum']]);
    expect(Array.from(targets.starts)).toEqual([1, 1, 0, 1]);
    expect(Array.from(targets.onsetRate)).toEqual([2, 5, 3, 2]);
    const both = 10 * Math.log10(10 ** -1 + 10 ** -2);
    expect(targets.levelDb[0]).toBeCloseTo(-10, 5);
    expect(targets.levelDb[1]).toBeCloseTo(both, 5);
    expect(targets.levelDb[2]).toBeCloseTo(-20, 5);
    // The loudest voice's pitch: the drum's where it plays, the flute's alone.
    expect(Array.from(targets.pitchLog2).map((v) => Number(v.toFixed(4)))).toEqual([
      Number(Math.log2(110).toFixed(4)),
      Number(Math.log2(110).toFixed(4)),
      Number(Math.log2(880).toFixed(4)),
      Number(Math.log2(110).toFixed(4)),
    ]);
    expect(Array.from(targets.pitchMask)).toEqual([1, 1, 1, 1]);
  });

  it('marks silent seconds and rejects bad geometry or scenes', () => {
    const silent = perceptionTargets(
      { ...SCENE, instruments: [instrument({ playing: [false, false, false, false] })] },
      GRID,
    );
    expect(Array.from(silent.levelDb)).toEqual([
      SILENT_LEVEL_DB,
      SILENT_LEVEL_DB,
      SILENT_LEVEL_DB,
      SILENT_LEVEL_DB,
    ]);
    expect(Array.from(silent.pitchMask)).toEqual([0, 0, 0, 0]);
    expect(() => perceptionTargets(SCENE, { ...GRID, patchSize: 12 })).toThrow(/divide/);
    expect(() =>
      perceptionTargets({ ...SCENE, instruments: [instrument({ playing: [true] })] }, GRID),
    ).toThrow(/hand-made.*instruments\[0\]\.playing/);
  });

  it('gives each class its own level and note rate, where the mix gives only their sum', () => {
    const targets = perceptionTargets(SCENE, GRID);
    const classes = INSTRUMENT_CLASSES.length;
    const drum = INSTRUMENT_CLASSES.indexOf('drum');
    const flute = INSTRUMENT_CLASSES.indexOf('flute');
    const at = (array: Float32Array, t: number, c: number) => array[t * classes + c] as number;
    expect([0, 1, 2, 3].map((t) => at(targets.classLevelDb, t, drum))).toEqual([
      -10,
      -10,
      SILENT_LEVEL_DB,
      -10,
    ]);
    expect([0, 1, 2, 3].map((t) => at(targets.classLevelDb, t, flute))).toEqual([
      SILENT_LEVEL_DB,
      -20,
      -20,
      SILENT_LEVEL_DB,
    ]);
    expect([0, 1, 2, 3].map((t) => at(targets.classOnsetRate, t, flute))).toEqual([0, 3, 3, 0]);
    // Every other class is silent throughout.
    const others = INSTRUMENT_CLASSES.map((_, c) => c).filter((c) => c !== drum && c !== flute);
    for (const t of [0, 1, 2, 3]) {
      for (const c of others) {
        expect(at(targets.classLevelDb, t, c)).toBe(SILENT_LEVEL_DB);
        expect(at(targets.classOnsetRate, t, c)).toBe(0);
      }
    }
  });

  it('power-sums two instruments of one class', () => {
    const twice = perceptionTargets(
      {
        ...SCENE,
        instruments: [instrument({ gainDb: -12 }), instrument({ x: 0.75, gainDb: -12 })],
      },
      GRID,
    );
    const drum = INSTRUMENT_CLASSES.indexOf('drum');
    expect(twice.classLevelDb[drum]).toBeCloseTo(-12 + 10 * Math.log10(2), 5);
    expect(twice.classOnsetRate[drum]).toBe(4);
  });

  it('the louder (denser) of two sounding instruments has the larger per-class target', () => {
    const gain = fc.double({ min: -26, max: -8, noNaN: true });
    const rate = fc.double({ min: 0.5, max: 8, noNaN: true });
    fc.assert(
      fc.property(gain, gain, rate, rate, (gainA, gainB, rateA, rateB) => {
        const scene: Scene = {
          ...SCENE,
          instruments: [
            instrument({
              name: 'violin',
              gainDb: gainA,
              noteRate: rateA,
              playing: [true, true, true, true],
            }),
            instrument({
              name: 'tuba',
              gainDb: gainB,
              noteRate: rateB,
              x: 0.75,
              playing: [true, true, true, true],
            }),
          ],
        };
        const targets = perceptionTargets(scene, GRID);
        const classes = INSTRUMENT_CLASSES.length;
        const a = INSTRUMENT_CLASSES.indexOf('violin');
        const b = INSTRUMENT_CLASSES.indexOf('tuba');
        for (let t = 0; t < 4; t++) {
          const levelA = targets.classLevelDb[t * classes + a] as number;
          const levelB = targets.classLevelDb[t * classes + b] as number;
          const onsetsA = targets.classOnsetRate[t * classes + a] as number;
          const onsetsB = targets.classOnsetRate[t * classes + b] as number;
          if (Math.fround(gainA) > Math.fround(gainB) + 1e-3 && !(levelA > levelB)) return false;
          if (Math.fround(rateA) > Math.fround(rateB) + 1e-3 && !(onsetsA > onsetsB)) return false;
          // Both louder than silence.
          if (!(levelA > SILENT_LEVEL_DB && levelB > SILENT_LEVEL_DB)) return false;
        }
        return true;
      }),
      { numRuns: 200, seed: 21 },
    );
  });
});
