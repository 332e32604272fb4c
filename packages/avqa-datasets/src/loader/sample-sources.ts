import { loadOrBuildCacheEntry } from '../cache/cache-store.js';
import { preprocessRendered } from '../cache/preprocess-video.js';
import { type PreprocessSettingsInput, resolveSettings } from '../cache/settings.js';
import type { VideoSample } from '../cache/video-sample.js';
import type { MediaFiles } from '../media/decode.js';
import { renderSceneMedia } from '../synth/generate.js';
import type { Scene } from '../synth/scene.js';

/** Where the loader gets a video's frames and fbank from. */
export interface VideoSampleSource {
  load(videoId: string): Promise<VideoSample>;
}

/** Reads the preprocessing cache, decoding a video on first use (or when its entry is bad). */
export function cacheSource(options: {
  cacheDir: string;
  settings?: PreprocessSettingsInput;
  media: (videoId: string) => MediaFiles;
}): VideoSampleSource {
  const settings = resolveSettings(options.settings);
  return {
    load: async (videoId) =>
      (await loadOrBuildCacheEntry(videoId, options.media(videoId), options.cacheDir, settings))
        .sample,
  };
}

/** Samples already in memory (or computed on demand by a function). */
export function memorySource(
  samples: ReadonlyMap<string, VideoSample> | ((videoId: string) => VideoSample),
): VideoSampleSource {
  return {
    load: async (videoId) => {
      const sample = typeof samples === 'function' ? samples(videoId) : samples.get(videoId);
      if (!sample) throw new Error(`memorySource: no sample for video ${videoId}`);
      return sample;
    },
  };
}

/**
 * The synthetic benchmark rendered straight to samples, no files and no ffmpeg: frames from
 * the renderer, fbank from the mixed waveform. Rendered samples are kept (scenes are small),
 * so later epochs cost nothing.
 */
export function syntheticSource(
  scenes: readonly Scene[],
  options: { noise: number; settings?: PreprocessSettingsInput },
): VideoSampleSource {
  const settings = resolveSettings(options.settings);
  const byId = new Map(scenes.map((s) => [s.videoId, s]));
  const rendered = new Map<string, VideoSample>();
  return {
    load: async (videoId) => {
      const hit = rendered.get(videoId);
      if (hit) return hit;
      const scene = byId.get(videoId);
      if (!scene) throw new Error(`syntheticSource: no scene for video ${videoId}`);
      if (scene.seconds !== settings.seconds) {
        throw new Error(
          `syntheticSource: scene ${videoId} lasts ${scene.seconds} s, settings.seconds is ${settings.seconds}`,
        );
      }
      const media = renderSceneMedia(scene, {
        frameSize: [settings.frameHeight, settings.frameWidth],
        noise: options.noise,
        sampleRate: settings.sampleRate,
      });
      const sample = preprocessRendered(media.frames, media.waveform, settings);
      rendered.set(videoId, sample);
      return sample;
    },
  };
}
