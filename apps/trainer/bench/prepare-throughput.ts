/**
 * `data prepare` throughput on videos of the real length: 60 s clips rendered at 640x360,
 * re-encoded at 25 fps with per-frame noise (so every frame must be decoded, as in a real
 * video) at about 1 Mbit/s, then prepared with --workers 1 and --workers 2 alternately, each
 * run into an empty cache. Prints one JSON line per run with the load average beside it.
 *
 *   node --conditions=source --import tsx bench/prepare-throughput.ts [videos] [rounds] [threads,...]
 *
 * A thread choice `default` passes no --ffmpeg-threads, so each worker count gets prepare's
 * own default (ffmpeg's threading at 1 worker, one thread per ffmpeg at 2 or more).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultFfmpegThreads,
  generateSyntheticBenchmark,
  resolveFfmpeg,
  runFfmpeg,
} from '@sparsify/avqa-datasets';

const videos = Number(process.argv[2] ?? 6);
const rounds = Number(process.argv[3] ?? 3);
/** ffmpeg threads per decode: 0 (ffmpeg's choice), `default` (prepare's), or a list, e.g. 0,1,default. */
const threadChoices = (process.argv[4] ?? 'default')
  .split(',')
  .map((choice) => (choice === 'default' ? null : Number(choice)));
const root = mkdtempSync(join(tmpdir(), 'prepare-throughput-'));
try {
  const benchmark = await generateSyntheticBenchmark({
    out: root,
    videos,
    seconds: 60,
    frameSize: [360, 640],
    seed: 1,
    media: 'mp4',
  });
  await resolveFfmpeg();
  for (const scene of benchmark.scenes) {
    const path = join(root, 'videos', `${scene.videoId}.mp4`);
    const tmp = `${path}.25fps.mp4`;
    await runFfmpeg([
      '-y',
      '-i',
      path,
      '-vf',
      'fps=25,noise=alls=6:allf=t',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-b:v',
      '1M',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-ac',
      '2',
      '-ar',
      '44100',
      tmp,
    ]);
    renameSync(tmp, path);
  }
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
  for (let round = 0; round < rounds; round++) {
    const configs = threadChoices.flatMap((threads) =>
      (round % 2 === 0 ? [1, 2] : [2, 1]).map((workers) => ({ workers, threads })),
    );
    for (const { workers, threads } of configs) {
      const cacheDir = join(root, `cache-${round}-${workers}-${threads}`);
      mkdirSync(cacheDir);
      const load = loadavg()[0];
      const started = performance.now();
      const output = execFileSync(
        process.execPath,
        [
          '--conditions=source',
          '--import',
          'tsx',
          'src/cli.ts',
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
      console.log(
        JSON.stringify({
          event: 'run',
          round,
          workers,
          ffmpegThreads: threads ?? `default (${defaultFfmpegThreads(workers)})`,
          seconds: Number(seconds.toFixed(2)),
          wallSeconds: Number(wall.toFixed(2)),
          cacheBytes,
          videosPerSecond: Number((videos / seconds).toFixed(3)),
          loadBefore: load,
          loadAfter: loadavg()[0],
        }),
      );
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
