import { INSTRUMENTS, type InstrumentTimbre } from './instruments.js';
import { createRandom, deriveSeed, type Random } from './random.js';
import type { Scene, SceneInstrument } from './scene.js';

export interface AudioRenderOptions {
  sampleRate: number;
  /** 0..1: background noise RMS (1 = -20 dBFS). */
  noise: number;
  seed: number;
}

const WAVETABLE_SIZE = 2048;
/** Scale degrees a note may take above the instance fundamental (a major third at most). */
const NOTE_STEPS = [1, 9 / 8, 5 / 4] as const;
const RELEASE_SECONDS = 0.02;
const VOICEOVER_GAIN_DB = -16;

/**
 * The mono mix of a scene: every sounding instrument (seen or off-screen) as a sequence of
 * harmonic notes during its playing seconds, scaled so its RMS while playing is exactly
 * its gainDb (so "louder" is a property of the scene, not of the envelope), plus an
 * optional voiceover and background noise.
 */
export function renderAudio(scene: Scene, options: AudioRenderOptions): Float32Array {
  const { sampleRate } = options;
  const length = scene.seconds * sampleRate;
  const mix = new Float32Array(length);
  scene.instruments.forEach((instrument, index) => {
    const rng = createRandom(deriveSeed(options.seed, 0xa0d10, index));
    const stem = renderStem(instrument, scene.seconds, sampleRate, rng);
    addAt(mix, stem, 1);
  });
  if (scene.voiceover) {
    addAt(
      mix,
      renderVoiceover(scene.seconds, sampleRate, createRandom(deriveSeed(options.seed, 0x701ce))),
      1,
    );
  }
  const amplitude = 0.1 * options.noise * Math.sqrt(3);
  let noiseState = deriveSeed(options.seed, 0x0153) || 1;
  const noiseScale = (2 * amplitude) / 0xffffffff;
  for (let i = 0; i < length; i++) {
    noiseState ^= noiseState << 13;
    noiseState ^= noiseState >>> 17;
    noiseState ^= noiseState << 5;
    const sample = mix[i]! + (noiseState >>> 0) * noiseScale - amplitude;
    mix[i] = sample > 1 ? 1 : Math.max(sample, -1);
  }
  return mix;
}

function addAt(target: Float32Array, source: Float32Array, gain: number) {
  for (let i = 0; i < source.length; i++)
    target[i] = (target[i] as number) + gain * (source[i] as number);
}

/** One instrument alone, RMS over its playing seconds = 10^(gainDb/20). */
export function renderStem(
  instrument: SceneInstrument,
  seconds: number,
  sampleRate: number,
  rng: Random,
): Float32Array {
  const timbre = INSTRUMENTS[instrument.name].timbre;
  const stem = new Float32Array(seconds * sampleRate);
  const nyquist = sampleRate / 2;
  const table = wavetable(
    timbre.harmonics,
    instrument.fundamental * Math.max(...NOTE_STEPS),
    nyquist,
  );
  for (const [start, end] of playingSpans(instrument.playing)) {
    let time = start;
    while (time < end) {
      const gap = (1 / instrument.noteRate) * rng.uniform(0.85, 1.15);
      const noteEnd = Math.min(end, time + gap);
      const pitch = instrument.fundamental * rng.pick(NOTE_STEPS);
      renderNote(stem, table, timbre, pitch, time, noteEnd, sampleRate, rng);
      time = noteEnd;
    }
  }
  let energy = 0;
  let count = 0;
  for (let t = 0; t < seconds; t++) {
    if (!instrument.playing[t]) continue;
    for (let i = t * sampleRate; i < (t + 1) * sampleRate; i++) energy += (stem[i] as number) ** 2;
    count += sampleRate;
  }
  if (count > 0 && energy > 0) {
    const scale = 10 ** (instrument.gainDb / 20) / Math.sqrt(energy / count);
    for (let i = 0; i < stem.length; i++) stem[i] = (stem[i] as number) * scale;
  }
  return stem;
}

/** Contiguous runs of playing seconds as [start, end) in seconds. */
export function playingSpans(playing: readonly boolean[]): [number, number][] {
  const spans: [number, number][] = [];
  let start = -1;
  playing.forEach((p, t) => {
    if (p && start < 0) start = t;
    if (!p && start >= 0) {
      spans.push([start, t]);
      start = -1;
    }
  });
  if (start >= 0) spans.push([start, playing.length]);
  return spans;
}

