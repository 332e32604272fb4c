import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createInputMasker,
  type MaskingContext,
  maskSchedule,
  type SparseInputMasker,
  type StreamLayout,
  scheduledRatios,
} from '../src/index.js';
import { BACKENDS, ramp, useBackend } from './backends.js';

// 5 frames x 4 patches of video; 5 audio windows x 6 patches (2 sub-rows x 3 bands).
const VIDEO: StreamLayout = { stream: 'video', timeSteps: 5, tokensPerStep: 4 };
const AUDIO: StreamLayout = { stream: 'audio', timeSteps: 5, tokensPerStep: 6, frequencyBands: 3 };
const TRAIN: MaskingContext = { training: true, epoch: 0, step: 0 };

function streams(batchSize = 3) {
  return {
    video: { tokens: ramp([batchSize, 20, 8]) as tf.Tensor3D, layout: VIDEO },
    audio: { tokens: ramp([batchSize, 30, 8]) as tf.Tensor3D, layout: AUDIO },
  };
}

const steps = (row: number[], tokensPerStep: number) => [
  ...new Set(row.map((n) => Math.floor(n / tokensPerStep))),
];

describe('maskSchedule', () => {
  it('defaults to 3 epochs, 0.5 for both streams, seed 42', () => {
    expect(maskSchedule()).toEqual({
      activeEpochs: 3,
      ratio: { video: 0.5, audio: 0.5 },
      seed: 42,
    });
    expect(maskSchedule({ ratio: 0.75 }).ratio).toEqual({ video: 0.75, audio: 0.75 });
    expect(maskSchedule({ ratio: { audio: 0.6 } }).ratio).toEqual({ video: 0.5, audio: 0.6 });
  });

  it('is on for training epochs [0, activeEpochs) only', () => {
    const schedule = maskSchedule({ activeEpochs: 2 });
    expect(scheduledRatios(schedule, { training: true, epoch: 0, step: 5 })).not.toBeNull();
    expect(scheduledRatios(schedule, { training: true, epoch: 1, step: 5 })).not.toBeNull();
    expect(scheduledRatios(schedule, { training: true, epoch: 2, step: 5 })).toBeNull();
    expect(scheduledRatios(schedule, { training: false, epoch: 0, step: 5 })).toBeNull();
    expect(scheduledRatios(maskSchedule({ ratio: 0 }), TRAIN)).toBeNull();
  });

  it('rejects bad options with the field name', () => {
    expect(() => maskSchedule({ ratio: { video: 1.5 } })).toThrow(/ratio.video/);
    expect(() => maskSchedule({ activeEpochs: -1 })).toThrow(/activeEpochs/);
    expect(() => maskSchedule({ seed: 0.5 })).toThrow(/seed/);
  });
});

