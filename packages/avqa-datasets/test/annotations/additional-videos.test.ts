import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAdditionalVideosCsv } from '../../src/annotations/additional-videos.js';
import { itWithRealData, musicAvqaFile } from '../music-avqa-data.js';

describe('parseAdditionalVideosCsv', () => {
  itWithRealData('reads the real v2.0 CSV despite its BOM', async () => {
    const path = musicAvqaFile('v2/MUSIC-AVQA-v2.0_additional_videos.csv');
    const videos = parseAdditionalVideosCsv(await readFile(path, 'utf8'), path);
    // Counted with wc -l / cut | sort | uniq -c: 1,040 rows, 190 with a flipped copy.
    expect(videos).toHaveLength(1040);
    expect(videos.filter((video) => video.hasFlip)).toHaveLength(190);
    expect(videos.find((video) => video.videoId === '6cjIJVzP6eI_#02')).toEqual({
      videoId: '6cjIJVzP6eI_#02',
      youtubeId: '6cjIJVzP6eI',
      suffix: '_#02',
      startSeconds: 414,
      durationSeconds: 60,
      hasFlip: true,
    });
  });

  it('names the row and column of a bad cell', () => {
    const csv =
      '\uFEFFvideo_id,start_time,duration,suffix,has_flip\nabc,0:00,1:00,,Y\nabd,zero,1:00,,N\n';
    expect(() => parseAdditionalVideosCsv(csv, 'v.csv')).toThrow(
      'v.csv, record 1, field "start_time": expected m:ss, got "zero"',
    );
    expect(() => parseAdditionalVideosCsv('a,b\n', 'v.csv')).toThrow(/v.csv, field "header"/);
  });
});
