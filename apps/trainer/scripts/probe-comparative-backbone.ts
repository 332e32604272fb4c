/**
 * What the shipped backbone's audio tokens hold about each instrument (issue 21i). The same
 * per-class ridge read-out as probe-comparative-inputs.ts, from (a) pooled band statistics of
 * the normalised fbank the encoder receives and (b) pooled final audio tokens of the
 * backbone (apps/trainer/assets/backbone-tiny.safetensors, the neutral pretraining question),
 * fitted on the 480 videos of the QA benchmark (seed 7, its cache built by a train run) and
 * scored on its 1,000 held-out scenes' comparative questions. Also (c): "longer" answered
 * straight from the backbone's own sounding-class head (steps where the class is said to sound).
 *   cd apps/trainer && SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1 \
 *     node --conditions=source --import tsx scripts/probe-comparative-backbone.ts <cache dir> <backbone>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import {
  INSTRUMENT_CLASSES,
  normaliseValues,
  preprocessRendered,
  QUESTION_TEMPLATES,
  renderSceneMedia,
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
import { dot, positionOf, ridge } from './comparative-probe-helpers.js';

const [cacheDir = '', backbone = ''] = process.argv.slice(2);
const inputs = DEFAULT_INPUTS;
const T = 5,
  F = 64,
  M = 64,
  D = 64;
const FRAME = 64 * 64 * 3,
  WINDOW = F * M;
/** Audio head outputs: 22 class logits, start logit, onset rate, level, pitch. */
const OUT = 26;

await prepareBackend('wasm', true, createLogger({ logFormat: 'text', quiet: true } as never));
const model = new SparsifiedAmuse(
  { model: 'tiny', mask: null, merge: null, seed: 42 } as never,
  inputs,
  {
    perceptionHeads: true,
  },
);
initFromFile(backbone, model.parameters);
const heads = model.perception!;

/** Per video: [input features 3M, token features 3D, sounding logits T x 22]. */
function describe(frames: Uint8Array, fbank: Float32Array, count: number) {
  const out: {
    input: Float64Array;
    tokens: Float64Array;
    sounding: Float32Array;
    heads: Float32Array;
  }[] = [];
  for (let start = 0; start < count; start += 16) {
    const b = Math.min(16, count - start);
    const result = tf.tidy(() => {
      const video = new Float32Array(b * T * FRAME);
      for (let i = 0; i < video.length; i++) video[i] = frames[start * T * FRAME + i]! / 255;
      const audio = fbank.subarray(start * T * WINDOW, (start + b) * T * WINDOW);
      const question = new Int32Array(b * 14);
      for (let i = 0; i < b; i++) question[i * 14] = 1;
      const { streams } = model.encoder.forward(
        {
          question: tf.tensor2d(question, [b, 14], 'int32'),
          video: videoBatchFrom(inputs.video, video, b),
          audio: audioBatchFrom(inputs.audio, Float32Array.from(audio), b),
        },
        {
          training: false,
          masker: null,
          reducer: null,
          reduceAfterBlock: 3,
          ctx: { epoch: 0, step: 0 },
          returnStreams: true,
        },
      );
      const tokens = streams!.audio.tokens as tf.Tensor3D; // [b, T*16, D]
      const perStep = tf.mean(tf.reshape(tokens, [b, T, 16, D]), 2); // [b, T, D]
      const spread = tf.mean(
        tf.sqrt(tf.add(tf.moments(tf.reshape(tokens, [b, T, 16, D]), 2).variance, 1e-9)),
        1,
      );
      const logits = tf.add(
        tf.matMul(tf.reshape(perStep, [b * T, D]), heads.audioWeight),
        heads.audioBias,
      );
      return [
        tf.mean(perStep, 1).dataSync(),
        tf.max(perStep, 1).dataSync(),
        spread.dataSync(),
        logits.dataSync(),
      ] as const;
    });
    const [mean, max, spread, logits] = result;
    for (let i = 0; i < b; i++) {
      const v = start + i;
      const input = new Float64Array(3 * M + 1);
      for (let m = 0; m < M; m++) {
        let ms = 0,
          mx = -Infinity,
          sd = 0;
        for (let t = 0; t < T; t++) {
          let s = 0,
            s2 = 0;
          for (let f = 0; f < F; f++) {
            const x = fbank[((v * T + t) * F + f) * M + m]!;
            s += x;
            s2 += x * x;
          }
          ms += s / F;
          mx = Math.max(mx, s / F);
          sd += Math.sqrt(Math.max(0, s2 / F - (s / F) ** 2));
        }
        input[m] = ms / T;
        input[M + m] = mx;
        input[2 * M + m] = sd / T;
      }
      input[3 * M] = 1;
      const tok = new Float64Array(3 * D + 1);
      for (let k = 0; k < D; k++) {
        tok[k] = mean[i * D + k]!;
        tok[D + k] = max[i * D + k]!;
        tok[2 * D + k] = spread[i * D + k]!;
      }
      tok[3 * D] = 1;
      const outputs = Float32Array.from(logits.subarray(i * T * OUT, (i + 1) * T * OUT));
      const sounding = new Float32Array(T * 22);
      for (let t = 0; t < T; t++) sounding.set(outputs.subarray(t * OUT, t * OUT + 22), t * 22);
      out.push({ input, tokens: tok, sounding, heads: outputs });
    }
  }
  return out;
}

