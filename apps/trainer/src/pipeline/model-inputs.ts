import type { InputSpec } from '@sparsify/amuse-encoder';
import {
  type PreprocessSettings,
  resolveSettings,
  spreadTimeSteps,
  type ValueStatistics,
  type VideoSample,
} from '@sparsify/avqa-datasets';

const SAMPLE_RATE = 16000;
const FRAME_LENGTH_MS = 25;

/** fbank (or feature) normalisation from the training videos: (x - mean) / std. */
export type FbankStats = ValueStatistics;

/**
 * Preprocessing that yields the encoder's input geometry: frames of its size and one fbank
 * per second with exactly `frames` frames (the shift is chosen so one second fits them).
 */
export function preprocessSettingsFor(inputs: InputSpec, seconds: number): PreprocessSettings {
  const { video, audio } = checkRawInputs(inputs);
  return resolveSettings({
    seconds,
    fps: 1,
    frameHeight: video.height,
    frameWidth: video.width,
    sampleRate: SAMPLE_RATE,
    fbank: {
      melBins: audio.melBins,
      frameLengthMs: FRAME_LENGTH_MS,
      // Kaldi counts 1 + floor((1 s - window) / shift) frames; 1/16 ms steps keep the shift
      // a whole number of samples at 16 kHz.
      frameShiftMs: Math.floor(((1000 - FRAME_LENGTH_MS) / (audio.frames - 1)) * 16) / 16,
    },
  });
}

export function checkRawInputs(inputs: InputSpec) {
  const { video, audio } = inputs;
  if (video.kind !== 'frames' || audio.kind !== 'fbank') {
    throw new Error(
      `the trainer feeds raw frames and fbank windows, got ${video.kind} and ${audio.kind} inputs`,
    );
  }
  return { video, audio };
}

/**
 * A preprocessed clip reduced to the encoder's input: T time steps picked uniformly (AMUSE
 * samples 5 frames uniformly), the first `frames` fbank frames of each second.
 */
export function sampleToInputs(
  sample: VideoSample,
  inputs: InputSpec,
): { frames: Uint8Array; fbank: Float32Array } {
  const { video, audio } = checkRawInputs(inputs);
  const [seconds, height, width] = sample.video.shape;
  const [audioSeconds, fbankFrames, melBins] = sample.audio.shape;
  if (
    height !== video.height ||
    width !== video.width ||
    melBins !== audio.melBins ||
    fbankFrames < audio.frames
  ) {
    throw new Error(
      `preprocessed clip has frames ${height}x${width} and fbank [${fbankFrames}, ${melBins}] per second; ` +
        `the model needs ${video.height}x${video.width} and [${audio.frames}, ${audio.melBins}]`,
    );
  }
  const frameSize = height * width * 3;
  const windowSize = audio.frames * melBins;
  const frames = new Uint8Array(video.timeSteps * frameSize);
  const fbank = new Float32Array(audio.timeSteps * windowSize);
  spreadTimeSteps(seconds, video.timeSteps).forEach((second, t) => {
    frames.set(
      sample.video.data.subarray(second * frameSize, (second + 1) * frameSize),
      t * frameSize,
    );
  });
  spreadTimeSteps(audioSeconds, audio.timeSteps).forEach((second, t) => {
    const start = second * fbankFrames * melBins;
    fbank.set(sample.audio.data.subarray(start, start + windowSize), t * windowSize);
  });
  return { frames, fbank };
}
