export {
  type AccuracyCount,
  type AvqaEvaluation,
  type AvqaPrediction,
  type AvqaPredictions,
  type EvaluateOptions,
  evaluatePredictions,
} from './evaluate.js';
export {
  type FormatResultsOptions,
  formatResultsTable,
  type NamedEvaluation,
  RESULT_COLUMNS,
  type ResultColumn,
  type ResultsTableJson,
  resultsTableJson,
} from './resultsTable.js';
