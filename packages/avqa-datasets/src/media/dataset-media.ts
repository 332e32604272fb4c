import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AvqaRecord } from '../annotations/avqa-record.js';
import { SYNTH_LAYOUT } from '../synth/layout.js';
import { type MediaFiles, mediaSeconds } from './decode.js';

/** The official clip length of MUSIC-AVQA videos: longer clips are cut to it. */
export const MUSIC_AVQA_SECONDS = 60;
/** Training videos whose length sets the clip length of a dataset folder. */
const CLIP_PROBE_VIDEOS = 8;

/**
 * Media of one video in a dataset folder (the official layout): videos/<id>.mp4 when it
 * exists, else the LAVisH / DG-SCT frames/<id>/ folder and audio/<id>.wav.
 */
export function datasetMediaFiles(root: string, videoId: string): MediaFiles {
  const mp4 = join(root, SYNTH_LAYOUT.video(videoId));
  if (existsSync(mp4)) return { kind: 'mp4', path: mp4 };
  return {
    kind: 'frames+wav',
    framesDir: join(root, SYNTH_LAYOUT.framesDir(videoId)),
    wavPath: join(root, SYNTH_LAYOUT.wav(videoId)),
  };
}

/**
 * The clip length a dataset folder is preprocessed at (training and preparing the cache
 * agree on it, so they share cache entries): the longest of the first 8 training videos in
 * whole seconds, at most the official 60. Assuming 60 s for shorter clips would pad them
 * with copies of their last second, and most of the time steps picked uniformly from the
 * padded clip would be that one second; clips shorter than the chosen length still repeat
 * their last second (the official rule). Videos whose media cannot be read are left out;
 * it throws, naming each, only when none can be read. The videos are probed concurrently.
 */
export async function datasetClipSeconds(
  root: string,
  trainRecords: readonly Pick<AvqaRecord, 'videoId'>[],
): Promise<number> {
  const videoIds = [...new Set(trainRecords.map((r) => r.videoId))].slice(0, CLIP_PROBE_VIDEOS);
  if (videoIds.length === 0)
    throw new Error(`${join(root, SYNTH_LAYOUT.annotations('train'))}: no training questions`);
  const probes = await Promise.all(
    videoIds.map(async (videoId) => {
      const media = datasetMediaFiles(root, videoId);
      try {
        return { seconds: await mediaSeconds(media) };
      } catch (error) {
        const path = media.kind === 'mp4' ? media.path : media.wavPath;
        return { failure: `video ${videoId} (${path}): ${(error as Error).message}` };
      }
    }),
  );
  const failures = probes.flatMap((probe) => (probe.failure === undefined ? [] : [probe.failure]));
  // A broken video is the cache's to report when it is prepared; only when none can be read is there no length.
  if (failures.length === videoIds.length) {
    throw new Error(
      `cannot read the clip length of any of the first training videos:\n  ${failures.join('\n  ')}`,
    );
  }
  const longest = Math.max(0, ...probes.map((probe) => probe.seconds ?? 0));
  return Math.min(MUSIC_AVQA_SECONDS, Math.max(1, Math.round(longest)));
}
