import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetClipSeconds, datasetMediaFiles } from '../../src/media/dataset-media.js';
import { encodeWav } from '../../src/media/wav.js';

// Clip lengths are read from the wav header (frames+wav layout): no ffmpeg needed.
let root: string;
const RATE = 1000;

async function writeWav(videoId: string, seconds: number) {
  await mkdir(join(root, 'audio'), { recursive: true });
  await writeFile(
    join(root, 'audio', `${videoId}.wav`),
    encodeWav(new Float32Array(Math.round(seconds * RATE)), RATE),
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'avqa-dataset-media-'));
  await mkdir(join(root, 'videos'), { recursive: true });
  await writeFile(join(root, 'videos', 'has-mp4.mp4'), 'not decoded here');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('datasetMediaFiles', () => {
  it('takes videos/<id>.mp4 when it exists, else frames/<id>/ and audio/<id>.wav', () => {
    expect(datasetMediaFiles(root, 'has-mp4')).toEqual({
      kind: 'mp4',
      path: join(root, 'videos', 'has-mp4.mp4'),
    });
    expect(datasetMediaFiles(root, 'no-mp4')).toEqual({
      kind: 'frames+wav',
      framesDir: join(root, 'frames', 'no-mp4'),
      wavPath: join(root, 'audio', 'no-mp4.wav'),
    });
  });
});

describe('datasetClipSeconds', () => {
  const records = (...ids: string[]) => ids.map((videoId) => ({ videoId }));

  it('is the longest of the first 8 training videos, rounded, from 1 to 60 s', async () => {
    await writeWav('a', 3.2);
    await writeWav('b', 4.6);
    await writeWav('c', 61);
    await writeWav('d', 0.2);
    expect(await datasetClipSeconds(root, records('a', 'a', 'b'))).toBe(5);
    expect(await datasetClipSeconds(root, records('a', 'c'))).toBe(60);
    expect(await datasetClipSeconds(root, records('d'))).toBe(1);
    // Only the first 8 distinct videos are probed: the 61 s ninth one does not count.
    const eight = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8'];
    for (const id of eight) await writeWav(id, 2);
    expect(await datasetClipSeconds(root, records(...eight, 'c'))).toBe(2);
  });

  it('leaves out videos it cannot read, and names every one when none can be read', async () => {
    expect(await datasetClipSeconds(root, records('missing', 'a'))).toBe(3);
    await expect(datasetClipSeconds(root, records('missing', 'gone'))).rejects.toThrow(
      /cannot read the clip length of any of the first training videos:\n {2}video missing \(.*missing\.wav\): .*\n {2}video gone \(/,
    );
    await expect(datasetClipSeconds(root, [])).rejects.toThrow(
      /avqa-train\.json: no training questions/,
    );
  });
});
