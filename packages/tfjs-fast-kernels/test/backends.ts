import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';

export { tf };

/** Deterministic values in [-1, 1) (mulberry32), so every run and backend sees the same inputs. */
export function seededValues(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    values[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return values;
}

/** Largest elementwise gap; NaN in both places counts as equal, NaN in one as infinitely far. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return Number.POSITIVE_INFINITY;
      continue;
    }
    worst = Math.max(worst, Math.abs(x - y));
  }
  return worst;
}

/** Evaluates `fn` on `backend` and returns the values; the tensors it made are freed. */
export async function valuesOn(
  backend: 'cpu' | 'wasm',
  fn: () => tf.Tensor,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const result = tf.tidy(fn);
  // Read outside tidy: tidy would walk a returned typed array element by element.
  const values = Float32Array.from(result.dataSync());
  result.dispose();
  return values;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}
