import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAmuseModel, type InputSpec } from '../src/index.js';
import { TEST_MODEL } from './config.js';
import { BACKENDS, useBackend } from './fixtures.js';

/** Each element's own flat index as its value: a patch's values name where they came from. */
function indexed(shape: number[]): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => i);
}

const INPUTS: InputSpec = {
  video: { kind: 'frames', timeSteps: 2, height: 32, width: 48 },
  audio: { kind: 'fbank', timeSteps: 2, frames: 16, melBins: 32 },
};
const P = 16;
const B = 2;

describe.each(BACKENDS)('inputPatches on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('token n of sample b is the patch the embedding reads for it, pixel by pixel', () => {
    const model = createAmuseModel({ ...TEST_MODEL, inputs: INPUTS, patchSize: P });
    const [T, H, W] = [2, 32, 48];
    const frames = indexed([B * T, H, W, 3]);
    const fbank = indexed([B, T, 16, 32]);
    const patches = model.inputPatches(
      {
        video: { kind: 'frames', frames: tf.tensor4d(frames, [B * T, H, W, 3]) },
        audio: { kind: 'fbank', fbank: tf.tensor4d(fbank, [B, T, 16, 32]) },
      },
      B,
    );
    const gridW = W / P;
    const perStep = (H / P) * gridW;
    expect(patches.video.shape).toEqual([B, T * perStep, P * P * 3]);
    const video = patches.video.arraySync();
    for (let b = 0; b < B; b++)
      for (let n = 0; n < T * perStep; n++) {
        const t = Math.floor(n / perStep);
        const cell = n % perStep;
        const [gy, gx] = [Math.floor(cell / gridW), cell % gridW];
        for (let k = 0; k < P * P * 3; k++) {
          const [py, px, c] = [Math.floor(k / (P * 3)), Math.floor(k / 3) % P, k % 3];
          const at = (((b * T + t) * H + gy * P + py) * W + gx * P + px) * 3 + c;
          expect(video[b]?.[n]?.[k]).toBe(frames[at]);
        }
      }
    // fbank [B, T, 16 frames, 32 mel bins]: 1 x 2 patches a second, frequency fastest.
    expect(patches.audio.shape).toEqual([B, T * 2, P * P]);
    const audio = patches.audio.arraySync();
    for (let b = 0; b < B; b++)
      for (let n = 0; n < T * 2; n++) {
        const [t, band] = [Math.floor(n / 2), n % 2];
        for (let k = 0; k < P * P; k++) {
          const [f, m] = [Math.floor(k / P), k % P];
          expect(audio[b]?.[n]?.[k]).toBe(fbank[((b * T + t) * 16 + f) * 32 + band * P + m]);
        }
      }
    tf.dispose([patches.video, patches.audio]);
    model.dispose();
  });

  it('feature inputs are their own patches, and the input checks are forward’s', () => {
    const inputs: InputSpec = {
      video: { kind: 'clip', timeSteps: 3 },
      audio: { kind: 'vggish', timeSteps: 3 },
    };
    const model = createAmuseModel({ ...TEST_MODEL, inputs, width: 16 });
    const clip = indexed([B, 3, 768]);
    const video = { kind: 'clip' as const, features: tf.tensor3d(clip, [B, 3, 768]) };
    const audio = { kind: 'vggish' as const, features: tf.zeros([B, 3, 128]) as tf.Tensor3D };
    const patches = model.inputPatches({ video, audio }, B);
    expect(patches.video.shape).toEqual([B, 3, 768]);
    expect(Array.from(patches.video.dataSync())).toEqual(Array.from(clip));
    expect(() => model.inputPatches({ video, audio }, 3)).toThrow(
      /batch\.video\.features has shape \[2, 3, 768\], expected \[3, 3, 768\]/,
    );
    tf.dispose([patches.video, patches.audio, video.features, audio.features]);
    model.dispose();
  });

  it('positions() is the time + space embedding that apply() adds, token n at step n / S', () => {
    const model = createAmuseModel({ ...TEST_MODEL, inputs: INPUTS, patchSize: P, width: 16 });
    const stream = model.video;
    const positions = stream.positions().arraySync();
    const time = stream.timeEmbedding.arraySync() as number[][];
    const space = stream.spaceEmbedding.arraySync() as number[][];
    const perStep = stream.geometry.tokensPerStep;
    expect(positions).toHaveLength(stream.tokenCount);
    for (const [n, row] of positions.entries())
      for (const [d, value] of row.entries()) {
        const expected =
          (time[Math.floor(n / perStep)]?.[d] as number) + (space[n % perStep]?.[d] as number);
        expect(value).toBeCloseTo(expected, 6);
      }
    model.dispose();
  });
});
