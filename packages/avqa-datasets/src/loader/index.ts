export {
  type Batch,
  createDataLoader,
  type DataLoader,
  type DataLoaderOptions,
  type EpochOrder,
  type LoaderRecord,
} from './dataLoader.js';
export {
  cacheSource,
  memorySource,
  syntheticSource,
  type VideoSampleSource,
} from './sampleSources.js';
export { uniformTimeSteps } from './timeSteps.js';
