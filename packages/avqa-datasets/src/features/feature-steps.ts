import { spreadTimeSteps } from '../loader/time-steps.js';
import type { FeatureLayout } from './feature-layouts.js';
import { readNpyTimeSteps } from './npy-file.js';

/**
 * `timeSteps` steps of a [T, ...step] feature file, spread uniformly over its T steps (the
 * rule raw clips use, spreadTimeSteps); only those rows are read. T may differ from the
 * release's 60 (generated stand-ins last as long as their scenes), the step shape may not.
 * Returns float32 [timeSteps, ...stepShape], flattened.
 */
export async function readFeatureSteps(
  path: string,
  layout: FeatureLayout,
  timeSteps: number,
): Promise<Float32Array> {
  const all = Number.MAX_SAFE_INTEGER;
  // Past the last step: the header alone (shape), no row read.
  const header = await readNpyTimeSteps(path, { offset: all, stride: 1 });
  const [stored, ...stepShape] = header.storedShape;
  const stepMatches =
    stepShape.length === layout.stepShape.length &&
    stepShape.every((dimension, axis) => dimension === layout.stepShape[axis]);
  if (!stored || !stepMatches) {
    throw new Error(
      `${path}: ${layout.name} features must have shape [T, ${layout.stepShape.join(', ')}] (T = ${layout.timeSteps} in the release), got [${header.storedShape.join(', ')}]`,
    );
  }
  const stepSize = stepShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(timeSteps * stepSize);
  const steps = spreadTimeSteps(stored, timeSteps);
  for (let t = 0; t < timeSteps; t++) {
    const row = await readNpyTimeSteps(path, { offset: steps[t] as number, stride: all });
    out.set(row.data, t * stepSize);
  }
  return out;
}
