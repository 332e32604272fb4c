import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

let cached: string | undefined;

/**
 * The ffmpeg binary to run: $FFMPEG_PATH, else the static build that the optional
 * dependency @ffmpeg-installer/ffmpeg ships, else `ffmpeg` on PATH.
 */
export async function resolveFfmpeg(): Promise<string> {
  if (cached) return cached;
  const fromEnv = process.env.FFMPEG_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`FFMPEG_PATH=${fromEnv} is not an executable file`);
    cached = fromEnv;
    return fromEnv;
  }
  try {
    const installer = (await import('@ffmpeg-installer/ffmpeg')) as {
      path?: string;
      default?: { path?: string };
    };
    const path = installer.path ?? installer.default?.path;
    if (path && isExecutable(path)) {
      cached = path;
      return path;
    }
  } catch {
    // The optional dependency is absent (or has no binary for this platform): try PATH.
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    if (isExecutable(candidate)) {
      cached = candidate;
      return candidate;
    }
  }
  throw new Error(
    'ffmpeg not found: set FFMPEG_PATH, install the optional dependency @ffmpeg-installer/ffmpeg, or put ffmpeg on PATH',
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Threads each ffmpeg this thread starts may use (0 = ffmpeg's choice: about one per core).
 * prepareDataset's workers take it from its `ffmpegThreads` option. Per thread: a worker's
 * setting does not change the main thread's.
 */
let ffmpegThreads = 0;

export function setFfmpegThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 0))
    throw new Error(`ffmpeg threads must be a non-negative integer, got ${threads}`);
  ffmpegThreads = threads;
}

/**
 * ffmpegs this thread runs at once (Infinity: no limit). A prepare worker with single-threaded
 * ffmpegs sets 1, so it is one pipeline on one core: a video's frames, then its audio, then
 * its fbank, never two of them at once. Per thread, like the threads.
 */
let concurrencyLimit = Number.POSITIVE_INFINITY;
let running = 0;
const waiting: (() => void)[] = [];

export function setFfmpegConcurrency(limit: number): void {
  if (!(limit === Number.POSITIVE_INFINITY || (Number.isInteger(limit) && limit >= 1)))
    throw new Error(`ffmpeg concurrency must be a positive integer or Infinity, got ${limit}`);
  concurrencyLimit = limit;
}

/** Runs ffmpeg with `args`, feeding `input` to stdin, and returns everything it wrote to stdout. */
export async function runFfmpeg(args: readonly string[], input?: Uint8Array): Promise<Buffer> {
  const binary = await resolveFfmpeg();
  // A finishing ffmpeg hands its slot straight to the next waiting one, so a call arriving
  // in between cannot take it and exceed the limit.
  if (running >= concurrencyLimit) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await spawnFfmpeg(binary, args, input);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function spawnFfmpeg(binary: string, args: readonly string[], input?: Uint8Array): Promise<Buffer> {
  // Before the first -i: decoder threads of that input; -filter_threads covers the filters.
  const threads =
    ffmpegThreads > 0
      ? ['-threads', String(ffmpegThreads), '-filter_threads', String(ffmpegThreads)]
      : [];
  return new Promise((resolve, reject) => {
    const child = spawn(
      binary,
      ['-hide_banner', '-loglevel', 'error', '-nostdin', ...threads, ...args],
      {
        stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      },
    );
    const chunks: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else
        reject(
          new Error(
            `ffmpeg ${args.join(' ')} exited with ${code}: ${Buffer.concat(errors).toString().trim()}`,
          ),
        );
    });
    if (input && child.stdin) {
      child.stdin.on('error', () => {
        // ffmpeg closed stdin early; its exit code reports the real problem.
      });
      child.stdin.end(input);
    }
  });
}
