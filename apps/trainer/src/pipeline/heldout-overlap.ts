import { existsSync, readFileSync } from 'node:fs';
import { decodeSafetensors } from '@sparsify/amuse-encoder';
import type { TrainConfig } from '../config/train-config.js';
import { type PretrainingData, pretrainingDataOf } from '../train/init-from.js';

/** Scenes `first .. first + count - 1` of the generator at data seed `seed`. */
export interface SceneRange {
  seed: number;
  first: number;
  count: number;
}

/** Scenes a run has seen, and what they were for (named in the error). */
export interface SeenScenes extends SceneRange {
  what: string;
}

/**
 * The scenes a synthetic run has seen: its own benchmark (train, val and test videos) and
 * the pretraining videos of the backbone it started from (`--init-from`). Those come from
 * config.json's `initFromData`, recorded when the run started; a run from before that field
 * existed falls back to the file's metadata, if the path (as the user typed it, so relative
 * to the directory the run was started in) still reads. When neither says, `warn` is told
 * that the pretraining check was skipped, so a skipped check is never silent.
 */
export function scenesSeenBy(config: TrainConfig, warn?: (text: string) => void): SeenScenes[] {
  if (config.data.kind !== 'synthetic') return [];
  const seen: SeenScenes[] = [
    {
      seed: config.data.seed,
      first: 0,
      count: config.data.videos,
      what: 'its own train, val and test videos',
    },
  ];
  const backbone = config.initFrom;
  if (!backbone) return seen;
  // null is recorded: the file holds no pretraining data (a run's checkpoint).
  const data =
    config.initFromData !== undefined
      ? config.initFromData
      : existsSync(backbone)
        ? pretrainingDataIn(backbone)
        : undefined;
  if (data === undefined) {
    warn?.(
      `--init-from ${backbone}: config.json does not record its pretraining videos (initFromData) and the file does not read from ${process.cwd()}; the held-out set is checked against the run's own videos only`,
    );
  } else if (data) {
    seen.push({
      seed: data.seed,
      first: 0,
      count: data.videos,
      what: `the pretraining videos of its --init-from ${backbone}`,
    });
  }
  return seen;
}

/** A backbone file's recorded pretraining videos (null: it records none). */
function pretrainingDataIn(path: string): PretrainingData | null {
  const bytes = readFileSync(path);
  const { metadata } = decodeSafetensors(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    path,
  );
  return pretrainingDataOf(metadata);
}

/** Why `heldout` shares scenes with one of `seen`, or null when it is disjoint from all. */
export function heldoutOverlap(heldout: SceneRange, seen: readonly SeenScenes[]): string | null {
  const last = heldout.first + heldout.count - 1;
  for (const range of seen) {
    if (range.seed !== heldout.seed) continue;
    const rangeLast = range.first + range.count - 1;
    if (heldout.first <= rangeLast && range.first <= last) {
      return `held-out scenes ${heldout.first}..${last} (data seed ${heldout.seed}) overlap ${range.what}, scenes ${range.first}..${rangeLast} of that seed`;
    }
  }
  return null;
}
