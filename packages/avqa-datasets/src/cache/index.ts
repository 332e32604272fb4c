export {
  type CacheOutcome,
  cacheEntryPath,
  loadOrBuildCacheEntry,
  readCacheEntry,
  sourceFingerprint,
  writeCacheEntry,
} from './cache-store.js';
export {
  CACHE_FORMAT_VERSION,
  CACHE_MAGIC,
  CacheEntryError,
  type CacheHeader,
  decodeCacheEntry,
  encodeCacheEntry,
} from './entry-format.js';
export {
  type PrepareDatasetOptions,
  type PrepareJob,
  type PrepareProgress,
  type PrepareSummary,
  prepareDataset,
} from './prepare-dataset.js';
export { preprocessRendered, preprocessVideo } from './preprocess-video.js';
export {
  DEFAULT_PREPROCESS_SETTINGS,
  type PreprocessSettings,
  type PreprocessSettingsInput,
  resolveSettings,
  settingsHash,
} from './settings.js';
export type { VideoSample } from './video-sample.js';
