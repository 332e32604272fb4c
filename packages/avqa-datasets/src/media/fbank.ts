import { realPowerSpectrum } from './fft.js';
import { melFilterBank } from './mel.js';

export type WindowType = 'povey' | 'hanning' | 'hamming' | 'rectangular' | 'blackman';

/** torchaudio.compliance.kaldi.fbank options (same names, camelCase, same defaults). */
export interface FbankOptions {
  sampleRate: number;
  frameLengthMs: number;
  frameShiftMs: number;
  melBins: number;
  windowType: WindowType;
  preemphasisCoefficient: number;
  removeDcOffset: boolean;
  lowFreq: number;
  /** <= 0: offset from Nyquist (0 = Nyquist). */
  highFreq: number;
  roundToPowerOfTwo: boolean;
  snipEdges: boolean;
  usePower: boolean;
  useLogFbank: boolean;
  /** Added before the log (torchaudio uses float32 eps). */
  logFloor: number;
  /** Gaussian dither amplitude; 0 keeps the features deterministic (torchaudio's default). */
  dither: number;
  blackmanCoeff: number;
}

export const DEFAULT_FBANK_OPTIONS: Readonly<FbankOptions> = {
  sampleRate: 16000,
  frameLengthMs: 25,
  frameShiftMs: 10,
  melBins: 23,
  windowType: 'povey',
  preemphasisCoefficient: 0.97,
  removeDcOffset: true,
  lowFreq: 20,
  highFreq: 0,
  roundToPowerOfTwo: true,
  snipEdges: true,
  usePower: true,
  useLogFbank: true,
  logFloor: 1.1920928955078125e-7,
  dither: 0,
  blackmanCoeff: 0.42,
};

/** Log-mel filter-bank features, [frames, melBins] row-major. */
export interface Fbank {
  data: Float32Array;
  frames: number;
  melBins: number;
}

/** Kaldi's frame count: with snip_edges, only frames that fit entirely. */
export function fbankFrameCount(samples: number, options: Partial<FbankOptions> = {}): number {
  const o = { ...DEFAULT_FBANK_OPTIONS, ...options };
  const length = windowLength(o);
  const shift = windowShift(o);
  if (o.snipEdges) return samples < length ? 0 : 1 + Math.floor((samples - length) / shift);
  return Math.floor((samples + shift / 2) / shift);
}

const windowLength = (o: FbankOptions) => Math.trunc(o.sampleRate * o.frameLengthMs * 0.001);
const windowShift = (o: FbankOptions) => Math.trunc(o.sampleRate * o.frameShiftMs * 0.001);

/** The analysis window, symmetric (torch's periodic=False), as Kaldi defines each type. */
export function analysisWindow(
  type: WindowType,
  length: number,
  blackmanCoeff = 0.42,
): Float64Array {
  const w = new Float64Array(length);
  const a = (2 * Math.PI) / (length - 1);
  for (let n = 0; n < length; n++) {
    const hann = 0.5 - 0.5 * Math.cos(a * n);
    if (type === 'hanning') w[n] = hann;
    else if (type === 'povey') w[n] = hann ** 0.85;
    else if (type === 'hamming') w[n] = 0.54 - 0.46 * Math.cos(a * n);
    else if (type === 'blackman')
      w[n] = blackmanCoeff - 0.5 * Math.cos(a * n) + (0.5 - blackmanCoeff) * Math.cos(2 * a * n);
    else w[n] = 1;
  }
  return w;
}

/**
 * Kaldi-compatible log-mel filter bank of a mono waveform (as torchaudio.compliance.kaldi.fbank):
 * frame (25 ms / 10 ms), remove DC, pre-emphasise, window, zero-pad to a power of two,
 * power spectrum, triangular mel banks on Kaldi's mel scale, log with a floor.
 */
export function kaldiFbank(waveform: Float32Array, options: Partial<FbankOptions> = {}): Fbank {
  return fbankOf({ ...DEFAULT_FBANK_OPTIONS, ...options })(waveform);
}

/**
 * kaldiFbank with the mel banks, the window and the buffers made once for many waveforms
 * (fbankPerSecond calls it once a second: 60 times a video).
 */
