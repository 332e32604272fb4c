import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertSafeVideoId, isSafeVideoId } from '../../src/annotations/video-id.js';

describe('video ids', () => {
  it.each([
    '00000028',
    'sa00006547',
    'evv00001234',
    'tOcOiTFQYp4',
    '9G7EAFgjQyQ',
    'Baz-4i7soZ0_flip',
    '6cjIJVzP6eI_#05_flip',
  ])('accepts the real id form %s', (videoId) => {
    expect(assertSafeVideoId(videoId)).toBe(videoId);
  });

  it.each([
    '',
    '..',
    '../00000028',
    'a/b',
    'a\\b',
    '/etc/passwd',
    'C:\\x',
    'C:x',
    '.hidden',
    'a\0b',
    'x y',
  ])('rejects %j', (videoId) => {
    expect(isSafeVideoId(videoId)).toBe(false);
    expect(() => assertSafeVideoId(videoId)).toThrow(/unsafe video id/);
  });

  it('never accepts an id holding a path separator or ".."', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom('/', '\\', '..'),
        fc.string(),
        (before, danger, after) => {
          expect(isSafeVideoId(`${before}${danger}${after}`)).toBe(false);
        },
      ),
    );
  });
});