const header = JSON.parse(readFileSync(join(cacheDir, 'media.json'), 'utf8'));
const trainFrames = new Uint8Array(readFileSync(join(cacheDir, 'frames.u8')));
const fb = readFileSync(join(cacheDir, 'fbank.f32'));
const trainFbank = new Float32Array(fb.buffer.slice(fb.byteOffset, fb.byteOffset + fb.byteLength));
const bench = synthesizeAnnotations({ videos: 480, seed: 7, media: 'none' });
const fitScenes = header.videoIds.map(
  (id: string) => bench.scenes.find((s) => s.videoId === id)!,
) as Scene[];
const fitDesc = describe(trainFrames, trainFbank, fitScenes.length);

const held = synthesizeHeldoutTest({ videos: 480, seed: 7 }, 1000);
const settings = preprocessSettingsFor(inputs, 8);
const hf = new Uint8Array(1000 * T * FRAME),
  hb = new Float32Array(1000 * T * WINDOW);
held.scenes.forEach((scene, i) => {
  const media = renderSceneMedia(scene, {
    frameSize: [64, 64],
    noise: held.options.noise,
    sampleRate: 16000,
  });
  const x = sampleToInputs(preprocessRendered(media.frames, media.waveform, settings), inputs);
  hf.set(x.frames, i * T * FRAME);
  hb.set(x.fbank, i * T * WINDOW);
});
normaliseValues(hb, header.fbank, hb);
const heldDesc = new Map(held.scenes.map((s, i) => [s.videoId, i]));
const heldAll = describe(hf, hb, 1000);

const steps = [...spreadTimeSteps(8, T)];
const QUANT = {
  level: (i: SceneInstrument) => i.gainDb,
  rhythm: (i: SceneInstrument) => Math.log(i.noteRate),
  length: (i: SceneInstrument) => steps.filter((t) => i.playing[t]).length,
};
function standardiser(rows: Float64Array[]) {
  const d = rows[0]!.length,
    mu = new Float64Array(d),
    sd = new Float64Array(d);
  for (let j = 0; j < d - 1; j++) {
    for (const x of rows) mu[j]! += x[j]! / rows.length;
    for (const x of rows) sd[j]! += (x[j]! - mu[j]!) ** 2 / rows.length;
    sd[j] = Math.sqrt(sd[j]!) || 1;
  }
  return (x: Float64Array) => x.map((v, j) => (j === d - 1 ? 1 : (v - mu[j]!) / sd[j]!));
}
const byContent = new Map(QUESTION_TEMPLATES.map((t) => [t.content, t.id]));
const COMP = QUESTION_TEMPLATES.filter((t) => t.id.includes('comp'));
function operands(scene: Scene, id: string, v: string[]) {
  const find = (name?: string, pos?: string) =>
    scene.instruments.find(
      (i) =>
        (name === undefined || i.name === name) &&
        (pos === undefined || (i.visible && positionOf(i) === pos)),
    )!;
  return id.startsWith('a-comp')
    ? [find(v[0]), find(v[1])]
    : id.includes('object')
      ? [find(v[0], v[1]), find(v[2], v[3])]
      : [find(undefined, v[0]), find(undefined, v[1])];
}

