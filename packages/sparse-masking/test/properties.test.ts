import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyMaskPlan,
  createMaskPlan,
  createRng,
  drawKeepSets,
  keptCount,
  restoreTokens,
} from '../src/index.js';
import { useBackend } from './backends.js';

const modes = fc.constantFrom('random', 'time', 'frequency', 'time-frequency' as const);
const grids = fc
  .record({
    timeSteps: fc.integer({ min: 1, max: 6 }),
    bands: fc.integer({ min: 1, max: 4 }),
    rows: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ timeSteps, bands, rows }) => ({
    timeSteps,
    tokensPerStep: bands * rows,
    frequencyBands: bands,
  }));
const ratios = fc.double({ min: 0, max: 0.999, noNaN: true });

describe('properties', () => {
  beforeAll(() => useBackend('cpu'));

  it('keptCount lies in [1, N] and never grows with the ratio', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), ratios, ratios, (total, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const kept = keptCount(total, low);
        expect(kept).toBeGreaterThanOrEqual(1);
        expect(kept).toBeLessThanOrEqual(total);
        expect(keptCount(total, high)).toBeLessThanOrEqual(kept);
      }),
    );
  });

  it('every mode keeps the same number of distinct in-range tokens in every sample', () => {
    fc.assert(
      fc.property(
        modes,
        grids,
        ratios,
        fc.integer({ min: 1, max: 5 }),
        fc.nat(),
        (mode, grid, ratio, batchSize, seed) => {
          const keepSets = drawKeepSets(mode, batchSize, grid, ratio, createRng(seed));
          const numTokens = grid.timeSteps * grid.tokensPerStep;
          for (const keepSet of keepSets) {
            expect(keepSet.length).toBe(keepSets[0]!.length);
            expect(keepSet.length).toBeGreaterThanOrEqual(1);
            for (let i = 0; i < keepSet.length; i++) {
              expect(keepSet[i]!).toBeGreaterThanOrEqual(i === 0 ? 0 : keepSet[i - 1]! + 1);
              expect(keepSet[i]!).toBeLessThan(numTokens);
            }
          }
          if (mode === 'random') expect(keepSets[0]!.length).toBe(keptCount(numTokens, ratio));
          // Structured modes keep whole units: every kept step is complete in 'time' mode, every
          // kept band is present in every step in 'frequency' mode.
          const bands = grid.frequencyBands;
          for (const keepSet of keepSets) {
            const kept = new Set(keepSet);
            for (const n of keepSet) {
              const step = Math.floor(n / grid.tokensPerStep);
              const band = (n % grid.tokensPerStep) % bands;
              if (mode === 'time') {
                for (let j = 0; j < grid.tokensPerStep; j++)
                  expect(kept.has(step * grid.tokensPerStep + j)).toBe(true);
              }
              if (mode === 'frequency') {
                for (let t = 0; t < grid.timeSteps; t++)
                  expect(kept.has(t * grid.tokensPerStep + band)).toBe(true);
              }
            }
          }
        },
      ),
    );
  });

  it('a plan round-trips any tokens and its restore indices invert the shuffle', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 3 }),
        ratios,
        fc.nat(),
        (batchSize, numTokens, width, ratio, seed) => {
          const grid = { timeSteps: 1, tokensPerStep: numTokens };
          const keepSets = drawKeepSets('random', batchSize, grid, ratio, createRng(seed));
          tf.tidy(() => {
            const plan = createMaskPlan(keepSets, numTokens);
            const tokens = tf.randomNormal(
              [batchSize, numTokens, width],
              0,
              1,
              'float32',
              seed,
            ) as tf.Tensor3D;
            const restored = restoreTokens(plan, applyMaskPlan(plan, tokens)).arraySync();
            const original = tokens.arraySync();
            const dropMask = plan.dropMask.arraySync();
            const restore = plan.restoreIndices.arraySync();
            for (let b = 0; b < batchSize; b++) {
              const shuffle = [
                ...keepSets[b]!,
                ...[...Array(numTokens).keys()].filter((n) => dropMask[b]![n] === 1),
              ];
              for (let n = 0; n < numTokens; n++) {
                expect(shuffle[restore[b]![n]!]).toBe(n);
                expect(restored[b]![n]).toEqual(
                  dropMask[b]![n] === 1 ? Array(width).fill(0) : original[b]![n],
                );
              }
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
