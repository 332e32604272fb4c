import { spreadTimeSteps } from '@sparsify/avqa-datasets';
import { describe, expect, it } from 'vitest';
import { inputsWithTimeSteps } from '../src/pipeline/dataset.js';
import { sampleToInputs } from '../src/pipeline/model-inputs.js';

describe('--time-steps', () => {
  it('5 of 8 seconds are 0, 2, 4, 5, 7; 8 of 8 are every second', () => {
    expect(Array.from(spreadTimeSteps(8, 5))).toEqual([0, 2, 4, 5, 7]);
    expect(Array.from(spreadTimeSteps(8, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('at 8 steps the model input holds every second of an 8-second clip, in order', () => {
    const inputs = inputsWithTimeSteps(8);
    expect(inputs.video.timeSteps).toBe(8);
    expect(inputs.audio.timeSteps).toBe(8);
    const frameSize = 64 * 64 * 3;
    const window = 98 * 64;
    const video = new Uint8Array(8 * frameSize).map((_, i) => Math.floor(i / frameSize));
    const audio = new Float32Array(8 * window).map((_, i) => Math.floor(i / window));
    const out = sampleToInputs(
      {
        videoId: 'v',
        video: { data: video, shape: [8, 64, 64, 3] },
        audio: { data: audio, shape: [8, 98, 64] },
      } as never,
      inputs,
    );
    for (let t = 0; t < 8; t++) {
      expect(out.frames[t * frameSize]).toBe(t);
      expect(out.fbank[t * 64 * 64]).toBe(t);
    }
  });
});
