import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MediaFiles } from '../media/decode.js';
import { type CacheOutcome, loadOrBuildCacheEntry } from './cache-store.js';
import { type PreprocessSettingsInput, resolveSettings } from './settings.js';

export interface PrepareJob {
  videoId: string;
  media: MediaFiles;
}

export interface PrepareProgress {
  done: number;
  total: number;
  videoId: string;
  outcome: CacheOutcome | 'failed';
  error?: string;
}

export interface PrepareDatasetOptions {
  /** The videos to decode, each with its media files. */
  jobs: readonly PrepareJob[];
  cacheDir: string;
  settings?: PreprocessSettingsInput;
  /**
   * Worker threads, each one decode + fbank pipeline on one core; 0 decodes on the calling
   * thread. Default: the available cores (`os.availableParallelism()`).
   */
  workers?: number;
  onProgress?: (progress: PrepareProgress) => void;
  /**
   * Threads of each ffmpeg a worker runs (0: ffmpeg chooses, about one per core). Default
   * DEFAULT_FFMPEG_THREADS (1): a worker then runs one single-threaded ffmpeg at a time, so
   * N workers keep N cores busy and no more.
   */
  ffmpegThreads?: number;
}

export interface PrepareSummary {
  total: number;
  cached: number;
  built: number;
  rebuilt: number;
  failed: { videoId: string; error: string }[];
  seconds: number;
}

/** @internal The message a worker sends back per job. */
export interface WorkerReply {
  videoId: string;
  outcome: CacheOutcome | 'failed';
  error?: string;
}

/**
 * One thread per ffmpeg: `--workers N` means N single-threaded pipelines on N cores, so the
 * scaling over one worker is the throughput per core. With ffmpeg's own threading one worker
 * already kept more than one core busy and a second could only add the rest; the measurements
 * are in docs/real-data.md and docs/notebook/2026-12-05-prepare-scaling.md.
 */
export const DEFAULT_FFMPEG_THREADS = 1;

/**
 * Decodes every video once into the preprocessing cache, in parallel worker threads (each
 * runs its own ffmpeg processes and fbanks). Entries that are already valid are skipped;
 * corrupt or stale ones are rebuilt. A failing video is reported, not fatal.
 */
export async function prepareDataset(options: PrepareDatasetOptions): Promise<PrepareSummary> {
  const settings = resolveSettings(options.settings);
  const started = performance.now();
  const total = options.jobs.length;
  const summary: PrepareSummary = {
    total,
    cached: 0,
    built: 0,
    rebuilt: 0,
    failed: [],
    seconds: 0,
  };
  let done = 0;
  const record = (reply: WorkerReply) => {
    done++;
    if (reply.outcome === 'failed')
      summary.failed.push({ videoId: reply.videoId, error: reply.error ?? 'unknown error' });
    else summary[reply.outcome]++;
    options.onProgress?.({ done, total, ...reply });
  };
  const workers = Math.min(options.workers ?? availableParallelism(), total);
  if (workers <= 0) {
    for (const job of options.jobs) {
      try {
        const { outcome } = await loadOrBuildCacheEntry(
          job.videoId,
          job.media,
          options.cacheDir,
          settings,
        );
        record({ videoId: job.videoId, outcome });
      } catch (error) {
        record({ videoId: job.videoId, outcome: 'failed', error: (error as Error).message });
      }
    }
  } else {
    let next = 0;
    const runWorker = () =>
      new Promise<void>((resolve, reject) => {
        const worker = startWorker({
          cacheDir: options.cacheDir,
          settings,
          ffmpegThreads: options.ffmpegThreads ?? DEFAULT_FFMPEG_THREADS,
        });
        const feed = () => {
          const job = options.jobs[next++];
          if (job) worker.postMessage(job);
          else void worker.terminate().then(() => resolve());
        };
        worker.on('message', (reply: WorkerReply) => {
          record(reply);
          feed();
        });
        worker.on('error', reject);
        worker.on('online', feed);
      });
    await Promise.all(Array.from({ length: workers }, runWorker));
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/**
 * Starts one worker on the entry next to this module: prepare-worker.js / .cjs when built;
 * from TypeScript source (tests, `--conditions=source`), a small stub registers the tsx
 * loader inside the thread first, since a worker does not inherit the parent's loaders.
 */
function startWorker(workerData: unknown): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    const extension = here.endsWith('.cjs') ? '.cjs' : '.js';
    return new Worker(new URL(`./prepare-worker${extension}`, here), { workerData });
  }
  let tsxApi: string;
  try {
    const tsxRoot = dirname(createRequire(here).resolve('tsx/package.json'));
    tsxApi = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  } catch {
    throw new Error(
      'prepareDataset: running from TypeScript source needs the tsx package to start worker threads',
    );
  }
  const entry = new URL('./prepare-worker.ts', here).href;
  const stub = `(async () => { const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(entry)}); })();`;
  return new Worker(stub, { eval: true, workerData });
}
