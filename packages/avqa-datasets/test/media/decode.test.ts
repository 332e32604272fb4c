import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeAudio,
  decodeFramesFolder,
  decodeMedia,
  decodeVideoFrames,
  mediaSeconds,
  padAudio,
  padFrames,
} from '../../src/media/decode.js';
import { fbankPerSecond } from '../../src/media/fbank.js';
import { runFfmpeg } from '../../src/media/ffmpeg.js';
import { encodePng } from '../../src/media/png.js';
import { encodeWav } from '../../src/media/wav.js';

let dir: string;
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const TONE_HZ = 1000;

/** Mel bin whose centre is nearest `hz` (Kaldi mel scale, 20 Hz..Nyquist). */
function expectedMelBin(hz: number, bins: number): number {
  const mel = (f: number) => 1127 * Math.log(1 + f / 700);
  const d = (mel(8000) - mel(20)) / (bins + 1);
  return Math.round((mel(hz) - mel(20)) / d - 1);
}

function pixel(
  frames: { data: Uint8Array; shape: number[] },
  t: number,
  y: number,
  x: number,
): number[] {
  const [, h, w] = frames.shape as [number, number, number];
  const at = ((t * h + y) * w + x) * 3;
  return Array.from(frames.data.subarray(at, at + 3));
}

