import { decodeMedia, type MediaFiles } from '../media/decode.js';
import { fbankPerSecond } from '../media/fbank.js';
import type { PreprocessSettings } from './settings.js';
import type { VideoSample } from './video-sample.js';

/** Decodes one video (either layout) and computes its per-second fbank. */
export async function preprocessVideo(
  media: MediaFiles,
  settings: PreprocessSettings,
): Promise<VideoSample> {
  const { frames, waveform } = await decodeMedia(
    media,
    {
      seconds: settings.seconds,
      fps: settings.fps,
      height: settings.frameHeight,
      width: settings.frameWidth,
    },
    { seconds: settings.seconds, sampleRate: settings.sampleRate },
  );
  return { video: frames, audio: fbankPerSecond(waveform, settings.seconds, settings.fbank) };
}

/** The same sample from media already in memory (the synthetic renderer's direct path). */
export function preprocessRendered(
  frames: VideoSample['video'],
  waveform: Float32Array,
  settings: Pick<PreprocessSettings, 'seconds' | 'fbank'>,
): VideoSample {
  return { video: frames, audio: fbankPerSecond(waveform, settings.seconds, settings.fbank) };
}
