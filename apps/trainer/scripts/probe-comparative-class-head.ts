/**
 * Does a `--class-perception` run *hear* the comparisons (issue 21k)? For each held-out
 * comparative question, its own per-class head (perception.audioClass) and sounding-class
 * head read the two named instruments from the audio tokens the run computes for that
 * question and video, and answer without the answer head: "louder" compares the predicted
 * levels, "more rhythmic" the predicted onset rates (each the mean over the steps where the
 * run's sounding head says the class sounds, else over all steps), "longer" the number of
 * such steps (ties count half). AV operands are named by position: the true class of the
 * instrument there stands in for what the run must see. Printed beside the run's own answer.
 * With `--backbone FILE CACHE` the same for a pretrained backbone (`sparsify pretrain
 * --class-perception`), on the held-out videos normalised with the QA cache's statistics,
 * under the one-word question pretraining uses (no answer head to compare with).
 *   cd apps/trainer && SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1 \
 *     node --conditions=source --import tsx scripts/probe-comparative-class-head.ts <run dir>
 *   ... scripts/probe-comparative-class-head.ts --backbone <file.safetensors> <QA cache dir>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import {
  INSTRUMENT_CLASSES,
  normaliseValues,
  OFFICIAL_VOCABULARIES,
  preprocessRendered,
  QUESTION_TEMPLATES,
  renderSceneMedia,
  type Scene,
  synthesizeHeldoutTest,
} from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { splitSource } from '../src/commands/eval.js';
import { createLogger, prepareBackend } from '../src/commands/runtime.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { audioBatchFrom, videoBatchFrom } from '../src/pipeline/feature-inputs.js';
import { preprocessSettingsFor, sampleToInputs } from '../src/pipeline/model-inputs.js';
import { CLASS_ROW } from '../src/pipeline/perception-targets.js';
import { initFromFile } from '../src/train/init-from.js';
import { loadRun } from '../src/train/load-run.js';
import { comparativeBatches, comparisonOperands } from './comparative-probe-helpers.js';

const args = process.argv.slice(2);
const backbone = args[0] === '--backbone' ? (args[1] ?? '') : null;
const logger = createLogger({ logFormat: 'text', quiet: true } as never);
await prepareBackend('wasm', true, logger);
const run = backbone === null ? await loadRun(args[0] ?? '', 'best', logger) : null;
const model =
  run?.model ??
  new SparsifiedAmuse(
    { model: 'tiny', mask: null, merge: null, seed: 42 } as never,
    DEFAULT_INPUTS,
    {
      perceptionHeads: true,
      classPerception: true,
    },
  );
if (backbone !== null) initFromFile(backbone, model.parameters);
const heads = model.perception;
if (!heads?.classWeight || !heads.classBias) {
  throw new Error(`${args[0]}: no per-class head (train or pretrain it with --class-perception)`);
}
const data = run?.config.data ?? { kind: 'synthetic' as const, videos: 480, seed: 7 };
if (data.kind !== 'synthetic') throw new Error('synthetic runs only');
const held = synthesizeHeldoutTest({ videos: data.videos, seed: data.seed }, 1000);
const sceneOf = new Map<string, Scene>(held.scenes.map((s) => [s.videoId, s]));
const byContent = new Map(QUESTION_TEMPLATES.map((t) => [t.content, t.id]));
const YES = OFFICIAL_VOCABULARIES.answers.index('yes');
const NO = OFFICIAL_VOCABULARIES.answers.index('no');
const C = INSTRUMENT_CLASSES.length;
const { video: videoSpec, audio: audioSpec } = model.encoder.config.inputs;
const T = audioSpec.timeSteps;
const D = model.encoder.config.width;

/** Per sample: the per-class head [T, 2C], the sounding logits [T, C], the yes and no logits. */
function perceive(question: Int32Array, frames: Float32Array, fbank: Float32Array, b: number) {
  return tf.tidy(() => {
    const { logits, streams } = model.encoder.forward(
      {
        question: tf.tensor2d(question, [b, 14], 'int32'),
        video: videoBatchFrom(videoSpec, frames, b),
        audio: audioBatchFrom(audioSpec, fbank, b),
      },
      {
        training: false,
        masker: null,
        reducer: null,
        reduceAfterBlock: model.encoder.config.reduceAfterBlock,
        ctx: { epoch: 0, step: 0 },
        returnStreams: true,
      },
    );
    const tokens = streams!.audio.tokens;
    const perStep = tf.reshape(tf.mean(tf.reshape(tokens, [b, T, tokens.shape[1] / T, D]), 2), [
      b * T,
      D,
    ]) as tf.Tensor2D;
    // The heads are linear: the head of a step's mean token is the mean of its tokens' heads.
    const perClass = tf.add(tf.matMul(perStep, heads!.classWeight!), heads!.classBias!);
    const audio = tf.add(tf.matMul(perStep, heads!.audioWeight), heads!.audioBias);
    return {
      classOut: perClass.dataSync() as Float32Array,
      sounding: tf.slice(audio, [0, 0], [b * T, C]).dataSync() as Float32Array,
      yesNo: tf.gather(logits, [YES, NO], 1).dataSync() as Float32Array,
    };
  });
}

