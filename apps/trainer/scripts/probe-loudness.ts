/**
 * Where is per-instrument level lost between the scene and the encoder's tokens (issue 21m)?
 * Scores "Is A louder than B?" (a-comp-louder, av-comp-louder, av-comp-object-louder) on the
 * held-out scenes of data seed 7 (1,000 videos from video 2000, as `eval --split heldout
 * --heldout-videos 1000 --heldout-first-video 2000`) from read-outs fitted on N scenes of data
 * seed 1007 (disjoint), source by source along the chain:
 *   (a) the scenes: how often A and B sound in one sampled second; each stem alone (its RMS
 *       over the sampled seconds it plays: the rendering and sampling, no mix, no fit);
 *   (b) per sampled second of the mix: the normalised fbank the encoder receives (64 band
 *       means + 64 band stds), the audio patch embedding before its LayerNorm and after it
 *       (mean over the 4 time-rows of tokens per frequency band: 4 x 64), after it plus each
 *       token's pre-norm mean and log RMS (the two numbers the LayerNorm removes, what
 *       `--audio-token-level` adds back), for the shipped backbone and a random init.
 *   (c) optional, per checkpoint given as LABEL=FILE (a backbone or a run's best.ckpt): the
 *       final audio tokens after the blocks and the final LayerNorm (the fusion's input),
 *       under the one-word question pretraining uses, pooled per second and band as in (b);
 *       the same averaged over the 4 bands (`, band mean`: "pooled" is then the fusion's mean
 *       over all the clip's audio tokens); and its tokenizer's output (`LABEL tokenizer`: after embedNorm, plus the learned
 *       level table when the checkpoint has one).
 *   PROBE_SOURCES='a;b' (labels separated by semicolons) limits the read-outs to those sources; PROBE_NO_MLP=1
 *   leaves out the MLP (ridge only).
 * Each source: a per-class ridge read-out of the class's gainDb and a 1-hidden-layer MLP with
 * one output per class, fitted on the seconds where the class sounds (class once in the
 * scene); a question compares the two operands' read-outs averaged over the sampled seconds
 * they sound in ("when known": the oracle is told when each sounds) or over all 5 seconds
 * ("pooled").
 *   cd apps/trainer && SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1 \
 *     node --conditions=source --import tsx scripts/probe-loudness.ts [N] [backbone] [media.json] [LABEL=FILE ...]
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import {
  createRandom,
  deriveSeed,
  INSTRUMENT_CLASSES,
  normaliseValues,
  preprocessRendered,
  QUESTION_TEMPLATES,
  renderSceneMedia,
  renderStem,
  type Scene,
  type SceneInstrument,
  spreadTimeSteps,
  synthesizeAnnotations,
  synthesizeHeldoutTest,
} from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { createLogger, prepareBackend } from '../src/commands/runtime.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { audioBatchFrom, videoBatchFrom } from '../src/pipeline/feature-inputs.js';
import { preprocessSettingsFor, sampleToInputs } from '../src/pipeline/model-inputs.js';
import { initFromFile } from '../src/train/init-from.js';
import { comparisonOperands, dot, ridge } from './comparative-probe-helpers.js';

const FIT_SCENES = Number(process.argv[2] ?? 1500);
const BACKBONE = process.argv[3] ?? 'assets/backbone-tiny.safetensors';
const STATS = process.argv[4] ?? '/work/runs-21j/cache/synthetic-v480-s7/media.json';
const HELD_FIRST = 2000;
const inputs = DEFAULT_INPUTS;
const T = 5,
  F = 64,
  M = 64,
  P = 16,
  D = 64,
  BANDS = M / P,
  ROWS = F / P;
const SAMPLE_RATE = 16000;
const steps = [...spreadTimeSteps(8, T)];
const fbankStats = JSON.parse(readFileSync(STATS, 'utf8')).fbank as { mean: number; std: number };

await prepareBackend('wasm', true, createLogger({ logFormat: 'text', quiet: true } as never));
const modelOf = (file: string | null) => {
  const m = new SparsifiedAmuse(
    { model: 'tiny', mask: null, merge: null, seed: 42 } as never,
    inputs,
    {},
  );
  if (file) initFromFile(file, m.parameters);
  return m.encoder.audio;
};
const embeddings = { backbone: modelOf(BACKBONE), random: modelOf(null) };
const finals = process.argv.slice(5).map((arg) => {
  const [label, file] = arg.split('=') as [string, string];
  // With the level table: a checkpoint without one leaves it at zero, the same model.
  const m = new SparsifiedAmuse(
    { model: 'tiny', mask: null, merge: null, seed: 42, audioTokenLevel: true } as never,
    inputs,
    {},
  );
  initFromFile(file, m.parameters);
  return { label: `${label} final`, model: m };
});

type Source =
  | `${string} final`
  | `${string} final, band mean`
  | `${string} tokenizer`
  | 'input'
  | 'backbone pre-LN'
  | 'backbone post-LN'
  | 'backbone post-LN + level'
  | 'random pre-LN'
  | 'random post-LN'
  | 'random post-LN + level';
const ONLY = process.env.PROBE_SOURCES?.split(';');
const SOURCES: Source[] = (
  [
    'input',
    'backbone pre-LN',
    'backbone post-LN',
    'backbone post-LN + level',
    'random pre-LN',
    'random post-LN',
    'random post-LN + level',
    ...finals.flatMap((f) => [
      `${f.label.replace(/ final$/, '')} tokenizer` as Source,
      f.label as Source,
      `${f.label}, band mean` as Source,
    ]),
  ] as Source[]
).filter((source) => !ONLY || ONLY.includes(source));

/** Per scene: per source, T rows of per-second features; per instrument, its sampled-second stem level (dB). */
interface Described {
  perSecond: Map<Source, Float64Array[]>;
  stemDb: number[];
}

