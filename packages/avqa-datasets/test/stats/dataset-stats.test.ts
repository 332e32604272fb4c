import { describe, expect, it } from 'vitest';
import { parseAnnotations } from '../../src/annotations/parse-annotations.js';
import { readAnnotationFile } from '../../src/annotations/read-annotation-file.js';
import { datasetStats, formatDatasetStats } from '../../src/stats/dataset-stats.js';
import { describeWithRealData, musicAvqaFile } from '../music-avqa-data.js';

describeWithRealData('datasetStats on the real files', () => {
  it('counts v1 val and its video overlap with test (split by question, not by video)', async () => {
    const val = await readAnnotationFile(musicAvqaFile('v1/json/avqa-val.json'), {
      duplicates: 'keep-all',
    });
    const test = await readAnnotationFile(musicAvqaFile('v1/json/avqa-test.json'), {
      duplicates: 'keep-all',
    });
    const stats = datasetStats(val.records, { otherSplits: { test: test.records } });
    // Counted with python3: 4,595 questions on 3,815 videos, 2,296 of them also in test (2,642 val questions).
    expect(stats).toMatchObject({
      questions: 4595,
      videos: 3815,
      minTokens: 4,
      maxTokens: 14,
      questionsWithoutId: 0,
    });
    expect(stats.byModality).toEqual({ Audio: 814, Visual: 1214, 'Audio-Visual': 2567 });
    expect(stats.byType['Audio-Visual/Temporal']).toBe(414);
    expect(stats.answers.slice(0, 3)).toEqual([
      ['yes', 1203],
      ['no', 871],
      ['two', 442],
    ]);
    expect(stats.answers).toHaveLength(41);
    expect(stats.tokenLengths.map(([tokens]) => tokens)).toEqual([
      4, 5, 6, 7, 8, 9, 10, 11, 13, 14,
    ]);
    expect(stats.duplicates).toHaveLength(27);
    expect(stats.videoOverlap.test).toEqual({
      sharedVideos: 2296,
      fraction: 2296 / 3815,
      questionsOnSharedVideos: 2642,
    });
  });

  it("confirms TSPM's val/test split is video-disjoint and uses the loader's duplicate report", async () => {
    const val = await readAnnotationFile(musicAvqaFile('related/music_avqa_val.json'));
    const test = await readAnnotationFile(musicAvqaFile('related/music_avqa_test.json'));
    expect(
      datasetStats(val.records, { otherSplits: { test: test.records } }).videoOverlap.test
        ?.sharedVideos,
    ).toBe(0);
    const original = await readAnnotationFile(musicAvqaFile('v1/json/avqa-test.json'));
    expect(datasetStats(original.records).duplicates).toEqual([]);
    expect(
      datasetStats(original.records, { duplicates: original.duplicates }).duplicates,
    ).toHaveLength(55);
  });
});

describe('formatDatasetStats', () => {
  it('prints every section', () => {
    const { records, duplicates } = parseAnnotations(
      [
        {
          video_id: '1',
          question_id: 1,
          type: '["Audio", "Counting"]',
          question_content: 'Is there a voiceover?',
          templ_values: '[]',
          anser: 'no',
        },
        {
          video_id: '1',
          question_id: 1,
          type: '["Audio", "Counting"]',
          question_content: 'Is there a voiceover?',
          templ_values: '[]',
          anser: 'yes',
        },
        {
          video_id: '2',
          type: '["Visual", "Counting"]',
          question_content: 'How many instruments are sounding in the video?',
          templ_values: '[]',
          anser: 'two',
        },
      ],
      { duplicates: 'keep-all' },
    );
    const text = formatDatasetStats(
      datasetStats(records, { otherSplits: { train: records.slice(2) } }),
      'toy',
    );
    expect(text).toContain('toy: 3 questions on 2 videos');
    expect(text).toContain('1 questions without question_id');
    expect(text).toMatch(/ {4}Counting +2 +66\.7%/);
    expect(text).toContain('Answers (3 distinct):');
    expect(text).toContain('Question length in tokens (4..8):');
    expect(text).toContain('Duplicated question ids: 1 (1 with conflicting answers)');
    expect(text).toContain('question_id 1 at records 0, 1 (answers differ)');
    expect(text).toMatch(/train +1 videos \(50\.0%\), 1 questions/);
    expect(duplicates).toHaveLength(1);
  });
});
