import { existsSync, readFileSync } from 'node:fs';
import { decodeSafetensors } from '@sparsify/amuse-encoder';
import type { TrainConfig } from '../config/train-config.js';

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
 * The scenes a synthetic run has seen: its own benchmark (train, val and test videos) and,
 * when it started from a pretrained backbone whose file records its data (`sparsify
 * pretrain` writes `data` into the safetensors metadata) and is still readable, the
 * pretraining videos. Paths in config.json are as the user typed them, so an unreadable
 * backbone is skipped, not guessed at.
 */
export function scenesSeenBy(config: TrainConfig): SeenScenes[] {
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
  if (backbone && existsSync(backbone)) {
    const bytes = readFileSync(backbone);
    const { metadata } = decodeSafetensors(
      new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      backbone,
    );
    const data = metadata.data ? (JSON.parse(metadata.data) as Partial<SceneRange>) : null;
    const videos = (data as { videos?: unknown } | null)?.videos;
    if (data && typeof videos === 'number' && typeof data.seed === 'number') {
      seen.push({
        seed: data.seed,
        first: 0,
        count: videos,
        what: `the pretraining videos of its --init-from ${backbone}`,
      });
    }
  }
  return seen;
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
