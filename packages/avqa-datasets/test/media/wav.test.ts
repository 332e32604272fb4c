import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/media/crc32.js';
import { encodeWav, parseWav, toMono } from '../../src/media/wav.js';

function wavBytes(
  format: number,
  bits: number,
  channels: number,
  body: Uint8Array,
  sampleRate = 8000,
): Uint8Array {
  const out = new Uint8Array(44 + body.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('RIFF'), 0);
  view.setUint32(4, 36 + body.length, true);
  out.set(new TextEncoder().encode('WAVEfmt '), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, format, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, (sampleRate * channels * bits) / 8, true);
  view.setUint16(32, (channels * bits) / 8, true);
  view.setUint16(34, bits, true);
  out.set(new TextEncoder().encode('data'), 36);
  view.setUint32(40, body.length, true);
  out.set(body, 44);
  return out;
}

describe('WAV', () => {
  it('round-trips 16-bit PCM within one quantisation step', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { maxLength: 200 }),
        (values) => {
          const samples = Float32Array.from(values);
          const parsed = parseWav(encodeWav(samples, 16000));
          expect(parsed.sampleRate).toBe(16000);
          expect(parsed.channels).toBe(1);
          expect(parsed.samples.length).toBe(samples.length);
          const worst = Math.max(0, ...parsed.samples.map((v, i) => Math.abs(v - samples[i]!)));
          expect(worst).toBeLessThanOrEqual(1 / 32767);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads 24-bit PCM and 32-bit float, and averages stereo to mono', () => {
    const pcm24 = wavBytes(1, 24, 1, Uint8Array.from([0x00, 0x00, 0x40, 0x00, 0x00, 0xc0]));
    expect(Array.from(parseWav(pcm24).samples)).toEqual([0.5, -0.5]);
    const float = new Float32Array([0.25, -0.75, 1, 0]);
    const stereo = parseWav(wavBytes(3, 32, 2, new Uint8Array(float.buffer)));
    expect(stereo.channels).toBe(2);
    expect(Array.from(toMono(stereo))).toEqual([-0.25, 0.5]);
  });

  it('rejects a data chunk cut short and non-finite float samples, naming the file', () => {
    const whole = wavBytes(1, 16, 1, new Uint8Array(400));
    expect(() => parseWav(whole.subarray(0, 44 + 100), 'cut.wav')).toThrow(
      'cut.wav: data chunk says 400 bytes but the file holds 100: the file is truncated',
    );
    // A streaming writer's unknown length (0xFFFFFFFF) still reads to the end of the file.
    const streamed = whole.slice();
    new DataView(streamed.buffer).setUint32(40, 0xffffffff, true);
    expect(parseWav(streamed).samples.length).toBe(200);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const float = new Float32Array([0.5, bad, 0]);
      expect(() => parseWav(wavBytes(3, 32, 1, new Uint8Array(float.buffer)), 'nan.wav')).toThrow(
        `nan.wav: sample 1 is ${bad}: audio samples must be finite`,
      );
    }
  });

  it('names the file on bad input', () => {
    expect(() => parseWav(new Uint8Array(20), 'a.wav')).toThrow(/a\.wav: not a RIFF\/WAVE file/);
    expect(() => parseWav(wavBytes(2, 4, 1, new Uint8Array(4)), 'b.wav')).toThrow(
      /b\.wav: unsupported WAV format code 2/,
    );
  });
});

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
