import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAnnotations } from '../../src/annotations/parse-annotations.js';
import { decodeMedia } from '../../src/media/decode.js';
import { majorityAnswerBaseline, questionOnlyBaseline } from '../../src/synth/baselines.js';
import {
  DEFAULT_SYNTHETIC_OPTIONS,
  generateSyntheticBenchmark,
  readSyntheticScenes,
  renderSceneMedia,
  synthesizeAnnotations,
  synthesizeHeldoutTest,
} from '../../src/synth/generate.js';
import { SPLITS, SYNTH_LAYOUT, syntheticMediaFiles } from '../../src/synth/layout.js';
import { QUESTION_TEMPLATES } from '../../src/synth/templates.js';
import { ANSWER_VOCABULARY } from '../../src/vocab/official-vocabulary.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'avqa-synth-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const small = { videos: 6, seconds: 4, frameSize: 32, questionsPerVideo: 6, seed: 7 } as const;

describe('generateSyntheticBenchmark', () => {
  it('writes the MUSIC-AVQA layout that the official parser reads, byte for byte the same for the same seed', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    await generateSyntheticBenchmark({ ...small, out: a, media: 'frames+wav' });
    await generateSyntheticBenchmark({ ...small, out: b, media: 'frames+wav' });
    const files = await listFiles(a);
    expect(files).toEqual(await listFiles(b));
    expect(files).toContain(SYNTH_LAYOUT.annotations('train'));
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(small.videos * small.seconds);
    expect(files.filter((f) => f.endsWith('.wav'))).toHaveLength(small.videos);
    for (const file of files)
      expect(sha256(await readFile(join(a, file))), file).toBe(
        sha256(await readFile(join(b, file))),
      );
    let questions = 0;
    for (const split of SPLITS) {
      const text = await readFile(join(a, SYNTH_LAYOUT.annotations(split)), 'utf8');
      const json = JSON.parse(text) as Record<string, unknown>[];
      for (const record of json) {
        expect(Object.keys(record)).toEqual([
          'video_id',
          'question_id',
          'type',
          'question_content',
          'templ_values',
          'question_deleted',
          'anser',
        ]);
        expect(typeof record.type).toBe('string');
        expect(typeof record.templ_values).toBe('string');
      }
      const parsed = parseAnnotations(json, { source: split });
      expect(parsed.records).toHaveLength(json.length);
      expect(parsed.duplicates).toEqual([]);
      questions += json.length;
    }
    expect(questions).toBe(small.videos * small.questionsPerVideo);
  });

  it("with media 'none' writes annotations and scenes that render to the same media", async () => {
    const out = join(root, 'none');
    const bench = await generateSyntheticBenchmark({ ...small, out, media: 'none' });
    expect(await listFiles(out)).toEqual(
      [
        SYNTH_LAYOUT.annotations('test'),
        SYNTH_LAYOUT.annotations('train'),
        SYNTH_LAYOUT.annotations('val'),
        SYNTH_LAYOUT.scenes,
      ].sort(),
    );
    const scenes = await readSyntheticScenes(out);
    expect(scenes).toEqual(bench.scenes);
    const options = { frameSize: 32, noise: 0.1, sampleRate: 16000 };
    expect(renderSceneMedia(scenes[0]!, options).frames.data).toEqual(
      renderSceneMedia(bench.scenes[0]!, options).frames.data,
    );
    await expect(generateSyntheticBenchmark({ ...small, media: 'mp4' })).rejects.toThrow(
      /'out' is required/,
    );
  });

  it('changes with the seed', () => {
    const one = synthesizeAnnotations({ ...small, seed: 1 });
    const two = synthesizeAnnotations({ ...small, seed: 2 });
    expect(JSON.stringify(one.records)).not.toBe(JSON.stringify(two.records));
  });

  it('renders frames and audio the decoders read back', async () => {
    const out = join(root, 'decoded');
    const bench = await generateSyntheticBenchmark({
      ...small,
      videos: 2,
      out,
      media: 'frames+wav',
    });
    const scene = bench.scenes[0]!;
    const rendered = renderSceneMedia(scene, {
      frameSize: 32,
      noise: bench.options.noise,
      sampleRate: 16000,
    });
    const decoded = await decodeMedia(
      syntheticMediaFiles(out, scene.videoId, 'frames+wav'),
      { seconds: 4, fps: 1, height: 32, width: 32 },
      { seconds: 4, sampleRate: 16000 },
    );
    expect(decoded.frames.data).toEqual(rendered.frames.data);
    for (const n of [0, 5000, 40000, 63999])
      expect(decoded.waveform[n]).toBeCloseTo(rendered.waveform[n]!, 3);
  });

  it('encodes mp4 deterministically, close to the rendered frames', async () => {
    const decode = async (dir: string) => {
      const bench = await generateSyntheticBenchmark({
        ...small,
        videos: 2,
        out: dir,
        media: 'mp4',
      });
      const scene = bench.scenes[1]!;
      const decoded = await decodeMedia(
        syntheticMediaFiles(dir, scene.videoId, 'mp4'),
        { seconds: 4, fps: 1, height: 32, width: 32 },
        { seconds: 4, sampleRate: 16000 },
      );
      return {
        decoded,
        // Same encoder, bit-exact flags, one thread: the file itself is reproducible too.
        hash: sha256(await readFile(join(dir, SYNTH_LAYOUT.video(scene.videoId)))),
        rendered: renderSceneMedia(scene, {
          frameSize: 32,
          noise: bench.options.noise,
          sampleRate: 16000,
        }),
      };
    };
    const first = await decode(join(root, 'mp4-a'));
    const second = await decode(join(root, 'mp4-b'));
    expect(first.hash).toBe(second.hash);
    expect(first.decoded.frames.data).toEqual(second.decoded.frames.data);
    expect(
      Buffer.from(first.decoded.waveform.buffer).equals(
        Buffer.from(second.decoded.waveform.buffer),
      ),
    ).toBe(true);
    let error = 0;
    first.decoded.frames.data.forEach((v, i) => {
      error += Math.abs(v - first.rendered.frames.data[i]!);
    });
    expect(error / first.decoded.frames.data.length).toBeLessThan(6);
  });
});

