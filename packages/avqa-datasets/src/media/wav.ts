/**
 * RIFF WAVE reading and writing in TypeScript (PCM 8/16/24/32-bit and IEEE float 32/64,
 * WAVE_FORMAT_EXTENSIBLE included), so the frames + .wav layout needs no decoder process
 * for its audio.
 */
export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** Samples in [-1, 1], channels interleaved. */
  samples: Float32Array;
}

export function parseWav(bytes: Uint8Array, source = 'wav'): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new Error(`${source}: not a RIFF/WAVE file`);
  }
  let format: { code: number; channels: number; sampleRate: number; bits: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      let code = view.getUint16(body, true);
      if (code === 0xfffe && size >= 26) code = view.getUint16(body + 24, true);
      format = {
        code,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format) throw new Error(`${source}: data chunk before fmt chunk`);
      const inFile = bytes.length - body;
      // 0 and 0xFFFFFFFF are what streaming writers (ffmpeg to a pipe) put before the length
      // is known: read to the end. Any other size past the end means the file was cut short.
      const unknownSize = size === 0 || size === 0xffffffff;
      if (!unknownSize && size > inFile) {
        throw new Error(
          `${source}: data chunk says ${size} bytes but the file holds ${inFile}: the file is truncated`,
        );
      }
      const available = unknownSize ? inFile : size;
      return {
        sampleRate: format.sampleRate,
        channels: format.channels,
        samples: decodeSamples(view, body, available, format, source),
      };
    }
    offset = body + size + (size % 2);
  }
  throw new Error(`${source}: no data chunk`);
}

function decodeSamples(
  view: DataView,
  start: number,
  byteLength: number,
  format: { code: number; bits: number },
  source: string,
): Float32Array {
  const bytesPerSample = format.bits / 8;
  const count = Math.floor(byteLength / bytesPerSample);
  const out = new Float32Array(count);
  const read = sampleReader(view, format, source);
  for (let i = 0; i < count; i++) out[i] = read(start + i * bytesPerSample);
  // Only float formats can hold NaN or Infinity; one would turn every fbank bin it touches,
  // and then the loss, into NaN far from here.
  if (format.code === 3) {
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(out[i] as number)) {
        throw new Error(`${source}: sample ${i} is ${out[i]}: audio samples must be finite`);
      }
    }
  }
  return out;
}

function sampleReader(
  view: DataView,
  format: { code: number; bits: number },
  source: string,
): (at: number) => number {
  if (format.code === 1) {
    if (format.bits === 8) return (at) => (view.getUint8(at) - 128) / 128;
    if (format.bits === 16) return (at) => view.getInt16(at, true) / 32768;
    if (format.bits === 24)
      return (at) =>
        ((view.getUint8(at) |
          (view.getUint8(at + 1) << 8) |
          (view.getInt8(at + 2) << 16)) as number) / 8388608;
    if (format.bits === 32) return (at) => view.getInt32(at, true) / 2147483648;
  }
  if (format.code === 3) {
    if (format.bits === 32) return (at) => view.getFloat32(at, true);
    if (format.bits === 64) return (at) => view.getFloat64(at, true);
  }
  throw new Error(`${source}: unsupported WAV format code ${format.code} with ${format.bits} bits`);
}

/** Averages interleaved channels to mono. */
export function toMono(audio: WavAudio): Float32Array {
  if (audio.channels === 1) return audio.samples;
  const frames = Math.floor(audio.samples.length / audio.channels);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < audio.channels; c++) sum += audio.samples[i * audio.channels + c] as number;
    out[i] = sum / audio.channels;
  }
  return out;
}

/** 16-bit PCM mono WAV bytes (what LAVisH / DG-SCT extract with ffmpeg). */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(bytes.buffer);
  const writeTag = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  writeTag(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  writeTag(8, 'WAVE');
  writeTag(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  writeTag(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    // The same scale as the reader (1/32768), so a round trip is off by half a step at most;
    // only +1.0 itself, which int16 cannot hold, is clipped to 32767.
    const level = Math.round((samples[i] as number) * 32768);
    view.setInt16(44 + i * 2, Math.max(-32768, Math.min(32767, level)), true);
  }
  return bytes;
}
