/**
 * `data prepare` throughput on videos of the real length: 60 s clips rendered at 640x360,
 * re-encoded at 25 fps with per-frame noise (so every frame must be decoded, as in a real
 * video) at about 1 Mbit/s, then prepared with --workers 1 and --workers 2 alternately, each
 * run into an empty cache. Runs the built CLI (dist/cli.js, what users run: `pnpm build`
 * first), whose workers start from the bundled worker file instead of compiling TypeScript.
 * Prints one JSON line per run (the load average and the CPU seconds beside it) and a summary.
 *
 *   node --conditions=source --import tsx bench/prepare-throughput.ts [videos] [rounds] [threads,...]
 *
 * Thread choices: `default` passes no --ffmpeg-threads (one thread per ffmpeg, one core a
 * worker), a number passes it (0: ffmpeg's own threading, the one-worker setting before
 * 2026-12-05). `cpuSeconds` is the CPU time of the prepare process and every ffmpeg it ran
 * (this process's reaped children, from /proc/self/stat); cpuSeconds / wallSeconds is the
 * cores it kept busy. On a loaded machine only the CPU time per video means much.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FFMPEG_THREADS } from '@sparsify/avqa-datasets';
import { childCpuSeconds, writeRealLengthVideos } from './real-length-videos.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm build\` first`);
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const childCpu = () => childCpuSeconds(ticksPerSecond);

const videos = Number(process.argv[2] ?? 6);
const rounds = Number(process.argv[3] ?? 3);
/** ffmpeg threads per decode: 0 (ffmpeg's choice), `default` (prepare's), or a list, e.g. default,0. */
const threadChoices = (process.argv[4] ?? 'default')
  .split(',')
  .map((choice) => (choice === 'default' ? null : Number(choice)));
const root = mkdtempSync(join(tmpdir(), 'prepare-throughput-'));
try {
  await writeRealLengthVideos(root, videos);
  const probe = execFileSync('du', ['-sb', join(root, 'videos')], { encoding: 'utf8' });
  console.log(
    JSON.stringify({
      event: 'videos',
      videos,
      seconds: 60,
      size: '640x360@25fps',
      bytes: Number(probe.split('\t')[0]),
    }),
  );
  const runs: {
    round: number;
    workers: number;
    ffmpegThreads: string | number;
    videosPerSecond: number;
    cpuSecondsPerVideo: number;
  }[] = [];
  for (let round = 0; round < rounds; round++) {
    const configs = threadChoices.flatMap((threads) =>
      (round % 2 === 0 ? [1, 2] : [2, 1]).map((workers) => ({ workers, threads })),
    );
    for (const { workers, threads } of configs) {
      const cacheDir = join(root, `cache-${round}-${workers}-${threads}`);
      mkdirSync(cacheDir);
      const load = loadavg()[0];
      const cpuBefore = childCpu();
      const started = performance.now();
      const output = execFileSync(
        process.execPath,
        [
          cli,
          'data',
          'prepare',
          '--root',
          root,
          '--cache-dir',
          cacheDir,
          '--seconds',
          '60',
          '--workers',
          String(workers),
          ...(threads === null ? [] : ['--ffmpeg-threads', String(threads)]),
          '--quiet',
          '--log-format',
          'json',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
      );
      const wall = (performance.now() - started) / 1000;
      const cpuSeconds = childCpu() - cpuBefore;
      // prepareDataset's own clock: from the first job to the last, without Node's start-up
      // and the annotation reading every run pays once.
      const result = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { event: string; seconds?: number; built?: number })
        .find((event) => event.event === 'result');
      if (result?.built !== videos) throw new Error(`prepare built ${result?.built} of ${videos}`);
      const seconds = result.seconds as number;
      const cacheBytes = Number(
        execFileSync('du', ['-sb', cacheDir], { encoding: 'utf8' }).split('\t')[0],
      );
      const run = {
        event: 'run',
        round,
        workers,
        ffmpegThreads: threads ?? `default (${DEFAULT_FFMPEG_THREADS})`,
        seconds: Number(seconds.toFixed(2)),
        wallSeconds: Number(wall.toFixed(2)),
        cpuSeconds: Number(cpuSeconds.toFixed(2)),
        cpuSecondsPerVideo: Number((cpuSeconds / videos).toFixed(3)),
        coresBusy: Number((cpuSeconds / wall).toFixed(2)),
        cacheBytes,
        videosPerSecond: Number((videos / seconds).toFixed(3)),
        loadBefore: load,
        loadAfter: loadavg()[0],
      };
      runs.push(run);
      console.log(JSON.stringify(run));
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
  summarise(runs);
} finally {
  rmSync(root, { recursive: true, force: true });
}

/**
 * Per thread choice: the median videos/s and CPU seconds a video at 1 and 2 workers, and the
 * median of the per-round ratios workers 2 / workers 1 (each round's two runs ran back to
 * back); with `default` and 0 both given, also default at 2 workers against 0 at 1 (the
 * one-worker setting before one core a worker).
 */
function summarise(
  runs: {
    round: number;
    workers: number;
    ffmpegThreads: string | number;
    videosPerSecond: number;
    cpuSecondsPerVideo: number;
  }[],
): void {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  };
  const rate = (threads: string | number, workers: number, round: number) =>
    runs.find((r) => r.ffmpegThreads === threads && r.workers === workers && r.round === round)
      ?.videosPerSecond;
  const choices = [...new Set(runs.map((r) => r.ffmpegThreads))];
  const rounds = [...new Set(runs.map((r) => r.round))];
  const ratios = (twoThreads: string | number, oneThreads: string | number) =>
    rounds.map(
      (round) => (rate(twoThreads, 2, round) as number) / (rate(oneThreads, 1, round) as number),
    );
  const fixed = (values: number[]) => values.map((v) => Number(v.toFixed(2)));
  for (const threads of choices) {
    const of = (workers: number) =>
      runs.filter((r) => r.ffmpegThreads === threads && r.workers === workers);
    const perRound = ratios(threads, threads);
    console.log(
      JSON.stringify({
        event: 'summary',
        ffmpegThreads: threads,
        videosPerSecond: {
          workers1: Number(median(of(1).map((r) => r.videosPerSecond)).toFixed(3)),
          workers2: Number(median(of(2).map((r) => r.videosPerSecond)).toFixed(3)),
        },
        cpuSecondsPerVideo: {
          workers1: Number(median(of(1).map((r) => r.cpuSecondsPerVideo)).toFixed(3)),
          workers2: Number(median(of(2).map((r) => r.cpuSecondsPerVideo)).toFixed(3)),
        },
        workers2OverWorkers1: {
          median: Number(median(perRound).toFixed(2)),
          perRound: fixed(perRound),
        },
      }),
    );
  }
  const defaultChoice = `default (${DEFAULT_FFMPEG_THREADS})`;
  if (choices.includes(defaultChoice) && choices.includes(0)) {
    const across = ratios(defaultChoice, 0);
    console.log(
      JSON.stringify({
        event: 'summary',
        comparison: 'workers 2 at the default against workers 1 with ffmpeg threads 0',
        median: Number(median(across).toFixed(2)),
        perRound: fixed(across),
      }),
    );
  }
}