function fbankOf(o: FbankOptions): (waveform: Float32Array) => Fbank {
  const length = windowLength(o);
  const shift = windowShift(o);
  if (length < 2 || shift < 1)
    throw new Error(`fbank: frame length ${length} and shift ${shift} samples are too short`);
  const fftSize = o.roundToPowerOfTwo ? 2 ** Math.ceil(Math.log2(length)) : length;
  if ((fftSize & (fftSize - 1)) !== 0)
    throw new Error('fbank: roundToPowerOfTwo=false needs a power-of-two frame length');
  const bins = fftSize / 2 + 1;
  const banks = melFilterBank(o.melBins, fftSize, o.sampleRate, o.lowFreq, o.highFreq);
  const window = analysisWindow(o.windowType, length, o.blackmanCoeff);
  const frame = new Float64Array(length);
  // realPowerSpectrum only reads it, so the zero padding past `length` stays zero.
  const padded = new Float64Array(fftSize);
  const spectrum = new Float64Array(bins);
  // Each triangle covers a few FFT bins; summing only those is most of the fbank's speed.
  const spans = Array.from({ length: o.melBins }, (_, m) =>
    nonZeroSpan(banks.subarray(m * bins, (m + 1) * bins)),
  );
  return (waveform) => {
    const frames = fbankFrameCount(waveform.length, o);
    const out = new Float32Array(frames * o.melBins);
    // Restarted for every waveform, as a separate kaldiFbank call would.
    const ditherRng = o.dither !== 0 ? gaussianStream(0x5eed) : undefined;
    for (let f = 0; f < frames; f++) {
      const start = o.snipEdges
        ? f * shift
        : f * shift + Math.floor(shift / 2) - Math.floor(length / 2);
      for (let n = 0; n < length; n++) frame[n] = reflectSample(waveform, start + n);
      if (ditherRng)
        for (let n = 0; n < length; n++) frame[n] = (frame[n] as number) + o.dither * ditherRng();
      if (o.removeDcOffset) {
        let mean = 0;
        for (let n = 0; n < length; n++) mean += frame[n] as number;
        mean /= length;
        for (let n = 0; n < length; n++) frame[n] = (frame[n] as number) - mean;
      }
      if (o.preemphasisCoefficient !== 0) {
        for (let n = length - 1; n > 0; n--)
          frame[n] = (frame[n] as number) - o.preemphasisCoefficient * (frame[n - 1] as number);
        frame[0] = (frame[0] as number) * (1 - o.preemphasisCoefficient);
      }
      for (let n = 0; n < length; n++) padded[n] = frame[n]! * window[n]!;
      realPowerSpectrum(padded, spectrum);
      if (!o.usePower) for (let k = 0; k < bins; k++) spectrum[k] = Math.sqrt(spectrum[k]!);
      for (let m = 0; m < o.melBins; m++) {
        let energy = 0;
        const row = m * bins;
        const [from, to] = spans[m]!;
        for (let k = from; k < to; k++) energy += spectrum[k]! * banks[row + k]!;
        out[f * o.melBins + m] = o.useLogFbank ? Math.log(Math.max(energy, o.logFloor)) : energy;
      }
    }
    return { data: out, frames, melBins: o.melBins };
  };
}

/** [first, last + 1) of the non-zero weights of one triangle. */
function nonZeroSpan(weights: Float32Array): [number, number] {
  let from = 0;
  while (from < weights.length && weights[from] === 0) from++;
  let to = weights.length;
  while (to > from && weights[to - 1] === 0) to--;
  return [from, to];
}

/** Kaldi pads frames that run past the edges (snip_edges=false) by reflection. */
function reflectSample(waveform: Float32Array, index: number): number {
  const n = waveform.length;
  let i = index;
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return waveform[i] as number;
}

function gaussianStream(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * The audio stream the encoder consumes: one fbank per second of audio, [T, frames, melBins]
 * (98 frames per 1 s window at 16 kHz with 25/10 ms), so audio step t lines up with frame t.
 */
export function fbankPerSecond(
  waveform: Float32Array,
  seconds: number,
  options: Partial<FbankOptions> = {},
): { data: Float32Array; shape: [number, number, number] } {
  const o = { ...DEFAULT_FBANK_OPTIONS, ...options };
  const perSecond = o.sampleRate;
  if (waveform.length < seconds * perSecond) {
    throw new Error(
      `fbankPerSecond: waveform has ${waveform.length} samples, need ${seconds} s x ${perSecond}`,
    );
  }
  const frames = fbankFrameCount(perSecond, o);
  const data = new Float32Array(seconds * frames * o.melBins);
  const fbank = fbankOf(o);
  for (let t = 0; t < seconds; t++) {
    const features = fbank(waveform.subarray(t * perSecond, (t + 1) * perSecond));
    data.set(features.data, t * frames * o.melBins);
  }
  return { data, shape: [seconds, frames, o.melBins] };
}
