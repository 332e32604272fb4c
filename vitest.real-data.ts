import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/**
 * Where tests find the real MUSIC-AVQA annotations (never copied into the repository):
 * $SPARSIFY_MUSIC_AVQA_DIR, else ../shared/data/music-avqa beside the repository root.
 * Where the folder is absent, the tests that read it are skipped with the reason in their
 * title (`.ci/test-totals.mjs` prints it); SPARSIFY_REQUIRE_REAL_DATA=1 (set by `.ci/run`)
 * runs them anyway, so they fail instead of silently skipping.
 */
export const MUSIC_AVQA_DIR_ENV = 'SPARSIFY_MUSIC_AVQA_DIR';
export const REQUIRE_REAL_DATA_ENV = 'SPARSIFY_REQUIRE_REAL_DATA';

const REPO_ROOT = fileURLToPath(new URL('.', import.meta.url));

export const MUSIC_AVQA_DIR = resolve(
  REPO_ROOT,
  process.env[MUSIC_AVQA_DIR_ENV] || '../shared/data/music-avqa',
);

const HOW_TO_GET =
  `set ${MUSIC_AVQA_DIR_ENV} to a folder holding the MUSIC-AVQA annotations ` +
  '(v1/json, v1/json_update, v2, vocab, related: from GeWu-Lab/MUSIC-AVQA and DragonLiu1995/MUSIC-AVQA-v2.0; see README, "Tests")';

export const REAL_DATA_AVAILABLE = existsSync(MUSIC_AVQA_DIR);

/** Why real-data tests do not run here, or null when they do. */
export const REAL_DATA_SKIP_REASON =
  REAL_DATA_AVAILABLE || process.env[REQUIRE_REAL_DATA_ENV] === '1'
    ? null
    : `no real MUSIC-AVQA data at ${MUSIC_AVQA_DIR}; ${HOW_TO_GET}`;

/** A path inside the real data; a missing file fails the test, naming the setting. */
export function musicAvqaFile(relativePath: string): string {
  const path = join(MUSIC_AVQA_DIR, relativePath);
  if (!existsSync(path)) {
    throw new Error(`real MUSIC-AVQA data missing: ${path}; ${HOW_TO_GET}`);
  }
  return path;
}

let noted = false;
/** Says once per test file, in the test command's output, why its real-data tests skip. */
function noteSkip(): void {
  if (noted || REAL_DATA_SKIP_REASON === null) return;
  noted = true;
  console.warn(`real-data tests skipped: ${REAL_DATA_SKIP_REASON}`);
}

/**
 * A describe block of tests that read the real data: skipped, with the reason in its title,
 * where the data is absent (unless SPARSIFY_REQUIRE_REAL_DATA=1).
 */
export function describeWithRealData(name: string, body: () => void): void {
  noteSkip();
  if (REAL_DATA_SKIP_REASON === null) describe(name, body);
  else describe.skip(`${name} — SKIPPED: ${REAL_DATA_SKIP_REASON}`, body);
}

/** One test that reads the real data: skipped, with the reason in its title, where absent. */
export function itWithRealData(name: string, body: () => unknown): void {
  noteSkip();
  if (REAL_DATA_SKIP_REASON === null) it(name, body);
  else it.skip(`${name} — SKIPPED: ${REAL_DATA_SKIP_REASON}`, body);
}
