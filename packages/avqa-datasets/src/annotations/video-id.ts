/**
 * Video ids become file names under a media or feature root (`<root>/<id>.mp4`,
 * `feats/vggish/<id>.npy`), so an id must never be able to name a path outside it.
 * The real ids are 8 digits, sa/va/vv/esa/eva/evv + 8 digits, 11-character YouTube ids,
 * `<id>_flip` and `<id>_#02`..`_#05`: letters, digits, `_`, `-`, `#` (and `.` inside).
 */
const SAFE_VIDEO_ID = /^[A-Za-z0-9_#-][A-Za-z0-9_#.-]*$/;

/** Why `videoId` is unsafe as a file name, or null when it is safe. */
export function videoIdProblem(videoId: string): string | null {
  if (videoId.length === 0) return 'is empty';
  if (videoId.includes('..')) return `"${videoId}" contains ".." and could escape the media root`;
  if (/[/\\]/.test(videoId))
    return `"${videoId}" contains a path separator and could escape the media root`;
  if (!SAFE_VIDEO_ID.test(videoId)) {
    return `"${videoId}" has characters outside [A-Za-z0-9_#.-] (an absolute path, drive letter or control character could escape the media root)`;
  }
  return null;
}

export function isSafeVideoId(videoId: string): boolean {
  return videoIdProblem(videoId) === null;
}

/** Throws when `videoId` could escape a media root; returns it otherwise. */
export function assertSafeVideoId(videoId: string): string {
  const problem = videoIdProblem(videoId);
  if (problem !== null) throw new Error(`unsafe video id: ${problem}`);
  return videoId;
}