for (const source of ['input', 'tokens'] as const) {
  const std = standardiser(fitDesc.map((d) => d[source]));
  const fitZ = fitDesc.map((d) => std(d[source]));
  const heldZ = heldAll.map((d) => std(d[source]));
  for (const lambda of [10, 100]) {
    const models = new Map<string, Float64Array>();
    for (const q of Object.keys(QUANT) as (keyof typeof QUANT)[]) {
      for (const c of INSTRUMENT_CLASSES) {
        const xs: Float64Array[] = [],
          ys: number[] = [];
        fitScenes.forEach((s, n) => {
          const inst = s.instruments.filter((i) => i.name === c && i.playing.includes(true));
          if (inst.length === 1) {
            xs.push(fitZ[n]!);
            ys.push(QUANT[q](inst[0]!));
          }
        });
        models.set(
          `${q}|${c}`,
          xs.length ? ridge(xs, ys, lambda) : new Float64Array(fitZ[0]!.length),
        );
      }
    }
    const line = COMP.map((t) => {
      const q = t.id.includes('louder') ? 'level' : t.id.includes('rhythmic') ? 'rhythm' : 'length';
      const rs = held.records.filter((r) => byContent.get(r.question_content) === t.id);
      const right = rs.filter((r) => {
        const [a, b] = operands(
          held.scenes[heldDesc.get(r.video_id)!]!,
          t.id,
          JSON.parse(r.templ_values as string),
        );
        const x = heldZ[heldDesc.get(r.video_id)!]!;
        return (
          dot(models.get(`${q}|${a!.name}`)!, x) > dot(models.get(`${q}|${b!.name}`)!, x) ===
          (r.anser === 'yes')
        );
      }).length;
      return `${t.id} ${((100 * right) / rs.length).toFixed(1)}`;
    });
    console.log(`${source} lambda ${lambda}: ${line.join('; ')}`);
  }
}
// (c) "longer" from the backbone's sounding head: steps with logit > 0 for the named class.
const longer = held.records.filter((r) => byContent.get(r.question_content) === 'a-comp-longer');
let right = 0,
  ties = 0;
for (const r of longer) {
  const i = heldDesc.get(r.video_id)!;
  const [a, b] = operands(held.scenes[i]!, 'a-comp-longer', JSON.parse(r.templ_values as string));
  const count = (name: string) => {
    const c = INSTRUMENT_CLASSES.indexOf(name as never);
    return steps.filter((_, t) => heldAll[i]!.sounding[t * 22 + c]! > 0).length;
  };
  const [ca, cb] = [count(a!.name), count(b!.name)];
  if (ca === cb) {
    ties++;
    right += 0.5;
  } else if (ca > cb === (r.anser === 'yes')) right++;
}
console.log(
  `a-comp-longer from the sounding head: ${((100 * right) / longer.length).toFixed(1)}% (${ties} ties of ${longer.length})`,
);

// (d) The backbone's own audio perception on the held-out scenes, per time step (the head on
// the step's mean token equals the mean of its tokens' heads: the head is linear).
{
  const { videoPerception, AUDIO, AUDIO_TARGETS } = await import(
    '../src/pipeline/perception-targets.js'
  );
  const pairs: Record<'onsetRate' | 'level' | 'pitch', [number, number][]> = {
    onsetRate: [],
    level: [],
    pitch: [],
  };
  let starts = 0,
    startsRight = 0;
  held.scenes.forEach((scene, i) => {
    const { audioSteps } = videoPerception(scene, inputs, 16);
    for (let t = 0; t < T; t++) {
      const row = audioSteps.subarray(t * AUDIO_TARGETS, (t + 1) * AUDIO_TARGETS);
      const out = heldAll[i]!.heads.subarray(t * OUT, (t + 1) * OUT);
      starts++;
      if (out[22]! > 0 === row[AUDIO.start]! >= 0.5) startsRight++;
      pairs.onsetRate.push([out[23]!, row[AUDIO.onsetRate]!]);
      pairs.level.push([out[24]!, row[AUDIO.level]!]);
      if (row[AUDIO.pitchMask]! > 0) pairs.pitch.push([out[25]!, row[AUDIO.pitch]!]);
    }
  });
  const r2 = (xy: [number, number][]) => {
    const mean = xy.reduce((s, [, y]) => s + y, 0) / xy.length;
    const res = xy.reduce((s, [p, y]) => s + (p - y) ** 2, 0);
    const tot = xy.reduce((s, [, y]) => s + (y - mean) ** 2, 0);
    return 1 - res / tot;
  };
  console.log(
    `backbone audio head on held-out steps: start decisions ${((100 * startsRight) / starts).toFixed(1)}%, ` +
      `R^2 onset rate (sum over instruments) ${r2(pairs.onsetRate).toFixed(3)}, mix level ${r2(pairs.level).toFixed(3)}, ` +
      `pitch of the loudest ${r2(pairs.pitch).toFixed(3)}`,
  );
}