function expectColour(actual: number[], expected: number[], tolerance: number) {
  for (const [c, v] of actual.entries())
    expect(Math.abs(v - expected[c]!)).toBeLessThanOrEqual(tolerance);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'avqa-decode-'));
  // 3 s: left half red, right half blue, 1 kHz tone; H.264 4:2:0 and AAC like real uploads.
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'color=c=0xff0000:s=32x32:r=5:d=3',
    '-f',
    'lavfi',
    '-i',
    'color=c=0x0000ff:s=32x32:r=5:d=3',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${TONE_HZ}:sample_rate=44100:duration=3`,
    '-filter_complex',
    '[0:v][1:v]hstack=inputs=2[v]',
    '-map',
    '[v]',
    '-map',
    '2:a',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-ac',
    '2',
    join(dir, 'clip.mp4'),
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decodeVideoFrames', () => {
  it('samples 1 fps, resizes, and pads a short clip by repeating its last second', async () => {
    const frames = await decodeVideoFrames(join(dir, 'clip.mp4'), {
      seconds: 5,
      fps: 1,
      height: 16,
      width: 32,
    });
    expect(frames.shape).toEqual([5, 16, 32, 3]);
    for (let t = 0; t < 5; t++) {
      expectColour(pixel(frames, t, 8, 4), RED, 24);
      expectColour(pixel(frames, t, 8, 27), BLUE, 24);
    }
    const frameBytes = 16 * 32 * 3;
    const last = frames.data.subarray(2 * frameBytes, 3 * frameBytes);
    expect(frames.data.subarray(3 * frameBytes, 4 * frameBytes)).toEqual(last);
    expect(frames.data.subarray(4 * frameBytes, 5 * frameBytes)).toEqual(last);
  });

  it('names the file when ffmpeg cannot read it', async () => {
    await expect(
      decodeVideoFrames(join(dir, 'missing.mp4'), { seconds: 1, fps: 1, height: 8, width: 8 }),
    ).rejects.toThrow(/missing\.mp4/);
  });
});

describe('decodeAudio', () => {
  it('gives 16 kHz mono whose fbank peaks at the tone', async () => {
    const waveform = await decodeAudio(join(dir, 'clip.mp4'), { seconds: 4, sampleRate: 16000 });
    expect(waveform.length).toBe(4 * 16000);
    const bins = 64;
    const { data, shape } = fbankPerSecond(waveform, 4, { melBins: bins });
    expect(shape).toEqual([4, 98, bins]);
    const row = Array.from(data.subarray(1 * 98 * bins + 40 * bins, 1 * 98 * bins + 41 * bins));
    expect(row.indexOf(Math.max(...row))).toBe(expectedMelBin(TONE_HZ, bins));
  });
});

describe('a video without a soundtrack', () => {
  it('says "no audio stream" instead of ffmpeg\'s "does not contain any stream"', async () => {
    const silent = join(dir, 'silent.mp4');
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x00ff00:s=16x16:r=5:d=1',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      silent,
    ]);
    const expected = `${silent}: no audio stream`;
    await expect(decodeAudio(silent, { seconds: 1, sampleRate: 16000 })).rejects.toThrow(expected);
    await expect(mediaSeconds({ kind: 'mp4', path: silent })).rejects.toThrow(expected);
  });
});

describe('mediaSeconds', () => {
  it('reads a wav from its header and an mp4 from its decoded soundtrack, uncut', async () => {
    const wavPath = join(dir, 'two-and-a-half.wav');
    await writeFile(wavPath, encodeWav(new Float32Array(2.5 * 16000), 16000));
    expect(await mediaSeconds({ kind: 'frames+wav', framesDir: dir, wavPath })).toBe(2.5);
    // AAC adds a few ms of priming, so the 3 s clip decodes to 3 s within 1/20 s.
    expect(await mediaSeconds({ kind: 'mp4', path: join(dir, 'clip.mp4') })).toBeCloseTo(3, 1);
  });
});

describe('frames folder + wav layout', () => {
  it('decodes png frames exactly and reads the wav in TypeScript', async () => {
    const folder = join(dir, 'frames', 'v1');
    await mkdir(folder, { recursive: true });
    const h = 8;
    const w = 12;
    const frames: Uint8Array[] = [];
    for (let t = 0; t < 3; t++) {
      const rgb = Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 7 + t * 50) % 256);
      frames.push(rgb);
      await writeFile(join(folder, `${String(t + 1).padStart(6, '0')}.png`), encodePng(rgb, h, w));
    }
    const samples = Float32Array.from({ length: 2 * 16000 }, (_, n) => 0.25 * Math.sin(n / 10));
    await writeFile(join(dir, 'v1.wav'), encodeWav(samples, 16000));
    const decoded = await decodeMedia(
      { kind: 'frames+wav', framesDir: folder, wavPath: join(dir, 'v1.wav') },
      { seconds: 4, fps: 1, height: h, width: w },
      { seconds: 4, sampleRate: 16000 },
    );
    expect(decoded.frames.shape).toEqual([4, h, w, 3]);
    for (const [t, rgb] of frames.entries()) {
      expect(decoded.frames.data.subarray(t * rgb.length, (t + 1) * rgb.length)).toEqual(rgb);
    }
    expect(decoded.frames.data.subarray(3 * h * w * 3)).toEqual(frames[2]);
    expect(decoded.waveform.length).toBe(4 * 16000);
    for (const n of [0, 1234, 31999]) expect(decoded.waveform[n]).toBeCloseTo(samples[n]!, 4);
    // Seconds 2-3 repeat the last second of the wav.
    expect(decoded.waveform[2 * 16000 + 5]).toBeCloseTo(samples[16000 + 5]!, 4);
  });

  it('decodes jpg frames within JPEG tolerance', async () => {
    const folder = join(dir, 'frames', 'jpg');
    await mkdir(folder, { recursive: true });
    for (const n of [1, 2]) {
      await runFfmpeg([
        '-y',
        '-f',
        'lavfi',
        '-i',
        'color=c=0x20c040:s=16x16:d=1',
        '-frames:v',
        '1',
        join(folder, `${n}.jpg`),
      ]);
    }
    const frames = await decodeFramesFolder(folder, { seconds: 2, fps: 1, height: 16, width: 16 });
    expect(frames.shape).toEqual([2, 16, 16, 3]);
    expectColour(pixel(frames, 1, 8, 8), [0x20, 0xc0, 0x40], 12);
  });

  it('rejects a missing, an empty or a damaged frame, naming the file', async () => {
    const h = 8;
    const w = 8;
    const options = { seconds: 3, fps: 1, height: h, width: w };
    const png = (t: number) =>
      encodePng(
        Uint8Array.from({ length: h * w * 3 }, (_, i) => (i + t * 40) % 256),
        h,
        w,
      );
    const folder = async (name: string, files: Record<string, Uint8Array>) => {
      const path = join(dir, 'frames', name);
      await mkdir(path, { recursive: true });
      for (const [file, bytes] of Object.entries(files)) await writeFile(join(path, file), bytes);
      return path;
    };
    // Before: the gap shifted frame 3 to second 2 and padded the end with a copy.
    const gap = await folder('gap', { '000001.png': png(0), '000003.png': png(2) });
    await expect(decodeFramesFolder(gap, options)).rejects.toThrow(
      `${join(gap, '000002.png')}: frame missing (the folder jumps from 000001.png to 000003.png)`,
    );
    const empty = await folder('zero-bytes', {
      '000001.png': png(0),
      '000002.png': new Uint8Array(0),
      '000003.png': png(2),
    });
    await expect(decodeFramesFolder(empty, options)).rejects.toThrow(
      `${join(empty, '000002.png')}: empty frame file (0 bytes)`,
    );
    const cut = png(2).subarray(0, 40);
    const damaged = await folder('damaged', {
      '000001.png': png(0),
      '000002.png': png(1),
      '000003.png': cut,
    });
    await expect(decodeFramesFolder(damaged, options)).rejects.toThrow(damaged);
  });

  it('reports an empty folder', async () => {
    const folder = join(dir, 'frames', 'empty');
    await mkdir(folder, { recursive: true });
    await expect(
      decodeFramesFolder(folder, { seconds: 1, fps: 1, height: 8, width: 8 }),
    ).rejects.toThrow(/no \.jpg or \.png/);
  });
});

describe('padding', () => {
  it('padFrames keeps the first frames and repeats the last', () => {
    const raw = Uint8Array.from([1, 1, 1, 2, 2, 2]);
    expect(Array.from(padFrames(raw, 4, 1, 1, 'x').data)).toEqual([
      1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    ]);
    expect(Array.from(padFrames(raw, 1, 1, 1, 'x').data)).toEqual([1, 1, 1]);
    expect(() => padFrames(new Uint8Array(2), 1, 1, 1, 'clip.mp4')).toThrow(
      /clip\.mp4: decoded no frames/,
    );
  });

  it('padAudio repeats the last second', () => {
    const samples = Float32Array.from([1, 2, 3, 4, 5]);
    expect(Array.from(padAudio(samples, 4, 2, 'a'))).toEqual([1, 2, 3, 4, 5, 4, 5, 4]);
  });
});
