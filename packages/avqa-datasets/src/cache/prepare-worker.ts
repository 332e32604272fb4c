/**
 * Worker-thread entry of prepareDataset: receives jobs one at a time, decodes and caches
 * each video, and reports the outcome. Kept tiny so the main thread owns all scheduling.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setFfmpegConcurrency, setFfmpegThreads } from '../media/ffmpeg.js';
import { loadOrBuildCacheEntry } from './cache-store.js';
import type { PrepareJob, WorkerReply } from './prepare-dataset.js';
import type { PreprocessSettings } from './settings.js';

const { cacheDir, settings, ffmpegThreads } = workerData as {
  cacheDir: string;
  settings: PreprocessSettings;
  ffmpegThreads: number;
};
setFfmpegThreads(ffmpegThreads);
// Single-threaded ffmpegs one after another: the worker is one pipeline on one core. With
// more threads per ffmpeg it is not one core anyway, and a video's two decodes overlap.
if (ffmpegThreads === 1) setFfmpegConcurrency(1);

parentPort?.on('message', async (job: PrepareJob) => {
  let reply: WorkerReply;
  try {
    const { outcome } = await loadOrBuildCacheEntry(job.videoId, job.media, cacheDir, settings);
    reply = { videoId: job.videoId, outcome };
  } catch (error) {
    reply = { videoId: job.videoId, outcome: 'failed', error: (error as Error).message };
  }
  parentPort?.postMessage(reply);
});
