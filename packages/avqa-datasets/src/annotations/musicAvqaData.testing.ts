import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real MUSIC-AVQA annotations, read in place at <repo root>/../shared/data/music-avqa
 * (never copied into the repository). Tests using them fail, not skip, when it is missing.
 */
export const MUSIC_AVQA_ROOT = fileURLToPath(
  new URL('../../../../../shared/data/music-avqa', import.meta.url),
);

export function musicAvqaFile(relativePath: string): string {
  const path = join(MUSIC_AVQA_ROOT, relativePath);
  if (!existsSync(path)) {
    throw new Error(
      `real MUSIC-AVQA data missing: ${path} (expected at <repo root>/../shared/data/music-avqa)`,
    );
  }
  return path;
}
