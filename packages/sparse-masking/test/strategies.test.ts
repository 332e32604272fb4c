import { describe, expect, it } from 'vitest';
import {
  createRng,
  drawCrossModalKeepSets,
  drawKeepSets,
  keptCount,
  type TokenGrid,
} from '../src/index.js';

// 4 time steps x 6 tokens per step, the 6 tokens being 2 sub-rows x 3 frequency bands.
const GRID: TokenGrid = { timeSteps: 4, tokensPerStep: 6, frequencyBands: 3 };
const stepOf = (n: number) => Math.floor(n / GRID.tokensPerStep);
const bandOf = (n: number) => (n % GRID.tokensPerStep) % GRID.frequencyBands!;

function groups(keepSet: Int32Array, key: (n: number) => number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const n of keepSet) counts.set(key(n), (counts.get(key(n)) ?? 0) + 1);
  return counts;
}

describe('drawKeepSets', () => {
  it("'random' keeps keptCount(N) distinct ascending tokens per sample", () => {
    const keepSets = drawKeepSets('random', 5, GRID, 0.5, createRng(1));
    for (const keepSet of keepSets) {
      expect(keepSet.length).toBe(12);
      for (let i = 1; i < keepSet.length; i++) expect(keepSet[i]!).toBeGreaterThan(keepSet[i - 1]!);
    }
  });

  it("'time' drops whole time steps", () => {
    for (const keepSet of drawKeepSets('time', 8, GRID, 0.5, createRng(2))) {
      const perStep = groups(keepSet, stepOf);
      expect(perStep.size).toBe(keptCount(4, 0.5));
      for (const count of perStep.values()) expect(count).toBe(GRID.tokensPerStep);
    }
  });

  it("'frequency' drops whole bands in every time step", () => {
    for (const keepSet of drawKeepSets('frequency', 8, GRID, 0.6, createRng(3))) {
      const perBand = groups(keepSet, bandOf);
      expect(perBand.size).toBe(keptCount(3, 0.6));
      for (const count of perBand.values()) expect(count).toBe(GRID.timeSteps * 2);
    }
  });

  it("'time-frequency' keeps the tokens of kept steps in kept bands (about 1 - ratio overall)", () => {
    for (const keepSet of drawKeepSets('time-frequency', 8, GRID, 0.75, createRng(4))) {
      const steps = groups(keepSet, stepOf);
      const bands = groups(keepSet, bandOf);
      expect(steps.size).toBe(2); // keptCount(4, 1 - sqrt(0.25))
      expect(bands.size).toBe(2); // round(3 * 0.5) = 2 (halves round up)
      expect(keepSet.length).toBe(steps.size * bands.size * 2);
      for (const n of keepSet) expect(steps.has(stepOf(n)) && bands.has(bandOf(n))).toBe(true);
    }
  });

  it('keeps one unit when the ratio leaves less than one', () => {
    expect(drawKeepSets('random', 1, GRID, 0.99, createRng(5))[0]!.length).toBe(1);
    expect(drawKeepSets('time', 1, GRID, 0.99, createRng(5))[0]!.length).toBe(GRID.tokensPerStep);
    expect(drawKeepSets('frequency', 1, GRID, 0.99, createRng(5))[0]!.length).toBe(8);
  });

  it('keeps everything at ratio 0 in every mode', () => {
    for (const mode of ['random', 'time', 'frequency', 'time-frequency'] as const) {
      const [keepSet] = drawKeepSets(mode, 1, GRID, 0, createRng(6));
      expect(Array.from(keepSet!)).toEqual(Array.from({ length: 24 }, (_, n) => n));
    }
  });

  it('drops each position with probability ratio (chi-square over positions, fixed seed)', () => {
    // Whole steps (6 tokens) or bands (8 tokens) move together, which multiplies the statistic
    // by the group size; the bounds are far above chi-square's 1e-5 quantile for each case.
    for (const [mode, ratio, dropProbability, bound] of [
      ['random', 0.5, 0.5, 60],
      ['random', 0.75, 18 / 24, 60],
      ['time', 0.75, 0.75, 6 * 30],
      ['frequency', 0.6, 2 / 3, 8 * 30],
    ] as const) {
      const draws = 3000;
      const dropped = new Float64Array(24);
      const rng = createRng(11);
      for (const keepSet of drawKeepSets(mode, draws, GRID, ratio, rng)) {
        const kept = new Set(keepSet);
        for (let n = 0; n < 24; n++) if (!kept.has(n)) dropped[n]!++;
      }
      const expected = draws * dropProbability;
      let chiSquare = 0;
      for (const count of dropped) chiSquare += (count - expected) ** 2 / expected;
      expect(chiSquare, `${mode} at ${ratio}`).toBeLessThan(bound);
      for (const count of dropped)
        expect(Math.abs(count / draws - dropProbability)).toBeLessThan(0.05);
    }
  });

  it('draws every subset equally often (4 tokens, keep 2: six subsets)', () => {
    const counts = new Map<string, number>();
    const draws = 6000;
    for (const keepSet of drawKeepSets(
      'random',
      draws,
      { timeSteps: 1, tokensPerStep: 4 },
      0.5,
      createRng(12),
    )) {
      const key = Array.from(keepSet).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    let chiSquare = 0;
    for (const count of counts.values()) chiSquare += (count - draws / 6) ** 2 / (draws / 6);
    expect(chiSquare).toBeLessThan(30); // 5 degrees of freedom: p < 1e-5
  });

  it('is reproducible from the seed and differs across seeds', () => {
    const a = drawKeepSets('random', 4, GRID, 0.5, createRng(9));
    const b = drawKeepSets('random', 4, GRID, 0.5, createRng(9));
    const c = drawKeepSets('random', 4, GRID, 0.5, createRng(10));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('explains bad layouts', () => {
    const noBands = { timeSteps: 2, tokensPerStep: 4 };
    expect(() => drawKeepSets('frequency', 1, noBands, 0.5, createRng(1))).toThrow(
      /needs layout.frequencyBands/,
    );
    expect(() =>
      drawKeepSets('random', 1, { ...noBands, frequencyBands: 3 }, 0.5, createRng(1)),
    ).toThrow(/positive divisor of tokensPerStep \(4\)/);
    expect(() =>
      drawKeepSets('time', 1, { timeSteps: 0, tokensPerStep: 4 }, 0.5, createRng(1)),
    ).toThrow(/timeSteps/);
  });
});

describe('drawCrossModalKeepSets', () => {
  const grids = {
    video: { timeSteps: 5, tokensPerStep: 4 },
    audio: { timeSteps: 5, tokensPerStep: 6, frequencyBands: 3 },
  };

  it('keeps the same time steps in video and audio', () => {
    const { video, audio } = drawCrossModalKeepSets(
      16,
      grids,
      { video: 0.5, audio: 0.5 },
      createRng(3),
    );
    for (let b = 0; b < 16; b++) {
      const videoSteps = new Set(Array.from(video[b]!, (n) => Math.floor(n / 4)));
      const audioSteps = new Set(Array.from(audio[b]!, (n) => Math.floor(n / 6)));
      expect(videoSteps.size).toBe(keptCount(5, 0.5));
      expect(audioSteps).toEqual(videoSteps);
      expect(video[b]!.length).toBe(videoSteps.size * 4);
      expect(audio[b]!.length).toBe(audioSteps.size * 6);
    }
  });

  it('nests the kept steps when the ratios differ', () => {
    const { video, audio } = drawCrossModalKeepSets(
      16,
      grids,
      { video: 0.2, audio: 0.6 },
      createRng(4),
    );
    for (let b = 0; b < 16; b++) {
      const videoSteps = new Set(Array.from(video[b]!, (n) => Math.floor(n / 4)));
      const audioSteps = Array.from(new Set(Array.from(audio[b]!, (n) => Math.floor(n / 6))));
      expect(videoSteps.size).toBe(4);
      expect(audioSteps.length).toBe(2);
      for (const step of audioSteps) expect(videoSteps.has(step)).toBe(true);
    }
  });

  it('needs the same number of time steps in both streams', () => {
    const mismatched = { video: grids.video, audio: { timeSteps: 4, tokensPerStep: 6 } };
    expect(() =>
      drawCrossModalKeepSets(1, mismatched, { video: 0.5, audio: 0.5 }, createRng(1)),
    ).toThrow(/video 5 and audio 4/);
  });
});
