/**
 * The real MUSIC-AVQA annotations for tests: found through SPARSIFY_MUSIC_AVQA_DIR (default
 * <repo root>/../shared/data/music-avqa), skipped with the reason where absent. See
 * vitest.real-data.ts at the repository root.
 */
export {
  describeWithRealData,
  itWithRealData,
  MUSIC_AVQA_DIR,
  musicAvqaFile,
} from '../../../vitest.real-data.js';