describe('the synthetic questions', () => {
  const bench = synthesizeAnnotations({ videos: 400, seconds: 8 });
  const train = parseAnnotations(bench.records.train).records;
  const test = parseAnnotations(bench.records.test).records;

  it('use all 33 templates and only official answers', () => {
    const all = SPLITS.flatMap((s) => bench.records[s]);
    expect(new Set(all.map((r) => r.question_content))).toEqual(
      new Set(QUESTION_TEMPLATES.map((t) => t.content)),
    );
    for (const r of all) expect(ANSWER_VOCABULARY).toContain(r.anser);
  });

  it('keep splits video-disjoint', () => {
    const [a, b, c] = SPLITS.map((s) => new Set(bench.splitVideos[s]));
    for (const id of a!) expect(b!.has(id) || c!.has(id)).toBe(false);
    for (const id of b!) expect(c!.has(id)).toBe(false);
  });

  it('are not answerable blind: majority and question-only baselines stay far from solved', () => {
    const majority = majorityAnswerBaseline(train, test);
    const questionOnly = questionOnlyBaseline(train, test);
    expect(majority.overall.accuracy!).toBeLessThan(0.4);
    expect(questionOnly.overall.accuracy!).toBeLessThan(0.45);
    for (const count of Object.values(majority.byType)) expect(count.accuracy!).toBeLessThan(0.6);
  });
});

describe('synthesizeHeldoutTest', () => {
  const options = { videos: 12, seed: 7 } as const;
  const benchmark = synthesizeAnnotations(options);
  const heldout = synthesizeHeldoutTest(options, 10);

  it('holds the scenes a larger benchmark would have after the first `videos`, none of the benchmark', () => {
    const larger = synthesizeAnnotations({ ...options, videos: 22 });
    expect(heldout.scenes).toEqual(larger.scenes.slice(12));
    const benchmarkIds = new Set(benchmark.scenes.map((scene) => scene.videoId));
    expect(heldout.scenes.some((scene) => benchmarkIds.has(scene.videoId))).toBe(false);
    const heldoutIds = new Set(heldout.scenes.map((scene) => scene.videoId));
    expect(heldout.records.every((record) => heldoutIds.has(record.video_id))).toBe(true);
  });

  it('chooses questions as for a split: records the official parser reads, unique ids, the same every call', () => {
    const parsed = parseAnnotations(heldout.records, { source: 'heldout' });
    expect(parsed.records).toHaveLength(heldout.records.length);
    expect(heldout.records.length).toBe(10 * DEFAULT_SYNTHETIC_OPTIONS.questionsPerVideo);
    const ids = heldout.records.map((record) => record.question_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(synthesizeHeldoutTest(options, 10)).toEqual(heldout);
  });

  it('leaves the benchmark it extends as it was (every documented result depends on it)', () => {
    // sha256 of the records and scenes before synthesizeHeldoutTest existed.
    expect(sha256(Buffer.from(JSON.stringify([benchmark.records, benchmark.scenes])))).toBe(
      'c739fbf031b31e0760538f1844486083f5d55def3b8d4876750f2582586e3407',
    );
  });

  it('at a fixed first video, gives benchmarks of any size up to it the same scenes and questions', () => {
    const fixed = synthesizeHeldoutTest(options, 10, 30);
    for (const videos of [20, 30]) {
      const other = synthesizeHeldoutTest({ ...options, videos }, 10, 30);
      expect(other.scenes).toEqual(fixed.scenes);
      expect(other.records).toEqual(fixed.records);
    }
    const larger = synthesizeAnnotations({ ...options, videos: 40 });
    expect(fixed.scenes).toEqual(larger.scenes.slice(30));
    // The default first video is `videos`, as before the option existed.
    expect(synthesizeHeldoutTest(options, 10, 12)).toEqual(heldout);
  });

  it('refuses a first video inside the benchmark, naming its range', () => {
    expect(() => synthesizeHeldoutTest(options, 10, 11)).toThrow(
      "held-out first video 11 overlaps the benchmark's own videos 0..11: start at 12 or later",
    );
    expect(() => synthesizeHeldoutTest(options, 10, 12.5)).toThrow(
      'held-out first video must be a non-negative integer, got 12.5',
    );
  });

  it('names a count that is not a positive integer', () => {
    expect(() => synthesizeHeldoutTest(options, 0)).toThrow(
      'held-out videos must be a positive integer, got 0',
    );
    expect(() => synthesizeHeldoutTest(options, 2.5)).toThrow('got 2.5');
  });
});
