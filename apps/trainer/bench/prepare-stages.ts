/**
 * Where one `data prepare` worker spends its CPU time on a video of the real length (see
 * real-length-videos.ts), stage by stage, run the way a worker runs them: one after another
 * on one thread, each ffmpeg single-threaded (a wrapper on FFMPEG_PATH adds `-threads 1
 * -filter_threads 1`, as prepare's default does). ffmpeg's CPU is this process's reaped
 * children's (/proc/self/stat); Node's own is process.cpuUsage() (pipe reading, fbank,
 * encoding, writing). CPU time, unlike wall time, means something on a loaded machine.
 * Also times the fbank of a 60 s clip both ways, alternating: 60 kaldiFbank calls (the
 * code before 2026-12-05, mel banks and window rebuilt every second) and fbankPerSecond.
 *
 *   node --conditions=source --import tsx bench/prepare-stages.ts [videos] [rounds]
 *
 * The videos are made with the real ffmpeg; the stages run in a child process of this file
 * whose FFMPEG_PATH is the wrapper (ffmpeg's path is resolved once per thread).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import {
  decodeAudio,
  decodeVideoFrames,
  encodeCacheEntry,
  fbankPerSecond,
  kaldiFbank,
  resolveFfmpeg,
  settingsHash,
  sourceFingerprint,
  writeCacheEntry,
} from '@sparsify/avqa-datasets';
import { preprocessSettingsFor } from '../src/pipeline/model-inputs.js';
import { childCpuSeconds, writeRealLengthVideos } from './real-length-videos.js';

const [, self, first, second, third] = process.argv;
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const settings = preprocessSettingsFor(DEFAULT_INPUTS, 60);
const selfCpu = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
if (first === 'measure') {
  await measureStages(second as string, JSON.parse(third as string) as string[]);
} else {
  const root = mkdtempSync(join(tmpdir(), 'prepare-stages-'));
  const videos = Number(first ?? 4);
  const rounds = Number(second ?? 2);
  try {
    const videoIds = await writeRealLengthVideos(root, videos);
    const wrapper = join(root, 'ffmpeg-1-thread.sh');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec '${await resolveFfmpeg()}' -threads 1 -filter_threads 1 "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    const rounded = Array.from({ length: rounds }, () => videoIds).flat();
    execFileSync(
      process.execPath,
      [...process.execArgv, self as string, 'measure', root, JSON.stringify(rounded)],
      { stdio: 'inherit', env: { ...process.env, FFMPEG_PATH: wrapper } },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Every stage of each listed video in turn (a video listed twice is a second round). */
async function measureStages(root: string, videoIds: string[]): Promise<void> {
  const stages: Record<string, { ffmpeg: number[]; node: number[] }> = {};
  const record = (stage: string, ffmpeg: number, node: number) => {
    stages[stage] ??= { ffmpeg: [], node: [] };
    stages[stage].ffmpeg.push(ffmpeg);
    stages[stage].node.push(node);
  };
  const fbankWays: Record<string, number[]> = {
    'kaldiFbank x 60 (before)': [],
    fbankPerSecond: [],
  };
  const load = loadavg()[0];
  for (const [index, videoId] of videoIds.entries()) {
    const path = join(root, 'videos', `${videoId}.mp4`);
    const measure = async <T>(stage: string, work: () => Promise<T> | T): Promise<T> => {
      const children = childCpuSeconds(ticksPerSecond);
      const self = selfCpu();
      const result = await work();
      record(stage, childCpuSeconds(ticksPerSecond) - children, selfCpu() - self);
      return result;
    };
    const source = await measure('fingerprint', () => sourceFingerprint({ kind: 'mp4', path }));
    const video = {
      seconds: 60,
      fps: 1,
      height: settings.frameHeight,
      width: settings.frameWidth,
    };
    const frames = await measure('frames (ffmpeg)', () => decodeVideoFrames(path, video));
    const waveform = await measure('audio (ffmpeg)', () =>
      decodeAudio(path, { seconds: 60, sampleRate: settings.sampleRate }),
    );
    const ways = [
      [
        'kaldiFbank x 60 (before)',
        () => {
          for (let t = 0; t < 60; t++)
            kaldiFbank(waveform.subarray(t * 16000, (t + 1) * 16000), settings.fbank);
        },
      ],
      ['fbankPerSecond', () => fbankPerSecond(waveform, 60, settings.fbank)],
    ] as const;
    for (const [name, run] of index % 2 === 0 ? ways : [...ways].reverse()) {
      const self = selfCpu();
      run();
      fbankWays[name]?.push(selfCpu() - self);
    }
    const audio = await measure('fbank', () => fbankPerSecond(waveform, 60, settings.fbank));
    await measure('encode + write', () =>
      writeCacheEntry(
        join(root, `${videoId}.avqc`),
        encodeCacheEntry(
          { video: frames, audio },
          { videoId, settingsHash: settingsHash(settings), source, audioDtype: 'float32' },
        ),
      ),
    );
  }
  let total = 0;
  for (const [stage, { ffmpeg, node }] of Object.entries(stages)) {
    const cpu = median(ffmpeg) + median(node);
    total += cpu;
    console.log(
      JSON.stringify({
        event: 'stage',
        stage,
        ffmpegCpuSeconds: Number(median(ffmpeg).toFixed(3)),
        nodeCpuSeconds: Number(median(node).toFixed(3)),
      }),
    );
  }
  console.log(
    JSON.stringify({
      event: 'video',
      cpuSecondsPerVideo: Number(total.toFixed(3)),
      samples: videoIds.length,
      loadBefore: load,
      loadAfter: loadavg()[0],
    }),
  );
  for (const [name, values] of Object.entries(fbankWays)) {
    console.log(
      JSON.stringify({ event: 'fbank', way: name, cpuSeconds: Number(median(values).toFixed(4)) }),
    );
  }
}
