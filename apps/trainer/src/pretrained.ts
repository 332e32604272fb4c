import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The perception-pretrained `tiny` backbone shipped with the trainer (see assets/README.md). */
export const TINY_BACKBONE_FILE = 'backbone-tiny.safetensors';

/**
 * Where the shipped backbone is: apps/trainer/assets/, found from the built CLI (dist/) and
 * from the sources (src/, src/commands/) alike. Null when it is missing (e.g. a trimmed install).
 */
export function shippedBackbonePath(file = TINY_BACKBONE_FILE): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', join('..', '..')]) {
    const candidate = join(here, up, 'assets', file);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}