function operandClasses(scene: Scene, id: string, v: readonly string[]): [number, number] {
  const [ia, ib] = comparisonOperands(scene, id, v);
  const a = scene.instruments[ia];
  const b = scene.instruments[ib];
  if (!a || !b) throw new Error(`scene ${scene.videoId}: no operand for ${id} ${v.join(',')}`);
  return [INSTRUMENT_CLASSES.indexOf(a.name as never), INSTRUMENT_CLASSES.indexOf(b.name as never)];
}

/** 1, 0 or 0.5 (a tie): the heads' answer to one question against the truth. */
function headScore(
  id: string,
  [a, c]: [number, number],
  classOut: Float32Array,
  sounding: Float32Array,
  i: number,
  truthYes: boolean,
): number {
  const all = Array.from({ length: T }, (_, u) => u);
  const steps = (k: number) => all.filter((u) => sounding[(i * T + u) * C + k]! > 0);
  const read = (k: number, offset: number) => {
    const on = steps(k);
    const use = on.length > 0 ? on : all;
    return (
      use.reduce((sum, u) => sum + classOut[(i * T + u) * 2 * C + offset + k]!, 0) / use.length
    );
  };
  const [x, y] = id.includes('louder')
    ? [read(a, CLASS_ROW.level), read(c, CLASS_ROW.level)]
    : id.includes('rhythmic')
      ? [read(a, CLASS_ROW.onsetRate), read(c, CLASS_ROW.onsetRate)]
      : [steps(a).length, steps(c).length];
  if (x === y) return 0.5;
  return x > y === truthYes ? 1 : 0;
}

const COMPARATIVE = QUESTION_TEMPLATES.filter((t) => t.id.includes('comp'));
if (run) {
  const source = await splitSource(args[0] ?? '', run.config, run.dataset, 'heldout', 1000, logger);
  for (const { template: t, batches } of comparativeBatches(source, byContent)) {
    let n = 0,
      headRight = 0,
      modelRight = 0,
      ties = 0;
    for await (const { chunk, batch } of batches()) {
      const out = perceive(
        batch.inputs.question,
        batch.inputs.frames,
        batch.inputs.fbank,
        chunk.length,
      );
      chunk.forEach((index, i) => {
        const r = source.records[index]!;
        const scene = sceneOf.get(r.videoId);
        if (!scene) throw new Error(`no held-out scene ${r.videoId}`);
        const truthYes = r.label === YES;
        const score = headScore(
          t.id,
          operandClasses(scene, t.id, r.templValues),
          out.classOut,
          out.sounding,
          i,
          truthYes,
        );
        n++;
        headRight += score;
        if (score === 0.5) ties++;
        if (out.yesNo[i * 2]! > out.yesNo[i * 2 + 1]! === truthYes) modelRight++;
      });
    }
    console.log(
      `${t.id}: n ${n}, the run's perception heads answer ${((100 * headRight) / n).toFixed(1)}% (${ties} ties), ` +
        `its answer head (yes vs no) ${((100 * modelRight) / n).toFixed(1)}%`,
    );
  }
} else {
  // The held-out videos as the QA cache's normalisation sees them, one pass per video.
  const header = JSON.parse(readFileSync(join(args[2] ?? '', 'media.json'), 'utf8'));
  const FRAME = 64 * 64 * 3;
  const WINDOW = audioSpec.kind === 'fbank' ? audioSpec.frames * audioSpec.melBins : 0;
  const settings = preprocessSettingsFor(DEFAULT_INPUTS, 8);
  const index = new Map(held.scenes.map((s, i) => [s.videoId, i]));
  const classOut = new Float32Array(held.scenes.length * T * 2 * C);
  const sounding = new Float32Array(held.scenes.length * T * C);
  for (let s = 0; s < held.scenes.length; s += 16) {
    const chunk = held.scenes.slice(s, s + 16);
    const frames = new Float32Array(chunk.length * T * FRAME);
    const fbank = new Float32Array(chunk.length * T * WINDOW);
    chunk.forEach((scene, i) => {
      const media = renderSceneMedia(scene, {
        frameSize: [64, 64],
        noise: held.options.noise,
        sampleRate: 16000,
      });
      const x = sampleToInputs(
        preprocessRendered(media.frames, media.waveform, settings),
        DEFAULT_INPUTS,
      );
      for (let k = 0; k < x.frames.length; k++) frames[i * T * FRAME + k] = x.frames[k]! / 255;
      fbank.set(x.fbank, i * T * WINDOW);
    });
    normaliseValues(fbank, header.fbank, fbank);
    const question = new Int32Array(chunk.length * 14);
    for (let i = 0; i < chunk.length; i++) question[i * 14] = 1;
    const out = perceive(question, frames, fbank, chunk.length);
    classOut.set(out.classOut, s * T * 2 * C);
    sounding.set(out.sounding, s * T * C);
  }
  for (const t of COMPARATIVE) {
    const records = held.records.filter((r) => byContent.get(r.question_content) === t.id);
    let right = 0,
      ties = 0;
    for (const r of records) {
      const i = index.get(r.video_id)!;
      const score = headScore(
        t.id,
        operandClasses(held.scenes[i]!, t.id, JSON.parse(r.templ_values as string)),
        classOut,
        sounding,
        i,
        r.anser === 'yes',
      );
      right += score;
      if (score === 0.5) ties++;
    }
    console.log(
      `${t.id}: n ${records.length}, the backbone's perception heads answer ${((100 * right) / records.length).toFixed(1)}% (${ties} ties)`,
    );
  }
}
