import type { AvqaType, Modality } from '../annotations/question-types.js';
import type { AccuracyCount, AvqaEvaluation } from './evaluate.js';

/** One column of the paper's results table. */
export interface ResultColumn {
  /** Stable id used as the JSON key, e.g. 'av-temp'. */
  id: string;
  group: 'Audio' | 'Visual' | 'Audio-Visual' | '';
  header: string;
  pick: (evaluation: AvqaEvaluation) => AccuracyCount;
}

const byType = (type: AvqaType) => (evaluation: AvqaEvaluation) => evaluation.byType[type];
const byModality = (modality: Modality) => (evaluation: AvqaEvaluation) =>
  evaluation.byModality[modality];

/** The paper's column order: Audio (Count, Comp, Avg), Visual (Count, Loc, Avg), AV (Exist, Count, Loc, Comp, Temp, Avg), Overall. */
export const RESULT_COLUMNS: readonly ResultColumn[] = Object.freeze([
  { id: 'audio-count', group: 'Audio', header: 'Count', pick: byType('Audio/Counting') },
  { id: 'audio-comp', group: 'Audio', header: 'Comp', pick: byType('Audio/Comparative') },
  { id: 'audio-avg', group: 'Audio', header: 'Avg', pick: byModality('Audio') },
  { id: 'visual-count', group: 'Visual', header: 'Count', pick: byType('Visual/Counting') },
  { id: 'visual-loc', group: 'Visual', header: 'Loc', pick: byType('Visual/Location') },
  { id: 'visual-avg', group: 'Visual', header: 'Avg', pick: byModality('Visual') },
  {
    id: 'av-exist',
    group: 'Audio-Visual',
    header: 'Exist',
    pick: byType('Audio-Visual/Existential'),
  },
  { id: 'av-count', group: 'Audio-Visual', header: 'Count', pick: byType('Audio-Visual/Counting') },
  { id: 'av-loc', group: 'Audio-Visual', header: 'Loc', pick: byType('Audio-Visual/Location') },
  {
    id: 'av-comp',
    group: 'Audio-Visual',
    header: 'Comp',
    pick: byType('Audio-Visual/Comparative'),
  },
  { id: 'av-temp', group: 'Audio-Visual', header: 'Temp', pick: byType('Audio-Visual/Temporal') },
  { id: 'av-avg', group: 'Audio-Visual', header: 'Avg', pick: byModality('Audio-Visual') },
  { id: 'overall', group: '', header: 'Overall', pick: (evaluation) => evaluation.overall },
]);

/** A named row of the table, e.g. { name: 'dense', evaluation } and { name: 'sparse', evaluation }. */
export interface NamedEvaluation {
  name: string;
  evaluation: AvqaEvaluation;
}

export interface ResultsTableJson {
  columns: { id: string; group: string; header: string }[];
  rows: {
    name: string;
    /** Accuracy in percent per column id (null when the column has no question). */
    accuracy: Record<string, number | null>;
    correct: Record<string, number>;
    total: Record<string, number>;
    missingPredictions: number;
  }[];
}

/** The table as JSON (accuracies in percent, unrounded; counts alongside). */
export function resultsTableJson(rows: readonly NamedEvaluation[]): ResultsTableJson {
  return {
    columns: RESULT_COLUMNS.map(({ id, group, header }) => ({ id, group, header })),
    rows: rows.map(({ name, evaluation }) => {
      const cells = RESULT_COLUMNS.map((column) => [column.id, column.pick(evaluation)] as const);
      return {
        name,
        accuracy: Object.fromEntries(
          cells.map(([id, count]) => [id, count.accuracy === null ? null : 100 * count.accuracy]),
        ),
        correct: Object.fromEntries(cells.map(([id, count]) => [id, count.correct])),
        total: Object.fromEntries(cells.map(([id, count]) => [id, count.total])),
        missingPredictions: evaluation.missing.count,
      };
    }),
  };
}

const GROUP_PREFIX: Record<ResultColumn['group'], string> = {
  Audio: 'A',
  Visual: 'V',
  'Audio-Visual': 'AV',
  '': '',
};

export interface FormatResultsOptions {
  /** 'markdown' (default): a GitHub table; 'text': aligned columns with a group header line for terminals. */
  format?: 'markdown' | 'text';
  /** Decimals of the percentages (the official scorer prints 2). */
  digits?: number;
}

/**
 * Several named evaluations side by side in the paper's column order, accuracies in percent,
 * e.g. formatResultsTable([{ name: 'dense', evaluation: a }, { name: 'sparse', evaluation: b }]).
 */
export function formatResultsTable(
  rows: readonly NamedEvaluation[],
  options: FormatResultsOptions = {},
): string {
  const digits = options.digits ?? 2;
  const cell = (count: AccuracyCount) =>
    count.accuracy === null ? '-' : (100 * count.accuracy).toFixed(digits);
  const body = rows.map(({ name, evaluation }) => [
    name,
    ...RESULT_COLUMNS.map((column) => cell(column.pick(evaluation))),
  ]);
  if ((options.format ?? 'markdown') === 'markdown') {
    const headers = [
      'Method',
      ...RESULT_COLUMNS.map((column) => `${GROUP_PREFIX[column.group]} ${column.header}`.trim()),
    ];
    return [
      `| ${headers.join(' | ')} |`,
      `|${['---', ...RESULT_COLUMNS.map(() => '---:')].join('|')}|`,
      ...body.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
  }
  const headers = ['Method', ...RESULT_COLUMNS.map((column) => column.header)];
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...body.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((text, column) =>
        column === 0 ? text.padEnd(widths[0] ?? 0) : text.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  // Each group label spans the columns of its group, like the paper's two-row header.
  const groupCells = [' '.repeat(widths[0] ?? 0)];
  for (let first = 0; first < RESULT_COLUMNS.length; ) {
    const group = RESULT_COLUMNS[first]?.group;
    let end = first;
    while (end < RESULT_COLUMNS.length && RESULT_COLUMNS[end]?.group === group) end += 1;
    const span = widths.slice(first + 1, end + 1).reduce((sum, width) => sum + width + 2, -2);
    groupCells.push((group ?? '').padEnd(span));
    first = end;
  }
  const groupText = groupCells.join('  ').trimEnd();
  return [groupText, line(headers), ...body.map(line)].join('\n');
}