describe.each(BACKENDS)('createInputMasker on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('satisfies the InputMasker contract: N_keep tokens and ascending keep indices per stream', () => {
    tf.tidy(() => {
      const masker: SparseInputMasker = createInputMasker({ ratio: { video: 0.5, audio: 0.75 } });
      const result = masker.maskInputs(streams(), TRAIN)!;
      expect(result.video.tokens.shape).toEqual([3, 10, 8]);
      expect(result.audio.tokens.shape).toEqual([3, 8, 8]); // round(30 * 0.25) = 8 (7.5 rounds up)
      for (const name of ['video', 'audio'] as const) {
        expect(result[name].keepIndices.dtype).toBe('int32');
        for (const row of result[name].keepIndices.arraySync() as number[][]) {
          expect([...row].sort((a, b) => a - b)).toEqual(row);
        }
      }
    });
  });

  it('returns null in evaluation and after the active epochs', () => {
    tf.tidy(() => {
      const masker = createInputMasker();
      expect(masker.maskInputs(streams(), { training: false, epoch: 0, step: 1 })).toBeNull();
      expect(masker.maskInputs(streams(), { training: true, epoch: 3, step: 1 })).toBeNull();
      expect(masker.maskInputs(streams(), { training: true, epoch: 2, step: 1 })).not.toBeNull();
    });
  });

  it('is reproducible from (seed, step) and changes with the step', () => {
    tf.tidy(() => {
      const draw = (seed: number, step: number) =>
        createInputMasker({ seed })
          .maskInputs(streams(), { ...TRAIN, step })!
          .video.keepIndices.arraySync();
      expect(draw(1, 10)).toEqual(draw(1, 10));
      expect(draw(1, 10)).not.toEqual(draw(1, 11));
      expect(draw(1, 10)).not.toEqual(draw(2, 10));
    });
  });

  it("'cross-modal' keeps the same time steps in video and audio", () => {
    tf.tidy(() => {
      const result = createInputMasker({ mode: 'cross-modal' }).maskInputs(streams(4), TRAIN)!;
      const video = result.video.keepIndices.arraySync() as number[][];
      const audio = result.audio.keepIndices.arraySync() as number[][];
      for (let b = 0; b < 4; b++) {
        expect(steps(video[b]!, 4)).toEqual(steps(audio[b]!, 6));
        expect(steps(video[b]!, 4).length).toBe(3);
      }
      expect(result.video.tokens.shape).toEqual([4, 12, 8]);
      expect(result.audio.tokens.shape).toEqual([4, 18, 8]);
    });
  });

  it('takes a mode per stream (time for video, frequency bands for audio)', () => {
    tf.tidy(() => {
      const masker = createInputMasker({ mode: { video: 'time', audio: 'frequency' }, ratio: 0.6 });
      const result = masker.maskInputs(streams(), TRAIN)!;
      for (const row of result.video.keepIndices.arraySync() as number[][]) {
        expect(steps(row, 4).length * 4).toBe(row.length);
      }
      for (const row of result.audio.keepIndices.arraySync() as number[][]) {
        const bands = new Set(row.map((n) => (n % 6) % 3));
        expect(bands.size).toBe(1); // round(3 * 0.4) = 1
        expect(row.length).toBe(10);
      }
    });
  });

  it('lets gradients reach kept tokens only, and leaks nothing across steps', () => {
    const masker = createInputMasker();
    const input = streams(2);
    const step = (index: number) =>
      tf.tidy(() => {
        const [videoGrad] = tf.grads((video: tf.Tensor, audio: tf.Tensor) => {
          const result = masker.maskInputs(
            {
              video: { tokens: video as tf.Tensor3D, layout: VIDEO },
              audio: { tokens: audio as tf.Tensor3D, layout: AUDIO },
            },
            { ...TRAIN, step: index },
          )!;
          return tf.add(tf.sum(result.video.tokens), tf.sum(result.audio.tokens));
        })([input.video.tokens, input.audio.tokens]);
        // Each kept token row receives ones; dropped rows stay exactly 0.
        return (tf.sum(videoGrad!, 2).arraySync() as number[][]).map((row) =>
          row.map((x) => x / 8),
        );
      });
    const rows = step(0);
    for (const row of rows) {
      expect(row.filter((x) => x === 1).length).toBe(10);
      expect(row.filter((x) => x === 0).length).toBe(10);
    }
    const before = tf.memory().numTensors;
    for (let i = 1; i < 5; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([input.video.tokens, input.audio.tokens]);
  });

  it('reports a layout that does not match the tokens', () => {
    tf.tidy(() => {
      const bad = {
        ...streams(),
        audio: { tokens: ramp([3, 29, 8]) as tf.Tensor3D, layout: AUDIO },
      };
      expect(() => createInputMasker().maskInputs(bad, TRAIN)).toThrow(
        /streams.audio.layout has 5 steps x 6 tokens/,
      );
      const unequal = {
        ...streams(),
        audio: { tokens: ramp([2, 30, 8]) as tf.Tensor3D, layout: AUDIO },
      };
      expect(() => createInputMasker({ mode: 'cross-modal' }).maskInputs(unequal, TRAIN)).toThrow(
        /one batch size/,
      );
    });
  });
});
