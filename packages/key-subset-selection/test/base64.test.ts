import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  base64ToFloat32,
  base64ToUint32,
  bytesToBase64,
  float32ToBase64,
  uint32ToBase64,
} from '../src/base64.js';

describe('base64', () => {
  it('matches Node for any bytes and decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40_000 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64ToBytes(text, 'x')).toEqual(bytes);
      }),
      { numRuns: 60 },
    );
  });

  it('encodes typed arrays little-endian and restores them exactly', () => {
    const floats = Float32Array.of(1, -0.5, 3.4028234663852886e38, 1e-45);
    expect(float32ToBase64(Float32Array.of(1))).toBe(
      Buffer.from([0, 0, 0x80, 0x3f]).toString('base64'),
    );
    expect(base64ToFloat32(float32ToBase64(floats), 4, 'f')).toEqual(floats);
    const words = Uint32Array.of(0, 1, 0xffffffff, 0x80000000);
    expect(base64ToUint32(uint32ToBase64(words), 4, 'w')).toEqual(words);
  });

  it('rejects malformed text and wrong lengths, naming the field', () => {
    expect(() => base64ToBytes('abc', 'scores')).toThrow('scores: base64 length 3');
    expect(() => base64ToBytes('ab!d', 'scores')).toThrow('scores: invalid base64 character at 2');
    expect(() => base64ToUint32(uint32ToBase64(Uint32Array.of(1, 2)), 3, 'kept[0]')).toThrow(
      'kept[0]: holds 2 values, expected 3',
    );
  });
});
