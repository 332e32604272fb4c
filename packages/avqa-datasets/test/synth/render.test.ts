import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INSTRUMENT_CLASSES,
  INSTRUMENTS,
  type InstrumentClass,
} from '../../src/synth/instruments.js';
import { createRandom } from '../../src/synth/random.js';
import { playingSpans, renderAudio, renderStem } from '../../src/synth/render-audio.js';
import { renderFrames } from '../../src/synth/render-frames.js';
import type { Scene, SceneInstrument } from '../../src/synth/scene.js';

const SR = 16000;

function instrument(
  name: InstrumentClass,
  x: number,
  playing: boolean[],
  extra: Partial<SceneInstrument> = {},
): SceneInstrument {
  return {
    name,
    visible: true,
    x,
    y: 0.5,
    size: 0.4,
    fundamental: 220,
    gainDb: -12,
    noteRate: 2,
    playing,
    ...extra,
  };
}

function scene(instruments: SceneInstrument[], seconds: number): Scene {
  return { videoId: '00000001', seed: 3, seconds, indoor: true, voiceover: false, instruments };
}

describe('renderFrames', () => {
  it('draws each instrument in its class colour at its position, dimmed while silent', () => {
    const s = scene(
      [instrument('xylophone', 0.25, [true, false]), instrument('tuba', 0.75, [false, true])],
      2,
    );
    const { data, shape } = renderFrames(s, { height: 64, width: 64, noise: 0, seed: 1 });
    expect(shape).toEqual([2, 64, 64, 3]);
    const at = (t: number, x: number, y: number) =>
      Array.from(data.subarray(((t * 64 + y) * 64 + x) * 3, ((t * 64 + y) * 64 + x) * 3 + 3));
    const xylophone = INSTRUMENTS.xylophone.look.colour;
    // Playing instruments bob by a pixel, so sample a little off the shape's edge.
    expect(at(0, 16, 31)).toEqual([...xylophone]);
    expect(at(1, 16, 32)).toEqual(xylophone.map((c) => Math.round(c * 0.4)));
    const tuba = INSTRUMENTS.tuba.look.colour;
    expect(at(1, 48, 33)).toEqual([...tuba]);
    expect(at(0, 48, 32)).toEqual(tuba.map((c) => Math.round(c * 0.4)));
  });

  it('gives every class a distinct (colour, shape)', () => {
    const looks = INSTRUMENT_CLASSES.map(
      (c) => `${INSTRUMENTS[c].look.colour.join(',')}/${INSTRUMENTS[c].look.shape}`,
    );
    expect(new Set(looks).size).toBe(22);
  });

  it('is deterministic with noise, and noise stays within bounds', () => {
    const s = scene([instrument('violin', 0.5, [true, true, true])], 3);
    const a = renderFrames(s, { height: 24, width: 24, noise: 0.5, seed: 9 });
    const b = renderFrames(s, { height: 24, width: 24, noise: 0.5, seed: 9 });
    const clean = renderFrames(s, { height: 24, width: 24, noise: 0, seed: 9 });
    expect(a.data).toEqual(b.data);
    expect(a.data.every((v, i) => Math.abs(v - clean.data[i]!) <= 24)).toBe(true);
    expect(a.data).not.toEqual(clean.data);
  });
});

describe('renderAudio', () => {
  it('scales each stem so its RMS while playing is its gain', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INSTRUMENT_CLASSES),
        fc.double({ min: -30, max: -6, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        (name, gainDb, start) => {
          const playing = [false, false, false, false].map((_, t) => t >= start);
          const stem = renderStem(
            instrument(name, 0.5, playing, { gainDb, noteRate: 3 }),
            4,
            SR,
            createRandom(1),
          );
          let energy = 0;
          for (let i = start * SR; i < 4 * SR; i++) energy += stem[i]! ** 2;
          const rmsDb = 10 * Math.log10(energy / ((4 - start) * SR));
          expect(rmsDb).toBeCloseTo(gainDb, 3);
          const before = stem.subarray(0, start * SR);
          expect(before.every((v) => v === 0)).toBe(true);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('concentrates energy near the fundamental of a sustained instrument', () => {
    const s = scene([instrument('flute', 0.5, [true], { fundamental: 600 })], 1);
    const audio = renderAudio(s, { sampleRate: SR, noise: 0, seed: 1 });
    const power = (hz: number) => {
      let re = 0;
      let im = 0;
      for (let n = 0; n < SR; n++) {
        re += audio[n]! * Math.cos((2 * Math.PI * hz * n) / SR);
        im += audio[n]! * Math.sin((2 * Math.PI * hz * n) / SR);
      }
      return re * re + im * im;
    };
    // Notes take one of three steps above the fundamental; all lie in 600-750 Hz.
    const inBand = Math.max(power(600), power(675), power(750));
    expect(inBand).toBeGreaterThan(20 * power(2500));
  });

  it('playingSpans turns seconds into [start, end) runs', () => {
    expect(playingSpans([true, true, false, true])).toEqual([
      [0, 2],
      [3, 4],
    ]);
    expect(playingSpans([false, false])).toEqual([]);
  });
});
