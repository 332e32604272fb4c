import { describe, expect, it } from 'vitest';
import { valuesPerSample } from '../src/pipeline/feature-inputs.js';

describe('valuesPerSample', () => {
  it('counts the values a sample holds per input kind', () => {
    expect(valuesPerSample({ kind: 'resnet18', timeSteps: 5, grid: 7 })).toBe(5 * 512 * 196);
    expect(valuesPerSample({ kind: 'clip', timeSteps: 5 })).toBe(5 * 768);
    expect(valuesPerSample({ kind: 'vggish', timeSteps: 5 })).toBe(5 * 128);
    expect(valuesPerSample({ kind: 'frames', timeSteps: 5, height: 64, width: 64 })).toBe(
      5 * 64 * 64 * 3,
    );
  });
});