/**
 * The audio tokenizer's patches of one clip's fbank: [T, F, M] -> [T*ROWS, P, BANDS, P] ->
 * [T*ROWS, BANDS, P, P] -> tokens row-major, [T*ROWS*BANDS, P*P].
 */
function audioPatches(x: Float32Array): tf.Tensor2D {
  const strips = tf.reshape(tf.tensor1d(x), [T * ROWS, P, BANDS, P]);
  return tf.reshape(tf.transpose(strips, [0, 2, 1, 3]), [T * ROWS * BANDS, P * P]) as tf.Tensor2D;
}

function describe(scene: Scene, noise: number): Described {
  const settings = preprocessSettingsFor(inputs, scene.seconds);
  const media = renderSceneMedia(scene, { frameSize: [64, 64], noise, sampleRate: SAMPLE_RATE });
  const { fbank, frames } = sampleToInputs(
    preprocessRendered(media.frames, media.waveform, settings),
    inputs,
  );
  const x = normaliseValues(fbank, fbankStats);
  const perSecond = new Map<Source, Float64Array[]>();
  perSecond.set(
    'input',
    Array.from({ length: T }, (_, t) => {
      const row = new Float64Array(2 * M);
      for (let m = 0; m < M; m++) {
        let s = 0,
          s2 = 0;
        for (let f = 0; f < F; f++) {
          const v = x[(t * F + f) * M + m]!;
          s += v;
          s2 += v * v;
        }
        row[m] = s / F;
        row[M + m] = Math.sqrt(Math.max(0, s2 / F - (s / F) ** 2));
      }
      return row;
    }),
  );
  for (const [name, emb] of Object.entries(embeddings)) {
    const [pre, post, level] = tf.tidy(() => {
      const e = emb.embed.apply(audioPatches(x)) as tf.Tensor2D;
      const n = emb.embedNorm.apply(e);
      const levels = emb.levelFeatures(e);
      const band = (v: tf.Tensor, width: number) =>
        tf.mean(tf.reshape(v, [T, ROWS, BANDS, width]), 1).dataSync();
      return [band(e, D), band(n, D), band(levels, 2)];
    });
    const rows = (values: Float32Array, extra?: Float32Array) =>
      Array.from({ length: T }, (_, t) => {
        const row = new Float64Array(BANDS * D + (extra ? 2 * BANDS : 0));
        row.set(values.subarray(t * BANDS * D, (t + 1) * BANDS * D));
        if (extra) row.set(extra.subarray(t * 2 * BANDS, (t + 1) * 2 * BANDS), BANDS * D);
        return row;
      });
    perSecond.set(`${name} pre-LN` as Source, rows(pre as Float32Array));
    perSecond.set(`${name} post-LN` as Source, rows(post as Float32Array));
    perSecond.set(
      `${name} post-LN + level` as Source,
      rows(post as Float32Array, level as Float32Array),
    );
  }
  for (const { label, model } of finals) {
    const final = tf.tidy(() => {
      const question = new Int32Array(14);
      question[0] = 1;
      const { streams } = model.encoder.forward(
        {
          question: tf.tensor2d(question, [1, 14], 'int32'),
          video: videoBatchFrom(
            inputs.video,
            Float32Array.from(frames, (v) => v / 255),
            1,
          ),
          audio: audioBatchFrom(inputs.audio, x, 1),
        },
        {
          training: false,
          masker: null,
          reducer: null,
          ctx: { epoch: 0, step: 0 },
          returnStreams: true,
        },
      );
      return tf.mean(tf.reshape(streams!.audio.tokens, [T, ROWS, BANDS, D]), 1).dataSync();
    }) as Float32Array;
    perSecond.set(
      label as Source,
      Array.from({ length: T }, (_, t) =>
        Float64Array.from(final.subarray(t * BANDS * D, (t + 1) * BANDS * D)),
      ),
    );
    // The fusion's view: it averages the stream's tokens over time AND frequency.
    perSecond.set(
      `${label}, band mean` as Source,
      Array.from({ length: T }, (_, t) => {
        const row = new Float64Array(D);
        for (let b = 0; b < BANDS; b++)
          for (let k = 0; k < D; k++) row[k]! += final[(t * BANDS + b) * D + k]! / BANDS;
        return row;
      }),
    );
    // The tokenizer's output as the blocks receive it (before positions): with
    // --audio-token-level, the LayerNorm plus the checkpoint's learned level table.
    const emb = model.encoder.audio;
    const tokens = tf.tidy(() => {
      const e = emb.embed.apply(audioPatches(x)) as tf.Tensor2D;
      const n = emb.embedNorm.apply(e);
      const out = emb.levelEmbedding ? tf.add(n, emb.level(e)) : n;
      return tf.mean(tf.reshape(out, [T, ROWS, BANDS, D]), 1).dataSync();
    }) as Float32Array;
    perSecond.set(
      `${label.replace(/ final$/, '')} tokenizer` as Source,
      Array.from({ length: T }, (_, t) =>
        Float64Array.from(tokens.subarray(t * BANDS * D, (t + 1) * BANDS * D)),
      ),
    );
  }
  const stemDb = scene.instruments.map((instrument, index) => {
    const stem = renderStem(
      instrument,
      scene.seconds,
      SAMPLE_RATE,
      createRandom(deriveSeed(scene.seed, 0xa0d10, index)),
    );
    let power = 0,
      count = 0;
    for (const t of steps) {
      if (!instrument.playing[t]) continue;
      for (let i = t * SAMPLE_RATE; i < (t + 1) * SAMPLE_RATE; i++) power += stem[i]! ** 2;
      count += SAMPLE_RATE;
    }
    return count ? 10 * Math.log10(power / count + 1e-20) : Number.NaN;
  });
  return { perSecond, stemDb };
}

