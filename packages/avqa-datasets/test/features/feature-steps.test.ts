import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VGGISH_LAYOUT } from '../../src/features/feature-layouts.js';
import { readFeatureSteps } from '../../src/features/feature-steps.js';
import { writeNpy } from '../../src/features/npy-file.js';
import { spreadTimeSteps } from '../../src/loader/time-steps.js';

const dir = mkdtempSync(join(tmpdir(), 'feature-steps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spreadTimeSteps', () => {
  it('is uniformTimeSteps up to the clip length and repeats steps of a shorter clip', () => {
    expect(Array.from(spreadTimeSteps(8, 5))).toEqual([0, 2, 4, 5, 7]);
    expect(Array.from(spreadTimeSteps(60, 5))).toEqual([6, 18, 30, 42, 54]);
    expect(Array.from(spreadTimeSteps(3, 5))).toEqual([0, 0, 1, 2, 2]);
    expect(Array.from(spreadTimeSteps(1, 5))).toEqual([0, 0, 0, 0, 0]);
  });
});

/** A [T, 128] file whose every value is its time step. */
async function stepsFile(name: string, steps: number, options = {}) {
  const path = join(dir, name);
  const data = Float32Array.from({ length: steps * 128 }, (_, i) => Math.floor(i / 128));
  await writeNpy(path, { data, shape: [steps, 128] }, options);
  return path;
}

describe('readFeatureSteps', () => {
  it.each([60, 8, 5, 3, 1])(
    'spreads 5 steps over a %i-step file, as raw clips are',
    async (stored) => {
      const path = await stepsFile(`t${stored}.npy`, stored);
      const values = await readFeatureSteps(path, VGGISH_LAYOUT, 5);
      expect(values).toHaveLength(5 * 128);
      const picked = Array.from({ length: 5 }, (_, t) => values[t * 128]);
      expect(picked).toEqual(Array.from(spreadTimeSteps(stored, 5)));
      if (stored === 60) expect(picked).toEqual([6, 18, 30, 42, 54]);
    },
  );

  it('reads float16 big-endian Fortran-order files to the same values', async () => {
    const plain = await stepsFile('plain.npy', 12);
    const odd = await stepsFile('odd.npy', 12, {
      dtype: 'float16',
      littleEndian: false,
      fortranOrder: true,
    });
    expect(await readFeatureSteps(odd, VGGISH_LAYOUT, 5)).toEqual(
      await readFeatureSteps(plain, VGGISH_LAYOUT, 5),
    );
  });

  it('names the file and both shapes when the step shape is wrong', async () => {
    const path = join(dir, 'wide.npy');
    await writeNpy(path, { data: new Float32Array(60 * 96), shape: [60, 96] });
    await expect(readFeatureSteps(path, VGGISH_LAYOUT, 5)).rejects.toThrow(
      `${path}: vggish features must have shape [T, 128] (T = 60 in the release), got [60, 96]`,
    );
  });
});
