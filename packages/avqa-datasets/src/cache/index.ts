export {
  type CacheOutcome,
  cacheEntryPath,
  loadOrBuildCacheEntry,
  readCacheEntry,
  sourceFingerprint,
  writeCacheEntry,
} from './cacheStore.js';
export {
  CACHE_FORMAT_VERSION,
  CACHE_MAGIC,
  CacheEntryError,
  type CacheHeader,
  decodeCacheEntry,
  encodeCacheEntry,
} from './entryFormat.js';
export {
  type MergeCacheOptions,
  type MergeCacheSummary,
  mergeCache,
} from './mergeCache.js';
export {
  type PrepareDatasetOptions,
  type PrepareJob,
  type PrepareProgress,
  type PrepareSummary,
  prepareDataset,
} from './prepareDataset.js';
export { preprocessRendered, preprocessVideo } from './preprocessVideo.js';
export {
  DEFAULT_PREPROCESS_SETTINGS,
  type PreprocessSettings,
  type PreprocessSettingsInput,
  resolveSettings,
  settingsHash,
} from './settings.js';
export { inShard, parseShard, type Shard, videoIdHash } from './shard.js';
export type { VideoSample } from './videoSample.js';
