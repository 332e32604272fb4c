import { AnnotationError } from './annotation-error.js';
import { videoIdProblem } from './video-id.js';

/** One row of MUSIC-AVQA-v2.0_additional_videos.csv: a clip cut from a YouTube video. */
export interface AdditionalVideo {
  /** The id used in the annotation files: YouTube id + suffix (e.g. "6cjIJVzP6eI_#02"). */
  videoId: string;
  youtubeId: string;
  /** '' for the first clip of a video, '_#02'.. '_#05' for further clips of the same video. */
  suffix: string;
  startSeconds: number;
  durationSeconds: number;
  /** A mirrored copy `<videoId>_flip` (left/right answers swapped) exists too. */
  hasFlip: boolean;
}

const COLUMNS = ['video_id', 'start_time', 'duration', 'suffix', 'has_flip'];

/** Parses the v2.0 additional-videos CSV (it starts with a UTF-8 BOM; m:ss times). */
export function parseAdditionalVideosCsv(
  text: string,
  source = 'additional_videos.csv',
): AdditionalVideo[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split(',');
  if (header.join(',') !== COLUMNS.join(',')) {
    throw new AnnotationError(
      source,
      null,
      'header',
      `expected "${COLUMNS.join(',')}", got "${lines[0] ?? ''}"`,
    );
  }
  return lines.slice(1).map((line, row) => {
    const cells = line.split(',');
    const fail = (column: number, detail: string): never => {
      throw new AnnotationError(source, row, COLUMNS[column] ?? null, detail);
    };
    if (cells.length !== COLUMNS.length)
      fail(0, `expected ${COLUMNS.length} cells, got ${cells.length}`);
    const [youtubeId, start, duration, suffix, hasFlip] = cells as [
      string,
      string,
      string,
      string,
      string,
    ];
    const videoId = youtubeId + suffix;
    const unsafe = videoIdProblem(videoId);
    if (unsafe !== null) fail(0, `unsafe video id: ${unsafe}`);
    if (hasFlip !== 'Y' && hasFlip !== 'N') fail(4, `expected Y or N, got "${hasFlip}"`);
    return {
      videoId,
      youtubeId,
      suffix,
      startSeconds: clockSeconds(start) ?? fail(1, `expected m:ss, got "${start}"`),
      durationSeconds: clockSeconds(duration) ?? fail(2, `expected m:ss, got "${duration}"`),
      hasFlip: hasFlip === 'Y',
    };
  });
}

/** "m:ss" or "h:mm:ss" in seconds, or null when malformed. */
function clockSeconds(clock: string): number | null {
  if (!/^\d+(:\d{2}){1,2}$/.test(clock)) return null;
  return clock.split(':').reduce((seconds, part) => seconds * 60 + Number(part), 0);
}
