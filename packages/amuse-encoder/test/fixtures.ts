/** Shared test fixtures: random batches for any input kind, and the two backends. */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import type { AmuseBatch, AudioBatch, InputSpec, VideoBatch } from '../src/index.js';

export const BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: (typeof BACKENDS)[number]): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

/** Small-integer pseudo-random values, deterministic in the seed. */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 4294967296 - 0.5;
  }
  return out;
}

/** Question ids with `length` real words in [1, 93) then '<pad>' (0). */
export function questionIds(
  batch: number,
  length: number,
  seed: number,
  realWords = 8,
): tf.Tensor2D {
  const ids = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const words = Math.max(1, realWords - (b % 3));
    for (let i = 0; i < words; i++) ids[b * length + i] = 1 + ((seed * 31 + b * 7 + i * 13) % 92);
  }
  return tf.tensor2d(ids, [batch, length], 'int32');
}

export function videoBatch(spec: InputSpec['video'], batch: number, seed: number): VideoBatch {
  const t = spec.timeSteps;
  switch (spec.kind) {
    case 'frames': {
      const shape: [number, number, number, number] = [batch * t, spec.height, spec.width, 3];
      return {
        kind: 'frames',
        frames: tf.tensor4d(
          values(
            shape.reduce((a, b) => a * b),
            seed,
          ),
          shape,
        ),
      };
    }
    case 'resnet18':
      return {
        kind: 'resnet18',
        maps: tf.tensor3d(values(batch * t * 512 * 196, seed), [batch * t, 512, 196]),
      };
    case 'clip':
      return {
        kind: 'clip',
        features: tf.tensor3d(values(batch * t * 768, seed), [batch, t, 768]),
      };
  }
}

export function audioBatch(spec: InputSpec['audio'], batch: number, seed: number): AudioBatch {
  const t = spec.timeSteps;
  if (spec.kind === 'fbank') {
    const shape: [number, number, number, number] = [batch, t, spec.frames, spec.melBins];
    return {
      kind: 'fbank',
      fbank: tf.tensor4d(
        values(
          shape.reduce((a, b) => a * b),
          seed + 1,
        ),
        shape,
      ),
    };
  }
  return {
    kind: 'vggish',
    features: tf.tensor3d(values(batch * t * 128, seed + 1), [batch, t, 128]),
  };
}

export function randomBatch(
  inputs: InputSpec,
  batch: number,
  seed = 1,
  questionLength = 14,
): AmuseBatch {
  return {
    question: questionIds(batch, questionLength, seed),
    video: videoBatch(inputs.video, batch, seed),
    audio: audioBatch(inputs.audio, batch, seed),
  };
}

export function disposeBatch(batch: AmuseBatch): void {
  tf.dispose(
    [batch.question, ...Object.values(batch.video), ...Object.values(batch.audio)].filter(
      (value): value is tf.Tensor => value instanceof tf.Tensor,
    ),
  );
}

/** Small inputs that keep tests fast. */
export const SMALL_INPUTS: InputSpec = {
  video: { kind: 'frames', timeSteps: 3, height: 32, width: 32 },
  audio: { kind: 'fbank', timeSteps: 3, frames: 32, melBins: 32 },
};
