/** Test helpers: the backends every important test runs on, and float comparisons. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';

export const BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: (typeof BACKENDS)[number]): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not start`);
}

export function expectAllClose(actual: tf.Tensor, expected: tf.Tensor, tolerance = 1e-5): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i]! - e[i]!) > tolerance) {
      throw new Error(`element ${i}: ${a[i]} != ${e[i]} (shape [${actual.shape}])`);
    }
  }
}

/** Deterministic, distinct-per-element values (not random, so failures reproduce). */
export function ramp(shape: number[]): tf.Tensor {
  const size = shape.reduce((product, n) => product * n, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.7) + i * 1e-3),
    shape,
  );
}
