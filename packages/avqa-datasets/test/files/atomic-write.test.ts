import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/files/atomic-write.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-write-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes bytes and strings, creating the parent folder, and leaves no temporary file', async () => {
    await writeFileAtomic(join(dir, 'a', 'b.bin'), new Uint8Array([1, 2, 3]));
    await writeFileAtomic(join(dir, 'a', 'c.txt'), 'hello');
    expect([...(await readFile(join(dir, 'a', 'b.bin')))]).toEqual([1, 2, 3]);
    expect(await readFile(join(dir, 'a', 'c.txt'), 'utf8')).toBe('hello');
    expect((await readdir(join(dir, 'a'))).sort()).toEqual(['b.bin', 'c.txt']);
  });

  it('lets a step write the temporary path (a copy, an ffmpeg output) and renames it', async () => {
    let seen = '';
    await writeFileAtomic(join(dir, 'out.mp4'), async (temporary) => {
      seen = temporary;
      await writeFile(temporary, 'video');
    });
    expect(seen.startsWith(join(dir, 'out.mp4.'))).toBe(true);
    expect(seen.endsWith('.tmp')).toBe(true);
    expect(await readFile(join(dir, 'out.mp4'), 'utf8')).toBe('video');
    expect(await readdir(dir)).toEqual(['out.mp4']);
  });

  it('keeps the old file and removes the half-written temporary when the step fails', async () => {
    const path = join(dir, 'entry.bin');
    await writeFile(path, 'old');
    await expect(
      writeFileAtomic(path, async (temporary) => {
        await writeFile(temporary, 'half');
        throw new Error('ffmpeg died');
      }),
    ).rejects.toThrow('ffmpeg died');
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['entry.bin']);
  });

  it('gives concurrent writers of one path distinct temporaries', async () => {
    const path = join(dir, 'same.txt');
    const temporaries = new Set<string>();
    await Promise.all(
      ['x', 'y', 'z'].map((text) =>
        writeFileAtomic(path, async (temporary) => {
          temporaries.add(temporary);
          await writeFile(temporary, text);
        }),
      ),
    );
    expect(temporaries.size).toBe(3);
    expect(['x', 'y', 'z']).toContain(await readFile(path, 'utf8'));
    expect(await readdir(dir)).toEqual(['same.txt']);
  });
});
