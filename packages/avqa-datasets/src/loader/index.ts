export {
  type Batch,
  createDataLoader,
  type DataLoader,
  type DataLoaderOptions,
  type EpochOrder,
  type LoaderRecord,
} from './data-loader.js';
export {
  cacheSource,
  memorySource,
  syntheticSource,
  type VideoSampleSource,
} from './sample-sources.js';
export { uniformTimeSteps } from './time-steps.js';
