/**
 * Little-endian typed arrays <-> base64, without Buffer (the package also runs in browsers).
 * Explicit endianness keeps saved state portable between machines.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let c = 0; c < ALPHABET.length; c++) DECODE[ALPHABET.charCodeAt(c)] = c;
const ENCODE = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
const PAD = '='.charCodeAt(0);
const ASCII = new TextDecoder('latin1');

export function bytesToBase64(bytes: Uint8Array): string {
  // Characters go into a byte buffer decoded once: concatenating millions of short strings
  // took seconds for a 1,000,000-sample state.
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let next = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const b2 = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    out[next++] = ENCODE[b0 >> 2]!;
    out[next++] = ENCODE[((b0 & 3) << 4) | (b1 >> 4)]!;
    out[next++] = i + 1 < bytes.length ? ENCODE[((b1 & 15) << 2) | (b2 >> 6)]! : PAD;
    out[next++] = i + 2 < bytes.length ? ENCODE[b2 & 63]! : PAD;
  }
  return ASCII.decode(out);
}

/** Decodes base64; `what` names the field in the error for malformed input. */
export function base64ToBytes(text: string, what: string): Uint8Array {
  if (text.length % 4 !== 0)
    throw new Error(`${what}: base64 length ${text.length} is not a multiple of 4`);
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let buffer = 0;
  let bits = 0;
  let next = 0;
  for (let i = 0; i < text.length - padding; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? DECODE[code]! : -1;
    if (value < 0) throw new Error(`${what}: invalid base64 character at ${i}`);
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[next++] = (buffer >> bits) & 255;
    }
  }
  return bytes;
}

export function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytesToBase64(bytes);
}

export function uint32ToBase64(values: Uint32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(i * 4, values[i]!, true);
  return bytesToBase64(bytes);
}

/** Decodes exactly `length` little-endian float32 values. */
export function base64ToFloat32(text: string, length: number, what: string): Float32Array {
  const view = exactBytes(text, length, what);
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}

/** Decodes exactly `length` little-endian uint32 values. */
export function base64ToUint32(text: string, length: number, what: string): Uint32Array {
  const view = exactBytes(text, length, what);
  const values = new Uint32Array(length);
  for (let i = 0; i < length; i++) values[i] = view.getUint32(i * 4, true);
  return values;
}

function exactBytes(text: string, length: number, what: string): DataView {
  const bytes = base64ToBytes(text, what);
  if (bytes.length !== length * 4) {
    throw new Error(`${what}: holds ${bytes.length / 4} values, expected ${length}`);
  }
  return new DataView(bytes.buffer);
}
