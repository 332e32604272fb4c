import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.js';
import type { VideoInputs } from '../loader/input-batch.js';

/**
 * A folder of many small videos' model inputs packed end to end: frames.u8 (bytes),
 * fbank.f32 (float32, little-endian) and media.json (the video ids in order and the caller's
 * own header fields). For a generated benchmark, where one file per video would cost more
 * than the video; media.json is written last, so its presence marks a complete folder.
 */
export const PACKED_FILES = {
  video: 'frames.u8',
  audio: 'fbank.f32',
  header: 'media.json',
} as const;

/** media.json: the caller's fields plus the video ids, in the order of the packed data. */
export type PackedHeader<H extends object> = H & { videoIds: string[] };

/** Reads media.json, or null when the folder holds no complete packed inputs. */
export function readPackedHeader<H extends object>(dir: string): PackedHeader<H> | null {
  const path = join(dir, PACKED_FILES.header);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as PackedHeader<H>;
}

/** Writes every video's inputs (each video the same size) and then media.json, atomically. */
export async function writePackedInputs<H extends object>(
  dir: string,
  header: PackedHeader<H>,
  video: Uint8Array,
  audio: Float32Array,
): Promise<void> {
  await writeFileAtomic(join(dir, PACKED_FILES.video), video);
  await writeFileAtomic(
    join(dir, PACKED_FILES.audio),
    new Uint8Array(audio.buffer, audio.byteOffset, audio.byteLength),
  );
  await writeFileAtomic(join(dir, PACKED_FILES.header), `${JSON.stringify(header)}\n`);
}

/**
 * The per-video inputs of a packed folder, checked against its ids and the sizes a model
 * expects: views into the packed arrays, read once.
 */
export function readPackedInputs(
  dir: string,
  videoIds: readonly string[],
  videoValues: number,
  audioValues: number,
): (videoId: string) => VideoInputs {
  const frames = new Uint8Array(readFileSync(join(dir, PACKED_FILES.video)));
  const fbankBytes = readFileSync(join(dir, PACKED_FILES.audio));
  const fbank = new Float32Array(
    fbankBytes.buffer.slice(fbankBytes.byteOffset, fbankBytes.byteOffset + fbankBytes.byteLength),
  );
  if (
    frames.length !== videoIds.length * videoValues ||
    fbank.length !== videoIds.length * audioValues
  ) {
    throw new Error(
      `${dir}: media files do not match media.json (delete the folder to rebuild it)`,
    );
  }
  const position = new Map(videoIds.map((id, i) => [id, i]));
  return (videoId) => {
    const i = position.get(videoId);
    if (i === undefined) throw new Error(`${dir}: no media for video ${videoId}`);
    return {
      video: frames.subarray(i * videoValues, (i + 1) * videoValues),
      audio: fbank.subarray(i * audioValues, (i + 1) * audioValues),
    };
  };
}
