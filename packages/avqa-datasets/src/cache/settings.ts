import { createHash } from 'node:crypto';
import { DEFAULT_FBANK_OPTIONS, type FbankOptions } from '../media/fbank.js';

/** Everything that changes what a cache entry holds; its hash keys the cache. */
export interface PreprocessSettings {
  /** Clip length (the official rule: 60 s, short videos repeat their last second). */
  seconds: number;
  /** Frames sampled per second (official: 1). */
  fps: number;
  frameHeight: number;
  frameWidth: number;
  /** Mono audio rate before the fbank (16 kHz). */
  sampleRate: number;
  /** Kaldi fbank options; one fbank per second of audio. */
  fbank: FbankOptions;
  /** Storage type of the fbank in the cache; float16 halves the file. */
  audioDtype: 'float32' | 'float16';
}

export const DEFAULT_PREPROCESS_SETTINGS: Readonly<PreprocessSettings> = {
  seconds: 60,
  fps: 1,
  frameHeight: 224,
  frameWidth: 224,
  sampleRate: 16000,
  fbank: { ...DEFAULT_FBANK_OPTIONS, melBins: 128 },
  audioDtype: 'float32',
};

export type PreprocessSettingsInput = Partial<Omit<PreprocessSettings, 'fbank'>> & {
  fbank?: Partial<FbankOptions>;
};

/** Fills defaults (fbank sample rate follows the audio rate) and checks the values. */
export function resolveSettings(input: PreprocessSettingsInput = {}): PreprocessSettings {
  const sampleRate = input.sampleRate ?? DEFAULT_PREPROCESS_SETTINGS.sampleRate;
  const settings: PreprocessSettings = {
    ...DEFAULT_PREPROCESS_SETTINGS,
    ...input,
    fbank: { ...DEFAULT_PREPROCESS_SETTINGS.fbank, ...input.fbank, sampleRate },
  };
  for (const key of ['seconds', 'fps', 'frameHeight', 'frameWidth', 'sampleRate'] as const) {
    const value = settings[key];
    if (!(Number.isInteger(value) && value > 0))
      throw new Error(`preprocess setting ${key} must be a positive integer, got ${value}`);
  }
  if (settings.audioDtype !== 'float32' && settings.audioDtype !== 'float16') {
    throw new Error(
      `preprocess setting audioDtype must be 'float32' or 'float16', got ${String(settings.audioDtype)}`,
    );
  }
  return settings;
}

/** A short stable hash of the settings (key order does not matter). */
export function settingsHash(settings: PreprocessSettings): string {
  return createHash('sha256').update(canonicalJson(settings)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
