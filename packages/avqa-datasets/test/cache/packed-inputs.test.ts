import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PACKED_FILES,
  readPackedHeader,
  readPackedInputs,
  writePackedInputs,
} from '../../src/cache/packed-inputs.js';

describe('packed inputs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'packed-')), 'cache');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('round-trip every video and the header, in the documented files', async () => {
    expect(readPackedHeader(dir)).toBeNull();
    const video = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const audio = Float32Array.from([0.5, -1, 2, 1e-8]);
    await writePackedInputs(dir, { version: 3, videoIds: ['x', 'y'] }, video, audio);
    expect((await readdir(dir)).sort()).toEqual(
      [PACKED_FILES.audio, PACKED_FILES.video, PACKED_FILES.header].sort(),
    );
    expect(readPackedHeader<{ version: number }>(dir)).toEqual({
      version: 3,
      videoIds: ['x', 'y'],
    });
    // fbank.f32 is the float32 bytes as they are (little-endian), as the trainer's cache always was.
    expect(new Uint8Array(await readFile(join(dir, PACKED_FILES.audio)))).toEqual(
      new Uint8Array(audio.buffer),
    );
    const lookup = readPackedInputs(dir, ['x', 'y'], 3, 2);
    expect(Array.from(lookup('y').video)).toEqual([4, 5, 6]);
    expect(Array.from(lookup('y').audio)).toEqual([2, Math.fround(1e-8)]);
    expect(() => lookup('z')).toThrow(`${dir}: no media for video z`);
  });

  it('refuses files whose sizes do not match the ids and the model geometry', async () => {
    await writePackedInputs(dir, { videoIds: ['x'] }, new Uint8Array(3), new Float32Array(2));
    expect(() => readPackedInputs(dir, ['x'], 4, 2)).toThrow(
      `${dir}: media files do not match media.json (delete the folder to rebuild it)`,
    );
    await writeFile(join(dir, PACKED_FILES.video), new Uint8Array(2));
    expect(() => readPackedInputs(dir, ['x'], 3, 2)).toThrow('media files do not match');
  });
});
