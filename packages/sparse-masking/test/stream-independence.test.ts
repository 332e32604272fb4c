import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createInputMasker,
  disposeMaskPlan,
  type MaskingContext,
  type StreamLayout,
  type StreamName,
} from '../src/index.js';
import { ramp, useBackend } from './backends.js';

/**
 * Outside the cross-modal mode, video and audio are masked independently: each stream draws
 * from its own random stream. Two plausible bugs pass every other test: both streams drawing
 * from one generator (then audio's mask depends on how many tokens video has) or from the
 * same seed (then streams of the same shape drop the same positions).
 */
beforeAll(() => useBackend('cpu'));

const MODES = ['random', 'time', 'frequency', 'time-frequency'] as const;

function layout(stream: StreamName, timeSteps: number): StreamLayout {
  return { stream, timeSteps, tokensPerStep: 6, frequencyBands: 3 };
}

function keepSets(
  mode: (typeof MODES)[number],
  videoSteps: number,
  audioSteps: number,
  ctx: MaskingContext,
): Record<StreamName, number[][]> {
  const masker = createInputMasker({ ratio: 0.5, seed: 11, mode });
  const batch = 4;
  const streams = {
    video: {
      tokens: ramp([batch, videoSteps * 6, 4]) as tf.Tensor3D,
      layout: layout('video', videoSteps),
    },
    audio: {
      tokens: ramp([batch, audioSteps * 6, 4]) as tf.Tensor3D,
      layout: layout('audio', audioSteps),
    },
  };
  const masked = masker.maskInputs(streams, ctx);
  if (!masked) throw new Error('masking is off');
  const result = {
    video: masked.video.plan.keepSets.map((set) => Array.from(set)),
    audio: masked.audio.plan.keepSets.map((set) => Array.from(set)),
  };
  tf.dispose([
    streams.video.tokens,
    streams.audio.tokens,
    masked.video.tokens,
    masked.audio.tokens,
  ]);
  disposeMaskPlan(masked.video.plan);
  disposeMaskPlan(masked.audio.plan);
  return result;
}

describe.each(MODES)('masks of video and audio in %s mode', (mode) => {
  const steps: MaskingContext[] = [0, 1, 2, 3, 4].map((step) => ({
    training: true,
    epoch: 0,
    step,
  }));

  it('of the same shape drop different tokens (not one seed for both)', () => {
    const differing = steps.filter((ctx) => {
      const sets = keepSets(mode, 8, 8, ctx);
      return JSON.stringify(sets.video) !== JSON.stringify(sets.audio);
    });
    expect(differing.length).toBe(steps.length);
  });

  it('are each unchanged when the other stream has more tokens (not one generator for both)', () => {
    for (const ctx of steps) {
      const small = keepSets(mode, 4, 8, ctx);
      const large = keepSets(mode, 10, 8, ctx);
      expect(large.audio, `audio at step ${ctx.step}`).toEqual(small.audio);
      const otherAudio = keepSets(mode, 4, 12, ctx);
      expect(otherAudio.video, `video at step ${ctx.step}`).toEqual(small.video);
    }
  });
});
