import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fbankFrameCount, fbankPerSecond, kaldiFbank } from '../../src/media/fbank.js';
import { fft, realPowerSpectrum } from '../../src/media/fft.js';

const SAMPLE_RATE = 16000;

function tone(hz: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from(
    { length: seconds * SAMPLE_RATE },
    (_, n) => amplitude * Math.sin((2 * Math.PI * hz * n) / SAMPLE_RATE),
  );
}

/** Kaldi's mel bin m spans [low + m d, low + (m + 2) d] in mel, d = (mel(high) - mel(low)) / (bins + 1). */
function melCentreHz(m: number, bins: number, low = 20, high = SAMPLE_RATE / 2): number {
  const mel = (f: number) => 1127 * Math.log(1 + f / 700);
  const d = (mel(high) - mel(low)) / (bins + 1);
  return 700 * (Math.exp((mel(low) + (m + 1) * d) / 1127) - 1);
}

/** One fbank frame by the book: O(N^2) DFT, windows and triangles written out independently. */
function referenceFrame(
  samples: Float32Array,
  start: number,
  bins: number,
  window: 'povey' | 'hanning' | 'hamming',
): number[] {
  const length = 400;
  const padded = 512;
  const x = Array.from(samples.subarray(start, start + length));
  const mean = x.reduce((a, b) => a + b, 0) / length;
  const centred = x.map((v) => v - mean);
  const emphasised = centred.map((v, n) => v - 0.97 * (n === 0 ? centred[0]! : centred[n - 1]!));
  const w = (n: number) => {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (length - 1));
    if (window === 'hanning') return hann;
    if (window === 'hamming') return 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (length - 1));
    return hann ** 0.85;
  };
  const windowed = emphasised.map((v, n) => v * w(n));
  const power: number[] = [];
  for (let k = 0; k <= padded / 2; k++) {
    let re = 0;
    let im = 0;
    for (let n = 0; n < length; n++) {
      re += windowed[n]! * Math.cos((2 * Math.PI * k * n) / padded);
      im -= windowed[n]! * Math.sin((2 * Math.PI * k * n) / padded);
    }
    power.push(re * re + im * im);
  }
  const mel = (f: number) => 1127 * Math.log(1 + f / 700);
  const lowMel = mel(20);
  const d = (mel(8000) - lowMel) / (bins + 1);
  const out: number[] = [];
  for (let m = 0; m < bins; m++) {
    let energy = 0;
    for (let k = 0; k < padded / 2; k++) {
      const f = mel((k * SAMPLE_RATE) / padded);
      const weight = Math.max(
        0,
        Math.min((f - (lowMel + m * d)) / d, (lowMel + (m + 2) * d - f) / d),
      );
      energy += weight * power[k]!;
    }
    out.push(Math.log(Math.max(energy, 1.1920928955078125e-7)));
  }
  return out;
}

