import { describe, expect, it } from 'vitest';
import {
  AVQA_TYPES,
  type AvqaType,
  MODALITIES,
  type Modality,
} from '../../src/annotations/question-types.js';
import type { AccuracyCount, AvqaEvaluation } from '../../src/eval/evaluate.js';
import {
  formatResultsTable,
  RESULT_COLUMNS,
  resultsTableJson,
} from '../../src/eval/results-table.js';

function count(correct: number, total: number): AccuracyCount {
  return { correct, total, accuracy: total === 0 ? null : correct / total };
}

/** Type t (paper order) has 10 + t questions and t + 1 right; modalities and overall pooled. */
function evaluation(): AvqaEvaluation {
  const byType = Object.fromEntries(
    AVQA_TYPES.map((info, t) => [info.type, count(t + 1, 10 + t)]),
  ) as Record<AvqaType, AccuracyCount>;
  const pool = (types: AccuracyCount[]) =>
    count(
      types.reduce((sum, c) => sum + c.correct, 0),
      types.reduce((sum, c) => sum + c.total, 0),
    );
  const byModality = Object.fromEntries(
    MODALITIES.map((modality) => [
      modality,
      pool(
        AVQA_TYPES.filter((info) => info.modality === modality).map((info) => byType[info.type]),
      ),
    ]),
  ) as Record<Modality, AccuracyCount>;
  return {
    byType,
    byModality,
    overall: pool(Object.values(byType)),
    missing: { count: 0, recordIndices: [], questionIds: [] },
  };
}

describe('results table', () => {
  it("uses the paper's column order", () => {
    expect(RESULT_COLUMNS.map((column) => `${column.group}:${column.header}`)).toEqual([
      'Audio:Count',
      'Audio:Comp',
      'Audio:Avg',
      'Visual:Count',
      'Visual:Loc',
      'Visual:Avg',
      'Audio-Visual:Exist',
      'Audio-Visual:Count',
      'Audio-Visual:Loc',
      'Audio-Visual:Comp',
      'Audio-Visual:Temp',
      'Audio-Visual:Avg',
      ':Overall',
    ]);
  });

  it('formats named rows side by side in markdown', () => {
    const dense = evaluation();
    const sparse: AvqaEvaluation = { ...dense, overall: count(1, 3) };
    const table = formatResultsTable([
      { name: 'dense', evaluation: dense },
      { name: 'sparse', evaluation: sparse },
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toBe(
      '| Method | A Count | A Comp | A Avg | V Count | V Loc | V Avg | AV Exist | AV Count | AV Loc | AV Comp | AV Temp | AV Avg | Overall |',
    );
    expect(lines[1]).toBe('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    // Audio: 1/10, 2/11 -> 3/21; Visual 3/12, 4/13 -> 7/25; AV 5/14..9/18 -> 35/80; overall 45/126.
    expect(lines[2]).toBe(
      '| dense | 10.00 | 18.18 | 14.29 | 25.00 | 30.77 | 28.00 | 35.71 | 40.00 | 43.75 | 47.06 | 50.00 | 43.75 | 35.71 |',
    );
    expect(lines[3]?.endsWith('| 33.33 |')).toBe(true);
    expect(lines).toHaveLength(4);
  });

  it('aligns a text table under a group header and shows "-" for empty columns', () => {
    const empty = evaluation();
    empty.byType['Visual/Location'] = count(0, 0);
    const text = formatResultsTable([{ name: 'dense', evaluation: empty }], {
      format: 'text',
      digits: 1,
    });
    const [groups, headers, row] = text.split('\n');
    expect(groups?.trim().split(/\s{2,}/)).toEqual(['Audio', 'Visual', 'Audio-Visual']);
    expect(headers?.split(/\s+/)).toEqual([
      'Method',
      'Count',
      'Comp',
      'Avg',
      'Count',
      'Loc',
      'Avg',
      'Exist',
      'Count',
      'Loc',
      'Comp',
      'Temp',
      'Avg',
      'Overall',
    ]);
    expect(row?.split(/\s+/)[5]).toBe('-');
    expect(headers?.indexOf('Count', 20)).toBe(groups?.indexOf('Visual'));
  });

  it('exports JSON with percentages and counts per column id', () => {
    const json = resultsTableJson([{ name: 'dense', evaluation: evaluation() }]);
    expect(json.columns.map((column) => column.id)).toEqual(
      RESULT_COLUMNS.map((column) => column.id),
    );
    expect(json.rows[0]?.accuracy['audio-avg']).toBeCloseTo((100 * 3) / 21, 10);
    expect(json.rows[0]?.correct.overall).toBe(45);
    expect(json.rows[0]?.total['av-avg']).toBe(80);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