const fit = synthesizeAnnotations({ videos: FIT_SCENES, seed: 1007, media: 'none' });
const held = synthesizeHeldoutTest({ videos: 480, seed: 7 }, 1000, HELD_FIRST);
const noise = fit.options.noise;
const t0 = Date.now();
const fitDesc = fit.scenes.map((s) => describe(s, noise));
const heldDesc = held.scenes.map((s) => describe(s, held.options.noise));
console.log(
  `described ${fitDesc.length} fitting scenes (seed 1007) and ${heldDesc.length} held-out scenes (seed 7 from video ${HELD_FIRST}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);

const byContent = new Map(QUESTION_TEMPLATES.map((t) => [t.content, t.id]));
const LOUDER = ['a-comp-louder', 'av-comp-louder', 'av-comp-object-louder'];
const questions = held.records
  .filter((r) => LOUDER.includes(byContent.get(r.question_content) ?? ''))
  .map((r) => {
    const id = byContent.get(r.question_content)!;
    const s = held.scenes.findIndex((x) => x.videoId === r.video_id);
    const scene = held.scenes[s]!;
    const v = JSON.parse(r.templ_values as string) as string[];
    const [a, b] = comparisonOperands(scene, id, v);
    return { id, s, a, b, yes: r.anser === 'yes' };
  });
const pct = (right: number, n: number) => `${((100 * right) / n).toFixed(1)}`;
function report(label: string, answer: (q: (typeof questions)[number]) => boolean | null) {
  const parts = LOUDER.map((id) => {
    const qs = questions.filter((q) => q.id === id);
    let right = 0;
    for (const q of qs) {
      const a = answer(q);
      right += a === null ? 0.5 : a === q.yes ? 1 : 0;
    }
    return `${id} ${pct(right, qs.length)} (n=${qs.length})`;
  });
  console.log(`${label}: ${parts.join('; ')}`);
}

// (a) The scenes.
const inst = (q: (typeof questions)[number], k: 'a' | 'b'): SceneInstrument =>
  held.scenes[q.s]!.instruments[q[k]]!;
{
  const same = (q: (typeof questions)[number]) =>
    steps.some((t) => inst(q, 'a').playing[t] && inst(q, 'b').playing[t]);
  const each = (q: (typeof questions)[number]) =>
    steps.some((t) => inst(q, 'a').playing[t]) && steps.some((t) => inst(q, 'b').playing[t]);
  const alone = (q: (typeof questions)[number]) =>
    steps.some((t) => inst(q, 'a').playing[t] && !inst(q, 'b').playing[t]) &&
    steps.some((t) => inst(q, 'b').playing[t] && !inst(q, 'a').playing[t]);
  for (const id of LOUDER) {
    const qs = questions.filter((q) => q.id === id);
    const diffs = qs
      .map((q) => Math.abs(inst(q, 'a').gainDb - inst(q, 'b').gainDb))
      .sort((x, y) => x - y);
    const others = qs.map(
      (q) =>
        held.scenes[q.s]!.instruments.filter(
          (i, k) => k !== q.a && k !== q.b && i.playing.some(Boolean),
        ).length,
    );
    console.log(
      `(a) ${id}: n=${qs.length}; both sound in one sampled second ${pct(qs.filter(same).length, qs.length)}%; ` +
        `each in some sampled second ${pct(qs.filter(each).length, qs.length)}%; each also without the other ${pct(qs.filter(alone).length, qs.length)}%; ` +
        `|gain difference| median ${diffs[diffs.length >> 1]!.toFixed(1)} dB, < 6 dB ${pct(diffs.filter((d) => d < 6).length, diffs.length)}%; ` +
        `other sounding instruments mean ${(others.reduce((s, o) => s + o, 0) / others.length).toFixed(2)}`,
    );
  }
}
report('(a) stems alone, level over the sampled seconds each plays (no fit)', (q) => {
  const da = heldDesc[q.s]!.stemDb[q.a]!,
    db = heldDesc[q.s]!.stemDb[q.b]!;
  return Number.isNaN(da) || Number.isNaN(db) ? null : da > db;
});
report('(a) the scene gains themselves (sanity)', (q) => inst(q, 'a').gainDb > inst(q, 'b').gainDb);

// (b) Read-outs per source.
interface Rows {
  x: Float64Array[];
  cls: number[];
  y: number[];
}
function fittingRows(source: Source): Rows {
  const rows: Rows = { x: [], cls: [], y: [] };
  fit.scenes.forEach((scene, n) => {
    INSTRUMENT_CLASSES.forEach((c, ci) => {
      const of = scene.instruments.filter((i) => i.name === c && i.playing.includes(true));
      if (of.length !== 1) return;
      for (const [k, t] of steps.entries()) {
        if (!of[0]!.playing[t]) continue;
        rows.x.push(fitDesc[n]!.perSecond.get(source)![k]!);
        rows.cls.push(ci);
        rows.y.push(of[0]!.gainDb);
      }
    });
  });
  return rows;
}
function standardiser(rows: Float64Array[]) {
  const d = rows[0]!.length,
    mu = new Float64Array(d),
    sd = new Float64Array(d);
  for (const x of rows) for (let j = 0; j < d; j++) mu[j]! += x[j]! / rows.length;
  for (const x of rows) for (let j = 0; j < d; j++) sd[j]! += (x[j]! - mu[j]!) ** 2 / rows.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  return (x: Float64Array) => {
    const z = new Float64Array(d + 1);
    for (let j = 0; j < d; j++) z[j] = (x[j]! - mu[j]!) / sd[j]!;
    z[d] = 1;
    return z;
  };
}
const Y_MEAN = -17,
  Y_STD = 5.2;

/** A 1-hidden-layer MLP, one output per class, fitted on 90% of the fitting scenes' rows; the epoch with the lowest loss on the other 10%. */
function fitMlp(z: Float64Array[], cls: number[], y: number[]): (x: Float64Array) => Float32Array {
  {
    const d = z[0]!.length,
      H = 64,
      C = INSTRUMENT_CLASSES.length;
    const rng = createRandom(1234);
    const order = z.map((_, i) => i).sort(() => rng.next() - 0.5);
    const cut = Math.floor(order.length * 0.9);
    const pack = (idx: number[]) => ({
      x: tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(z[i]!))), [idx.length, d]),
      mask: tf.cast(
        tf.oneHot(
          tf.tensor1d(
            idx.map((i) => cls[i]!),
            'int32',
          ),
          C,
        ),
        'float32',
      ),
      y: tf.tensor2d(
        idx.map((i) => (y[i]! - Y_MEAN) / Y_STD),
        [idx.length, 1],
      ),
    });
    const train = pack(order.slice(0, cut)),
      val = pack(order.slice(cut));
    const w1 = tf.variable(tf.randomNormal([d, H], 0, Math.sqrt(2 / d), 'float32', 1));
    const b1 = tf.variable(tf.zeros([H]));
    const w2 = tf.variable(tf.randomNormal([H, C], 0, Math.sqrt(1 / H), 'float32', 2));
    const b2 = tf.variable(tf.zeros([C]));
    const net = (x: tf.Tensor2D) =>
      tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
    const loss = (p: { x: tf.Tensor2D; mask: tf.Tensor; y: tf.Tensor2D }) =>
      tf.mean(tf.square(tf.sub(tf.sum(tf.mul(net(p.x), p.mask), 1, true), p.y))) as tf.Scalar;
    const opt = tf.train.adam(1e-3);
    let best = Infinity;
    let kept: tf.Tensor[] = [];
    const n = cut;
    for (let epoch = 0; epoch < 60; epoch++) {
      for (let s = 0; s < n; s += 128) {
        const size = Math.min(128, n - s);
        opt.minimize(() =>
          tf.add(
            loss({
              x: tf.slice(train.x, [s, 0], [size, d]),
              mask: tf.slice(train.mask, [s, 0], [size, C]),
              y: tf.slice(train.y, [s, 0], [size, 1]),
            }),
            tf.mul(1e-4, tf.add(tf.sum(tf.square(w1)), tf.sum(tf.square(w2)))),
          ),
        );
      }
      const v = tf.tidy(() => loss(val).dataSync()[0]!);
      if (v < best) {
        best = v;
        for (const k of kept) k.dispose();
        kept = [w1, b1, w2, b2].map((w) => tf.keep(tf.clone(w)));
      }
    }
    const [k1, c1, k2, c2] = kept as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
    return (x: Float64Array) =>
      tf.tidy(
        () =>
          tf
            .add(
              tf.matMul(
                tf.relu(tf.add(tf.matMul(tf.tensor2d(Float32Array.from(x), [1, d]), k1), c1)),
                k2,
              ),
              c2,
            )
            .dataSync() as Float32Array,
      );
  }
}

for (const source of SOURCES) {
  const rows = fittingRows(source);
  const std = standardiser(rows.x);
  const z = rows.x.map(std);
  const heldZ = heldDesc.map((d) => d.perSecond.get(source)!.map(std));
  const readouts: [string, (s: number, t: number, c: number) => number][] = [];
  for (const lambda of [10, 100]) {
    const w = INSTRUMENT_CLASSES.map((_, c) => {
      const idx = rows.cls.flatMap((k, i) => (k === c ? [i] : []));
      return idx.length
        ? ridge(
            idx.map((i) => z[i]!),
            idx.map((i) => rows.y[i]!),
            lambda,
          )
        : new Float64Array(z[0]!.length);
    });
    readouts.push([`ridge lambda ${lambda}`, (s, t, c) => dot(w[c]!, heldZ[s]![t]!)]);
  }
  const t1 = Date.now();
  if (!process.env.PROBE_NO_MLP) {
    const mlp = fitMlp(z, rows.cls, rows.y);
    const cache = new Map<string, Float32Array>();
    readouts.push([
      'MLP',
      (s, t, c) => {
        const key = `${s}|${t}`;
        if (!cache.has(key)) cache.set(key, mlp(heldZ[s]![t]!));
        return cache.get(key)![c]!;
      },
    ]);
  }
  console.log(
    `${source}: ${z[0]!.length - 1} features, ${rows.x.length} fitting rows, MLP fitted in ${((Date.now() - t1) / 1000).toFixed(0)} s`,
  );
  for (const [name, read] of readouts) {
    for (const when of ['when known', 'pooled'] as const) {
      report(`(b) ${source}, ${name}, ${when}`, (q) => {
        const level = (k: 'a' | 'b') => {
          const i = inst(q, k);
          const c = INSTRUMENT_CLASSES.indexOf(i.name);
          const ks = steps.flatMap((t, j) => (when === 'pooled' || i.playing[t] ? [j] : []));
          const use = ks.length ? ks : steps.map((_, j) => j);
          return use.reduce((sum, j) => sum + read(q.s, j, c), 0) / use.length;
        };
        return level('a') > level('b');
      });
    }
  }
}
