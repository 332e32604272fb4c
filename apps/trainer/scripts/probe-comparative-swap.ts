/**
 * Order test of a trained QA run on the comparative templates (issue 21i). Every comparative
 * question's truth flips when its two operands swap ("Is A louder than B?" vs "Is B louder
 * than A?"). For each held-out comparative question, the run's best checkpoint answers the
 * question as asked and with its operands swapped (the same video); an order-aware model
 * flips its answer, an order-blind one gives the same answer to both. Also prints P(yes)
 * statistics and the share of "yes" answers per template.
 *   cd apps/trainer && SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1 \
 *     node --conditions=source --import tsx scripts/probe-comparative-swap.ts <run dir> [first held-out video]
 * The held-out scenes start where `eval --heldout-first-video` would put them (the run's own
 * count of videos when omitted).
 */
import {
  encodeQuestion,
  OFFICIAL_VOCABULARIES,
  QUESTION_TEMPLATES,
  tokenizeQuestion,
} from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { splitSource } from '../src/commands/eval.js';
import { createLogger, prepareBackend } from '../src/commands/runtime.js';
import { loadRun } from '../src/train/load-run.js';
import { comparativeBatches } from './comparative-probe-helpers.js';

const runDir = process.argv[2] ?? '';
const heldoutFirstVideo = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const logger = createLogger({ logFormat: 'text', quiet: true } as never);
await prepareBackend('wasm', true, logger);
const run = await loadRun(runDir, 'best', logger);
const source = await splitSource(
  runDir,
  run.config,
  run.dataset,
  'heldout',
  1000,
  logger,
  heldoutFirstVideo,
);
const byContent = new Map(QUESTION_TEMPLATES.map((t) => [t.content, t.id]));
const answers = OFFICIAL_VOCABULARIES.answers;
const YES = answers.index('yes');
const NO = answers.index('no');

function swapped(id: string, v: readonly string[]): string[] {
  if (id.includes('object')) return [v[2]!, v[3]!, v[0]!, v[1]!];
  return [v[1]!, v[0]!];
}

for (const { template: t, batches } of comparativeBatches(source, byContent)) {
  let n = 0,
    flips = 0,
    yesAsked = 0,
    right = 0,
    gapSum = 0,
    qGapSum = 0;
  for await (const { chunk, batch } of batches()) {
    const swappedQuestion = new Int32Array(batch.inputs.question.length);
    chunk.forEach((index, i) => {
      const r = source.records[index]!;
      const ids = encodeQuestion(tokenizeQuestion(r.question, swapped(t.id, r.templValues)));
      swappedQuestion.set(ids, i * ids.length);
    });
    const pYes = (question: Int32Array) =>
      tf.tidy(() => {
        const { logits } = run.model.forward(
          { inputs: { ...batch.inputs, question, perception: undefined }, labels: batch.labels },
          { training: false, epoch: 0, step: 0 } as never,
        );
        const two = tf.softmax(tf.gather(logits, [YES, NO], 1));
        return tf.slice(two, [0, 0], [chunk.length, 1]).dataSync();
      });
    const relative = tf.tidy(() => {
      const q = (ids: Int32Array) =>
        run.model.encoder.question.apply(tf.tensor2d(ids, [chunk.length, 14], 'int32')).pooled;
      const a = q(batch.inputs.question),
        b = q(swappedQuestion);
      return tf.div(tf.norm(tf.sub(a, b), 'euclidean', 1), tf.norm(a, 'euclidean', 1)).dataSync();
    });
    for (const x of relative) qGapSum += x;
    const asked = pYes(batch.inputs.question);
    const swap = pYes(swappedQuestion);
    chunk.forEach((index, i) => {
      const truthYes = source.records[index]!.label === YES;
      const a = asked[i]! > 0.5,
        b = swap[i]! > 0.5;
      n++;
      if (a !== b) flips++;
      if (a) yesAsked++;
      if (a === truthYes) right++;
      gapSum += Math.abs(asked[i]! - swap[i]!);
    });
  }
  console.log(
    `${t.id}: n ${n}, accuracy (yes/no only) ${((100 * right) / n).toFixed(1)}%, answers "yes" ${((100 * yesAsked) / n).toFixed(1)}%, ` +
      `answer flips when operands swap ${((100 * flips) / n).toFixed(1)}% (truth: 100%), mean |P(yes) - P(yes swapped)| ${(gapSum / n).toFixed(3)}, ` +
      `pooled question |q - q swapped| / |q| ${(qGapSum / n).toFixed(4)}`,
  );
}
