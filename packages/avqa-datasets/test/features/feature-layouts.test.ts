import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clipFrameLayout,
  featureFilePath,
  loadFeatures,
  RES18_14X14_LAYOUT,
  VGGISH_LAYOUT,
} from '../../src/features/feature-layouts.js';
import { readNpyTimeSteps, writeNpy } from '../../src/features/npy-file.js';
import { subsampleTimeSteps } from '../../src/features/temporal-sampling.js';

/** [T, ...step] with value = 1000 * t + position inside the step, so rows are recognisable. */
function timeCoded(timeSteps: number, stepShape: number[]) {
  const stepSize = stepShape.reduce((size, dimension) => size * dimension, 1);
  const data = new Float32Array(timeSteps * stepSize);
  for (let t = 0; t < timeSteps; t += 1)
    for (let i = 0; i < stepSize; i += 1) data[t * stepSize + i] = 1000 * t + (i % 1000);
  return { data, shape: [timeSteps, ...stepShape] };
}

describe('subsampleTimeSteps', () => {
  it('matches Python x[offset::stride] for any length, stride and offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 12 }),
        (timeSteps, stride, offset) => {
          const sampled = subsampleTimeSteps(timeCoded(timeSteps, [2]), { stride, offset });
          const expected: number[] = [];
          for (let t = offset; t < timeSteps; t += stride) expected.push(t);
          expect(sampled.shape).toEqual([expected.length, 2]);
          expect(
            Array.from(
              sampled.data.filter((_value, index) => index % 2 === 0),
              (value) => value / 1000,
            ),
          ).toEqual(expected);
        },
      ),
    );
  });

  it('rejects a bad stride', () => {
    expect(() => subsampleTimeSteps(timeCoded(6, [1]), { stride: 0 })).toThrow(
      'stride must be a positive integer, got 0',
    );
  });
});

describe('loadFeatures (community layouts)', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'avqa-feats-'));
    await writeNpy(join(root, 'feats/vggish/00000028.npy'), timeCoded(60, [128]));
    await writeNpy(join(root, 'feats/res18_14x14/00000028.npy'), timeCoded(60, [512, 14, 14]));
    await writeNpy(join(root, 'feats/clip_vit_l14/00000028.npy'), timeCoded(60, [768]), {
      dtype: 'float64',
      fortranOrder: true,
    });
    await writeNpy(join(root, 'feats/vggish/short.npy'), timeCoded(59, [128]));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('takes every 6th second by default, as the official loader does', async () => {
    const audio = await loadFeatures(root, '00000028', VGGISH_LAYOUT);
    expect(audio.shape).toEqual([10, 128]);
    expect(Array.from({ length: 10 }, (_step, row) => audio.data[row * 128])).toEqual([
      0, 6000, 12000, 18000, 24000, 30000, 36000, 42000, 48000, 54000,
    ]);
    expect(audio.data[128 + 5]).toBe(6005);
    const visual = await loadFeatures(root, '00000028', RES18_14X14_LAYOUT);
    expect(visual.shape).toEqual([10, 512, 14, 14]);
    expect(visual.data[512 * 14 * 14 * 9 + 7]).toBe(54007);
  });

  it('reads CLIP features from a configurable directory, any stride and offset, float64 Fortran files included', async () => {
    const clip = await loadFeatures(root, '00000028', clipFrameLayout('feats/clip_vit_l14'), {
      stride: 1,
    });
    expect(clip.shape).toEqual([60, 768]);
    expect(clip.data[59 * 768 + 767]).toBe(59767);
    const shifted = await loadFeatures(root, '00000028', clipFrameLayout(), {
      stride: 20,
      offset: 3,
    });
    expect(Array.from({ length: 3 }, (_step, row) => shifted.data[row * 768])).toEqual([
      3000, 23000, 43000,
    ]);
  });

  it('checks shapes, and time steps unless told otherwise', async () => {
    await expect(loadFeatures(root, 'short', VGGISH_LAYOUT)).rejects.toThrow(
      /short.npy: vggish features must have shape \[60, 128\], got \[59, 128\]/,
    );
    expect(
      (await loadFeatures(root, 'short', VGGISH_LAYOUT, { strictTimeSteps: false })).shape,
    ).toEqual([10, 128]);
    await expect(
      loadFeatures(root, '00000028', { ...VGGISH_LAYOUT, directory: 'feats/clip_vit_l14' }),
    ).rejects.toThrow(/must have shape \[60, 128\], got \[60, 768\]/);
  });

  it('reads only the kept rows of a C-order file, with the same result as reading it whole', async () => {
    for (const dtype of ['float16', 'float32', 'float64'] as const) {
      const path = join(root, `rows-${dtype}.npy`);
      // Small integers are exact in every dtype, float16 included.
      const array = {
        data: Float32Array.from({ length: 13 * 6 }, (_value, index) => index),
        shape: [13, 3, 2],
      };
      await writeNpy(path, array, { dtype, littleEndian: dtype !== 'float64' });
      const rows = await readNpyTimeSteps(path, { stride: 4, offset: 1 });
      expect(rows.storedShape).toEqual([13, 3, 2]);
      expect(rows).toMatchObject(subsampleTimeSteps(array, { stride: 4, offset: 1 }));
    }
    await writeNpy(join(root, 'scalar.npy'), { data: Float32Array.of(1), shape: [] });
    await expect(readNpyTimeSteps(join(root, 'scalar.npy'))).rejects.toThrow(
      /scalar.npy: a 0-d array has no time steps/,
    );
  });

  it('names the file of a truncated feature file', async () => {
    const path = join(root, 'feats/vggish/cut.npy');
    await writeNpy(path, timeCoded(60, [128]));
    await truncate(path, 1000);
    await expect(loadFeatures(root, 'cut', VGGISH_LAYOUT)).rejects.toThrow(
      /cut.npy: truncated data: shape \[60, 128\] float32 needs 30720 bytes, file has 872/,
    );
  });

  it('refuses video ids that could leave the feature root', async () => {
    await expect(loadFeatures(root, '../../etc/passwd', VGGISH_LAYOUT)).rejects.toThrow(
      /unsafe video id/,
    );
  });
});

describe('featureFilePath', () => {
  it('is <root>/<layout directory>/<id>.npy and refuses ids that would leave the folder', () => {
    expect(featureFilePath('/data', VGGISH_LAYOUT, '00000042')).toBe(
      join('/data', 'feats', 'vggish', '00000042.npy'),
    );
    expect(featureFilePath('/data', clipFrameLayout('feats/clip'), 'v1')).toBe(
      join('/data', 'feats', 'clip', 'v1.npy'),
    );
    expect(() => featureFilePath('/data', VGGISH_LAYOUT, '../x')).toThrow(/unsafe video id/);
  });
});
