import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAnnotationFile } from '../../src/annotations/read-annotation-file.js';

describe('readAnnotationFile', () => {
  const directories: string[] = [];
  afterAll(async () => {
    await Promise.all(
      directories.map((directory) => rm(directory, { recursive: true, force: true })),
    );
  });

  async function fileWith(text: string): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), 'avqa-json-'));
    directories.push(directory);
    const path = join(directory, 'avqa-val.json');
    await writeFile(path, text);
    return path;
  }

  it('names the file when the JSON is broken', async () => {
    const path = await fileWith('[{"video_id": "00000001",');
    await expect(readAnnotationFile(path)).rejects.toThrow(new RegExp(`^${path}: not valid JSON`));
  });

  it('reads a file with a UTF-8 BOM and names the file in record errors', async () => {
    const record = {
      video_id: '00000001',
      question_id: 1,
      type: '["Audio", "Counting"]',
      question_content: 'Is there a voiceover?',
      templ_values: '[]',
      anser: 'no',
    };
    const good = await fileWith(`\uFEFF${JSON.stringify([record])}`);
    expect((await readAnnotationFile(good)).records).toHaveLength(1);
    const bad = await fileWith(JSON.stringify([record, { ...record, video_id: '../x' }]));
    await expect(readAnnotationFile(bad)).rejects.toThrow(
      `${bad}, record 1, field "video_id": unsafe video id`,
    );
  });
});