/** One period of the harmonic waveform; harmonics above Nyquist at the top pitch are left out. */
function wavetable(harmonics: readonly number[], topPitch: number, nyquist: number): Float32Array {
  const table = new Float32Array(WAVETABLE_SIZE + 1);
  harmonics.forEach((amplitude, h) => {
    if ((h + 1) * topPitch >= nyquist) return;
    for (let i = 0; i <= WAVETABLE_SIZE; i++) {
      table[i] =
        (table[i] as number) + amplitude * Math.sin((2 * Math.PI * (h + 1) * i) / WAVETABLE_SIZE);
    }
  });
  return table;
}

function renderNote(
  out: Float32Array,
  table: Float32Array,
  timbre: InstrumentTimbre,
  pitch: number,
  startSeconds: number,
  endSeconds: number,
  sampleRate: number,
  rng: Random,
) {
  const start = Math.round(startSeconds * sampleRate);
  const end = Math.min(out.length, Math.round(endSeconds * sampleRate));
  const attack = Math.max(1, timbre.attack * sampleRate);
  const release = RELEASE_SECONDS * sampleRate;
  // Exponential decay towards the sustain level, advanced by one multiplication per sample.
  const decayPerSample = Math.exp(-1 / (timbre.decay * sampleRate));
  const step = (pitch * WAVETABLE_SIZE) / sampleRate;
  let phase = rng.next() * WAVETABLE_SIZE;
  let decay = 1;
  // Inline xorshift for the breath noise: a closure call per sample costs more than the note.
  let noiseState = (rng.next() * 0xffffffff) >>> 0 || 1;
  const noiseScale = (2 * timbre.noise) / 0xffffffff;
  for (let i = start; i < end; i++) {
    const n = i - start;
    if (n > attack) decay *= decayPerSample;
    const level = timbre.sustain + (1 - timbre.sustain) * decay;
    const fade = end - i < release ? (end - i) / release : 1;
    const envelope = (n < attack ? n / attack : 1) * level * fade;
    const index = phase | 0;
    const frac = phase - index;
    const tone = table[index]! * (1 - frac) + table[index + 1]! * frac;
    noiseState ^= noiseState << 13;
    noiseState ^= noiseState >>> 17;
    noiseState ^= noiseState << 5;
    const breath = (noiseState >>> 0) * noiseScale - timbre.noise;
    out[i] = out[i]! + envelope * (tone + breath);
    phase += step;
    if (phase >= WAVETABLE_SIZE) phase -= WAVETABLE_SIZE;
  }
}

/**
 * A speech-like voice: a glottal pulse train (harmonics of ~120-200 Hz) shaped by moving
 * vowel formants and a 4 Hz syllable rhythm, in 2-4 s phrases.
 */
function renderVoiceover(seconds: number, sampleRate: number, rng: Random): Float32Array {
  const out = new Float32Array(seconds * sampleRate);
  const pitch = rng.uniform(110, 200);
  const vowels = [
    [700, 1200],
    [300, 2300],
    [500, 900],
    [400, 2000],
  ] as const;
  let time = rng.uniform(0, Math.max(0.1, seconds / 3));
  while (time < seconds) {
    const phraseEnd = Math.min(seconds, time + rng.uniform(2, 4));
    const vowel = rng.pick(vowels);
    const amplitudes: number[] = [];
    for (let h = 1; h * pitch < 3500; h++) {
      const f = h * pitch;
      const formant =
        Math.exp(-(((f - vowel[0]) / 150) ** 2)) + 0.6 * Math.exp(-(((f - vowel[1]) / 200) ** 2));
      amplitudes.push((0.05 + formant) / h ** 0.5);
    }
    const table = wavetable(amplitudes, pitch, sampleRate / 2);
    const syllable = syllableEnvelope(sampleRate);
    const step = (pitch * WAVETABLE_SIZE) / sampleRate;
    let phase = 0;
    const start = Math.round(time * sampleRate);
    const end = Math.round(phraseEnd * sampleRate);
    for (let i = start; i < end; i++) {
      out[i] = table[phase | 0]! * syllable[i % syllable.length]!;
      phase += step;
      if (phase >= WAVETABLE_SIZE) phase -= WAVETABLE_SIZE;
    }
    time = phraseEnd + rng.uniform(0.5, 2);
  }
  let energy = 0;
  let voiced = 0;
  for (const s of out) {
    energy += s * s;
    if (s !== 0) voiced++;
  }
  if (voiced > 0) {
    const scale = 10 ** (VOICEOVER_GAIN_DB / 20) / Math.sqrt(energy / voiced);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale;
  }
  return out;
}

/** One period of the 4 Hz syllable rhythm (raised cosine). */
function syllableEnvelope(sampleRate: number): Float32Array {
  const period = Math.round(sampleRate / 4);
  const out = new Float32Array(period);
  for (let i = 0; i < period; i++) out[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / period);
  return out;
}
