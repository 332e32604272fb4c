import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAnnotationFile } from '@sparsify/avqa-datasets';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithRealData, MUSIC_AVQA_DIR } from '../../../vitest.real-data.js';
import { runCli, tempDir } from './fixtures.js';

type Event = Record<string, unknown> & { event: string };

const sparsify = async (args: string[]) => (await runCli(args)).events;

// Records per file (every copy of a repeated question_id kept) and records without a
// question_id: the counts avqa-datasets' realFiles.test.ts checks, counted there with python3.
const FILES: { path: string; records: number; withoutId: number }[] = [
  { path: 'v1/json/avqa-val.json', records: 4595, withoutId: 0 },
  { path: 'v1/json/avqa-test.json', records: 9185, withoutId: 0 },
  { path: 'v1/json/avqa-train_fake.json', records: 6233, withoutId: 0 },
  { path: 'v1/json/avqa-val_real.json', records: 3698, withoutId: 0 },
  { path: 'v1/json/avqa-val_fake.json', records: 897, withoutId: 0 },
  { path: 'v1/json/avqa-test_real.json', records: 7402, withoutId: 0 },
  { path: 'v1/json/avqa-test_fake.json', records: 1783, withoutId: 0 },
  { path: 'v1/json_update/avqa-val.json', records: 4568, withoutId: 0 },
  { path: 'v1/json_update/avqa-test.json', records: 9129, withoutId: 0 },
  { path: 'v2/test_balance.json', records: 10819, withoutId: 1724 },
  { path: 'v2/test_bias.json', records: 9119, withoutId: 600 },
  { path: 'related/music_avqa_val.json', records: 4571, withoutId: 0 },
  { path: 'related/music_avqa_test.json', records: 9125, withoutId: 0 },
];

const dir = tempDir('eval-predictions');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Scored = { scored: number; missing: number; table: unknown };
const resultOf = (events: Event[]) => events.find((e) => e.event === 'result') as Event & Scored;

describeWithRealData('sparsify eval --predictions on the 13 real annotation files', () => {
  it.each(FILES)(
    '$path: every record scored under keep-all',
    async ({ path, records, withoutId }) => {
      const annotations = join(MUSIC_AVQA_DIR, path);
      const set = await readAnnotationFile(annotations, { duplicates: 'keep-all' });
      expect(set.records).toHaveLength(records);
      expect(set.missingQuestionIds).toBe(withoutId);
      // One answer per record in file order: the right one, except every third is "zero"
      // (or "one" where "zero" is right), so the accuracy is neither 0 nor 1.
      const answers = set.records.map((record, i) =>
        i % 3 === 2 ? (record.answer === 'zero' ? 'one' : 'zero') : record.answer,
      );
      const predictions = join(dir, path.replaceAll('/', '_'));
      writeFileSync(predictions, JSON.stringify(answers));
      const events = await sparsify([
        'eval',
        '--annotations',
        annotations,
        '--predictions',
        predictions,
        '--duplicates',
        'keep-all',
      ]);
      const result = resultOf(events);
      expect(result).toMatchObject({ scored: records, missing: 0, duplicatePolicy: 'keep-all' });
      const wrong = Math.floor(records / 3);
      const [row] = (
        result.table as {
          rows: { correct: Record<string, number>; total: Record<string, number> }[];
        }
      ).rows;
      expect(row?.total.overall).toBe(records);
      expect(row?.correct.overall).toBe(records - wrong);

      if (withoutId > 0) {
        // Keyed by question_id, the records without one cannot be answered: the array form can.
        const keyed = Object.fromEntries(
          set.records.filter((r) => r.questionId !== null).map((r) => [r.questionId, r.answer]),
        );
        writeFileSync(`${predictions}.keyed`, JSON.stringify(keyed));
        const byId = resultOf(
          await sparsify([
            'eval',
            '--annotations',
            annotations,
            '--predictions',
            `${predictions}.keyed`,
            '--duplicates',
            'keep-all',
          ]),
        );
        expect(byId).toMatchObject({ scored: records, missing: withoutId });
      }
    },
  );

  it('keep-first scores the 9,130 distinct ids of v1 test, keep-all the official 9,185', async () => {
    const annotations = join(MUSIC_AVQA_DIR, 'v1/json/avqa-test.json');
    const set = await readAnnotationFile(annotations, { duplicates: 'keep-all' });
    const predictions = join(dir, 'v1-test-right.json');
    writeFileSync(predictions, JSON.stringify(set.records.map((r) => r.answer)));
    const scored = async (policy: string) =>
      resultOf(
        await sparsify([
          'eval',
          '--annotations',
          annotations,
          '--predictions',
          predictions,
          '--duplicates',
          policy,
        ]),
      ).scored;
    expect(await scored('keep-all')).toBe(9185);
    expect(await scored('keep-first')).toBe(9130);
    expect(await scored('drop')).toBeLessThan(9130);
  });
});

describe('sparsify eval --predictions errors', () => {
  it('names the file and the expected length', async () => {
    const annotations = join(dir, 'two.json');
    const record = {
      video_id: '00000001',
      question_id: 1,
      type: '["Audio", "Counting"]',
      question_content: 'How many instruments are sounding in the video?',
      templ_values: '[]',
      question_deleted: 0,
      anser: 'two',
    };
    writeFileSync(annotations, JSON.stringify([record, { ...record, question_id: 2 }]));
    const predictions = join(dir, 'one.json');
    writeFileSync(predictions, JSON.stringify(['two']));
    await expect(
      sparsify(['eval', '--annotations', annotations, '--predictions', predictions]),
    ).rejects.toThrow(
      `--predictions: ${predictions}: an array of predictions needs one entry per record of the annotation file (2), got 1`,
    );
    writeFileSync(predictions, JSON.stringify(['two', 1.5]));
    await expect(
      sparsify(['eval', '--annotations', annotations, '--predictions', predictions]),
    ).rejects.toThrow('entry 1 must be an answer string, a label (integer >= 0) or null, got 1.5');
    writeFileSync(predictions, JSON.stringify({ 1: 'two', 2: 'one' }));
    const result = resultOf(
      await sparsify(['eval', '--annotations', annotations, '--predictions', predictions]),
    );
    expect(result).toMatchObject({ scored: 2, missing: 0 });
  });
});
