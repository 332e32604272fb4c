/**
 * Does a `--class-perception` run *hear* the comparisons (issue 21k)? For each held-out
 * comparative question, its own per-class head (perception.audioClass) and sounding-class
 * head read the two named instruments from the audio tokens the run computes for that
 * question and video, and answer without the answer head: "louder" compares the predicted
 * levels, "more rhythmic" the predicted onset rates (each the mean over the steps where the
 * run's sounding head says the class sounds, else over all steps), "longer" the number of
 * such steps (ties count half). AV operands are named by position: the true class of the
 * instrument there stands in for what the run must see. Printed beside the run's own answer.
 *   cd apps/trainer && SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1 \
 *     node --conditions=source --import tsx scripts/probe-comparative-class-head.ts <run dir>
 */
import {
  INSTRUMENT_CLASSES,
  OFFICIAL_VOCABULARIES,
  QUESTION_TEMPLATES,
  type Scene,
  synthesizeHeldoutTest,
} from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { splitSource } from '../src/commands/eval.js';
import { createLogger, prepareBackend } from '../src/commands/runtime.js';
import { audioBatchFrom, videoBatchFrom } from '../src/pipeline/feature-inputs.js';
import { CLASS_ROW } from '../src/pipeline/perception-targets.js';
import { loadRun } from '../src/train/load-run.js';
import { positionOf } from './comparative-probe-helpers.js';

const runDir = process.argv[2] ?? '';
const logger = createLogger({ logFormat: 'text', quiet: true } as never);
await prepareBackend('wasm', true, logger);
const run = await loadRun(runDir, 'best', logger);
const heads = run.model.perception;
if (!heads?.classWeight || !heads.classBias) {
  throw new Error(`${runDir}: the run has no per-class head (train it with --class-perception)`);
}
const source = await splitSource(runDir, run.config, run.dataset, 'heldout', 1000, logger);
if (run.config.data.kind !== 'synthetic') throw new Error('synthetic runs only');
const held = synthesizeHeldoutTest(
  { videos: run.config.data.videos, seed: run.config.data.seed },
  1000,
);
const sceneOf = new Map<string, Scene>(held.scenes.map((s) => [s.videoId, s]));
const byContent = new Map(QUESTION_TEMPLATES.map((t) => [t.content, t.id]));
const YES = OFFICIAL_VOCABULARIES.answers.index('yes');
const NO = OFFICIAL_VOCABULARIES.answers.index('no');
const C = INSTRUMENT_CLASSES.length;
const { video: videoSpec, audio: audioSpec } = run.model.encoder.config.inputs;
const T = audioSpec.timeSteps;
const D = run.model.encoder.config.width;

function operandClasses(scene: Scene, id: string, v: readonly string[]): [number, number] {
  const find = (name?: string, pos?: string) =>
    scene.instruments.find(
      (i) =>
        (name === undefined || i.name === name) &&
        (pos === undefined || (i.visible && positionOf(i) === pos)),
    );
  const [a, b] = id.startsWith('a-comp')
    ? [find(v[0]), find(v[1])]
    : id.includes('object')
      ? [find(v[0], v[1]), find(v[2], v[3])]
      : [find(undefined, v[0]), find(undefined, v[1])];
  if (!a || !b) throw new Error(`scene ${scene.videoId}: no operand for ${id} ${v.join(',')}`);
  return [INSTRUMENT_CLASSES.indexOf(a.name as never), INSTRUMENT_CLASSES.indexOf(b.name as never)];
}

for (const t of QUESTION_TEMPLATES.filter((t) => t.id.includes('comp'))) {
  const indices = source.records.flatMap((r, i) => (byContent.get(r.question) === t.id ? [i] : []));
  let n = 0,
    headRight = 0,
    modelRight = 0,
    ties = 0;
  for (let s = 0; s < indices.length; s += 16) {
    const chunk = indices.slice(s, s + 16);
    const b = chunk.length;
    const batch = await source.load(Int32Array.from(chunk));
    const [classOut, sounding, logits] = tf.tidy(() => {
      const { logits, streams } = run.model.encoder.forward(
        {
          question: tf.tensor2d(batch.inputs.question, [b, 14], 'int32'),
          video: videoBatchFrom(videoSpec, batch.inputs.frames, b),
          audio: audioBatchFrom(audioSpec, batch.inputs.fbank, b),
        },
        {
          training: false,
          masker: null,
          reducer: null,
          reduceAfterBlock: run.model.encoder.config.reduceAfterBlock,
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
      const perClass = tf.add(tf.matMul(perStep, heads.classWeight!), heads.classBias!);
      const audio = tf.add(tf.matMul(perStep, heads.audioWeight), heads.audioBias);
      return [
        perClass.dataSync(),
        tf.slice(audio, [0, 0], [b * T, C]).dataSync(),
        tf.gather(logits, [YES, NO], 1).dataSync(),
      ] as const;
    });
    chunk.forEach((index, i) => {
      const r = source.records[index]!;
      const scene = sceneOf.get(r.videoId);
      if (!scene) throw new Error(`no held-out scene ${r.videoId}`);
      const [a, c] = operandClasses(scene, t.id, r.templValues);
      const steps = (k: number) =>
        Array.from({ length: T }, (_, u) => u).filter((u) => sounding[(i * T + u) * C + k]! > 0);
      const read = (k: number, offset: number) => {
        const on = steps(k);
        const use = on.length > 0 ? on : Array.from({ length: T }, (_, u) => u);
        return (
          use.reduce((sum, u) => sum + classOut[(i * T + u) * 2 * C + offset + k]!, 0) / use.length
        );
      };
      const [x, y] = t.id.includes('louder')
        ? [read(a, CLASS_ROW.level), read(c, CLASS_ROW.level)]
        : t.id.includes('rhythmic')
          ? [read(a, CLASS_ROW.onsetRate), read(c, CLASS_ROW.onsetRate)]
          : [steps(a).length, steps(c).length];
      const truthYes = r.label === YES;
      n++;
      if (x === y) {
        ties++;
        headRight += 0.5;
      } else if (x > y === truthYes) headRight++;
      if (logits[i * 2]! > logits[i * 2 + 1]! === truthYes) modelRight++;
    });
  }
  console.log(
    `${t.id}: n ${n}, the run's perception heads answer ${((100 * headRight) / n).toFixed(1)}% (${ties} ties), ` +
      `its answer head (yes vs no) ${((100 * modelRight) / n).toFixed(1)}%`,
  );
}
