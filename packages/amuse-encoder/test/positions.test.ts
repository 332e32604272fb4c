import { beforeAll, describe, expect, it } from 'vitest';
import { createAmuseModel, sinCosGrid, sinCosTable } from '../src/index.js';
import { TEST_MODEL } from './config.js';
import { useBackend } from './fixtures.js';

const rms = (values: ArrayLike<number>) =>
  Math.sqrt(Array.from(values).reduce((s, v) => s + v * v, 0) / values.length);

describe('position embeddings', () => {
  beforeAll(() => useBackend('cpu'));
  it('sin-cos tables have the asked amplitude and distinct rows', () => {
    const table = sinCosTable(8, 64, 0.5);
    expect(rms(table)).toBeCloseTo(0.5 / Math.SQRT2, 2);
    const grid = sinCosGrid(4, 4, 64, 0.5);
    const rows = new Set<string>();
    for (let i = 0; i < 16; i++) rows.add(Array.from(grid.subarray(i * 64, i * 64 + 64)).join());
    expect(rows.size).toBe(16);
  });

  it('at init, positions are a sizeable share of each embedded token (not 1-2%)', () => {
    const model = createAmuseModel(TEST_MODEL);
    const time = model.video.timeEmbedding.dataSync();
    const space = model.video.spaceEmbedding.dataSync();
    // Patch embeddings leave the embed LayerNorm with per-value RMS 1.
    expect(rms(time)).toBeGreaterThan(0.3);
    expect(rms(space)).toBeGreaterThan(0.3);
    const names = [...model.parameters().keys()];
    expect(names).toContain('video.embedNorm.weight');
    expect(names).toContain('audio.embedNorm.bias');
    model.dispose();
  });
});
