import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticBenchmark, resolveFfmpeg, runFfmpeg } from '@sparsify/avqa-datasets';

/**
 * A dataset folder (json/ + videos/) of `videos` synthetic scenes of the real length: 60 s
 * rendered at 640x360, re-encoded at 25 fps with per-frame noise (so every frame must be
 * decoded, as in a real video) at about 1 Mbit/s H.264 + 128 kbit/s stereo AAC at 44.1 kHz.
 * Returns the video ids. The prepare benchmarks share it so they decode the same videos.
 */
export async function writeRealLengthVideos(root: string, videos: number): Promise<string[]> {
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
  return benchmark.scenes.map((scene) => scene.videoId);
}

/** CPU seconds of this process's reaped children (and theirs): cutime + cstime of /proc/self/stat. */
export function childCpuSeconds(ticksPerSecond: number): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}
