import { join } from 'node:path';
import type { MediaFiles } from '../media/decode.js';

/**
 * Where the synthetic benchmark puts things under its output directory: the MUSIC-AVQA
 * annotation names (json/avqa-{train,val,test}.json), the raw videos as <id>.mp4, and the
 * LAVisH / DG-SCT frames-folder + wav layout (frames/<id>/000001.png, audio/<id>.wav).
 */
export const SYNTH_LAYOUT = {
  annotations: (split: SplitName) => join('json', `avqa-${split}.json`),
  video: (videoId: string) => join('videos', `${videoId}.mp4`),
  framesDir: (videoId: string) => join('frames', videoId),
  frame: (videoId: string, second: number) =>
    join('frames', videoId, `${String(second + 1).padStart(6, '0')}.png`),
  wav: (videoId: string) => join('audio', `${videoId}.wav`),
  scenes: 'scenes.json',
} as const;

export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/**
 * 'features' writes stand-ins for the community's pre-extracted features in their layout
 * (feats/vggish, feats/res18_14x14, feats/clip_vit_l14; see synthetic-features.ts).
 */
export type SyntheticMedia = 'mp4' | 'frames+wav' | 'features' | 'none';

/** The media files of one generated video, for decodeMedia / prepareDataset. */
export function syntheticMediaFiles(
  out: string,
  videoId: string,
  media: 'mp4' | 'frames+wav',
): MediaFiles {
  return media === 'mp4'
    ? { kind: 'mp4', path: join(out, SYNTH_LAYOUT.video(videoId)) }
    : {
        kind: 'frames+wav',
        framesDir: join(out, SYNTH_LAYOUT.framesDir(videoId)),
        wavPath: join(out, SYNTH_LAYOUT.wav(videoId)),
      };
}