describe('kaldiFbank', () => {
  it('counts frames as Kaldi does with snip_edges (1 + floor((N - 400) / 160)), 0 below one window', () => {
    for (const n of [0, 399, 400, 559, 560, 16000, 16001, 48000]) {
      const expected = n < 400 ? 0 : 1 + Math.floor((n - 400) / 160);
      expect(fbankFrameCount(n)).toBe(expected);
      expect(kaldiFbank(new Float32Array(n)).frames).toBe(expected);
    }
    expect(fbankFrameCount(16000)).toBe(98);
  });

  it('puts a pure tone in the mel bin whose centre is nearest its frequency', () => {
    const bins = 64;
    for (const hz of [300, 1000, 2500, 5000]) {
      const { data, frames } = kaldiFbank(tone(hz, 1), { melBins: bins });
      const centres = Array.from({ length: bins }, (_, m) => melCentreHz(m, bins));
      const nearest = centres.reduce(
        (best, c, m) => (Math.abs(c - hz) < Math.abs(centres[best]! - hz) ? m : best),
        0,
      );
      const frame = Array.from(
        data.subarray(Math.floor(frames / 2) * bins, (Math.floor(frames / 2) + 1) * bins),
      );
      const peak = frame.indexOf(Math.max(...frame));
      expect(peak).toBe(nearest);
    }
  });

  it.each(['povey', 'hanning', 'hamming'] as const)(
    'matches a direct DFT of one frame (%s window)',
    (window) => {
      const bins = 40;
      const signal = tone(1000, 1);
      for (let n = 0; n < signal.length; n++)
        signal[n] = signal[n]! + 0.1 * Math.sin(n * 0.37) + 0.05;
      const { data } = kaldiFbank(signal, { melBins: bins, windowType: window });
      const frameIndex = 17;
      const expected = referenceFrame(signal, frameIndex * 160, bins, window);
      const actual = Array.from(data.subarray(frameIndex * bins, (frameIndex + 1) * bins));
      for (const [m, value] of actual.entries()) expect(value).toBeCloseTo(expected[m]!, 3);
    },
  );

  it('floors silence at log(float32 eps)', () => {
    const { data } = kaldiFbank(new Float32Array(800), { melBins: 10 });
    for (const v of data) expect(v).toBeCloseTo(Math.log(1.1920928955078125e-7), 5);
  });

  it('is deterministic (dither 0)', () => {
    const signal = tone(440, 1);
    expect(kaldiFbank(signal).data).toEqual(kaldiFbank(signal).data);
  });

  it('fbankPerSecond stacks one 98-frame fbank per second', () => {
    const signal = new Float32Array(3 * SAMPLE_RATE);
    signal.set(tone(500, 1), 0);
    signal.set(tone(4000, 1), 2 * SAMPLE_RATE);
    const { data, shape } = fbankPerSecond(signal, 3, { melBins: 32 });
    expect(shape).toEqual([3, 98, 32]);
    const second = (t: number) =>
      Array.from(data.subarray(t * 98 * 32 + 50 * 32, t * 98 * 32 + 51 * 32));
    const peak = (row: number[]) => row.indexOf(Math.max(...row));
    expect(peak(second(0))).toBeLessThan(peak(second(2)));
    expect(() => fbankPerSecond(signal, 4)).toThrow(/need 4 s/);
  });

  it('fbankPerSecond equals kaldiFbank of each second, bit for bit, for any waveform and options', () => {
    // It builds the mel banks, window and buffers once for all seconds; reusing them must not
    // change a value (nor restart the dither stream at other points than a separate call would).
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 16, maxLength: 64 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(8, 23, 40),
        fc.constantFrom('povey', 'hamming', 'rectangular'),
        fc.constantFrom(0, 0.5),
        (pattern, seconds, melBins, windowType, dither) => {
          const sampleRate = 2000;
          const waveform = Float32Array.from(
            { length: seconds * sampleRate },
            (_, n) => (pattern[n % pattern.length] as number) * (1 + (n % 7) / 7),
          );
          const options = { sampleRate, melBins, windowType, dither } as const;
          const stacked = fbankPerSecond(waveform, seconds, options);
          const separate = Array.from({ length: seconds }, (_, t) =>
            Array.from(
              kaldiFbank(waveform.subarray(t * sampleRate, (t + 1) * sampleRate), options).data,
            ),
          ).flat();
          expect(Array.from(stacked.data)).toEqual(separate);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('fft', () => {
  it('equals a direct DFT for any input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 16, maxLength: 16 }),
        (values) => {
          const re = Float64Array.from(values);
          const im = new Float64Array(16);
          fft(re, im);
          for (let k = 0; k < 16; k++) {
            let dr = 0;
            let di = 0;
            values.forEach((v, n) => {
              dr += v * Math.cos((2 * Math.PI * k * n) / 16);
              di -= v * Math.sin((2 * Math.PI * k * n) / 16);
            });
            expect(re[k]).toBeCloseTo(dr, 9);
            expect(im[k]).toBeCloseTo(di, 9);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('realPowerSpectrum equals |FFT|^2 of the same real signal', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 32, maxLength: 32 }),
        (values) => {
          const power = new Float64Array(17);
          realPowerSpectrum(Float64Array.from(values), power);
          const re = Float64Array.from(values);
          const im = new Float64Array(32);
          fft(re, im);
          for (let k = 0; k <= 16; k++) expect(power[k]).toBeCloseTo(re[k]! ** 2 + im[k]! ** 2, 8);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => fft(new Float64Array(12), new Float64Array(12))).toThrow(/power of two/);
  });
});
