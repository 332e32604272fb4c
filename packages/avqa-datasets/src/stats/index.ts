export {
  type DatasetStats,
  type DatasetStatsOptions,
  datasetStats,
  formatDatasetStats,
  type VideoOverlap,
} from './datasetStats.js';
