/**
 * Benchmark of @sparsify/iqr-token-merge (run: pnpm --filter @sparsify/iqr-token-merge bench).
 *  (a) tokens kept per sample by the IQR rule on realistic attention, c = 1.5 and c = 0;
 *  (b) on stock wasm: one transformer block after merging vs before (ratio measured in
 *      the same run, interleaved), and the merge overhead (plan + apply) as % of a block.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  applyMergePlan,
  attentionBias,
  createIqrTokenReducer,
  importanceFromAttention,
  mergeTokens,
  selectKeyTokens,
} from '../src/index.js';
import { peakedAttention, structuredAttention } from './attention-data.js';
import { blockKeys, initBlock, runBlock } from './transformer-block.js';

const SIDES = [14, 20, 32]; // N = 196, 400, 1024
const DIM = 256;
const HEADS = 4;
const MULTIPLIERS = [1.5, 0];

await tf.setBackend('wasm');
await tf.ready();
console.log(`backend ${tf.getBackend()}, D = ${DIM}, H = ${HEADS}, node ${process.version}`);

// (a) ---------------------------------------------------------------------------------
console.log('\n(a) tokens kept per sample (64 samples per row; minKeep 1, maxKeep N - 1)');
console.log('| attention | N | c | min | median | p90 | max | mean kept fraction |');
console.log('|---|---|---|---|---|---|---|---|');
for (const side of SIDES) {
  const tokens = side * side;
  const scoreRows = { structured: [] as Float32Array[], peaked: [] as Float32Array[] };
  for (let chunk = 0; chunk < 8; chunk++) {
    const structured = structuredAttention(8, side, 64, HEADS, 100 + chunk);
    const scores = importanceFromAttention(structured.attention, structured.queryPadMask);
    scoreRows.structured.push(...splitRows(scores.dataSync() as Float32Array, tokens));
    tf.dispose([structured.tokens, structured.attention, structured.queryPadMask, scores]);
    const peaked = peakedAttention(8, tokens, HEADS, 200 + chunk);
    const peakedScores = importanceFromAttention(peaked);
    scoreRows.peaked.push(...splitRows(peakedScores.dataSync() as Float32Array, tokens));
    tf.dispose([peaked, peakedScores]);
  }
  for (const [kind, rows] of Object.entries(scoreRows)) {
    for (const iqrMultiplier of MULTIPLIERS) {
      const all = Array.from({ length: tokens }, (_, n) => n);
      const kept = rows.map(
        (row) => selectKeyTokens(row, all, { iqrMultiplier }).keyIndices.length,
      );
      const sorted = [...kept].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      const meanFraction = kept.reduce((sum, k) => sum + k, 0) / kept.length / tokens;
      console.log(
        `| ${kind} | ${tokens} | ${iqrMultiplier} | ${sorted[0]} | ${at(0.5)} | ${at(0.9)} | ${sorted.at(-1)} | ${(100 * meanFraction).toFixed(1)}% |`,
      );
    }
  }
}

// (b) ---------------------------------------------------------------------------------
const BATCH = 2;
console.log(
  `\n(b) one block on wasm, B = ${BATCH}, structured attention; medians of interleaved runs`,
);
console.log(
  '| N | c | M (padded) | M/N | block before ms | block after ms | after/before | merge ms (plan + apply) | of which apply ms | merge % of block before | train step before ms | train after (incl. merge) ms | train ratio |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
const weights = initBlock(DIM, HEADS, 7);
const weightList = [weights.qkv, weights.projection, weights.hidden, weights.output];
for (const side of SIDES) {
  const tokens = side * side;
  const repeats = tokens >= 1024 ? 3 : 5;
  const data = structuredAttention(BATCH, side, DIM, HEADS, 300 + side);
  const keys = blockKeys(weights, data.tokens);
  for (const iqrMultiplier of MULTIPLIERS) {
    const reducer = createIqrTokenReducer({ iqrMultiplier });
    const input = {
      stream: 'video' as const,
      tokens: data.tokens,
      keys,
      attention: data.attention,
      queryPadMask: data.queryPadMask,
      sizes: null,
      padMask: null,
    };
    const reduced = reducer.reduceTokens(input, { training: true, epoch: 0, step: 0 });
    const bias = attentionBias(reduced.sizes, reduced.padMask);
    const outputs = reduced.tokens.shape[1];
    const loss = (x: tf.Tensor, ...w: tf.Tensor[]) =>
      tf.sum(
        runBlock(
          {
            heads: HEADS,
            qkv: w[0] as tf.Tensor2D,
            projection: w[1] as tf.Tensor2D,
            hidden: w[2] as tf.Tensor2D,
            output: w[3] as tf.Tensor2D,
          },
          x as tf.Tensor3D,
          null,
        ),
      );
    const mergedLoss = (x: tf.Tensor, ...w: tf.Tensor[]) =>
      tf.sum(
        runBlock(
          {
            heads: HEADS,
            qkv: w[0] as tf.Tensor2D,
            projection: w[1] as tf.Tensor2D,
            hidden: w[2] as tf.Tensor2D,
            output: w[3] as tf.Tensor2D,
          },
          applyMergePlan(reduced.plan, x as tf.Tensor3D),
          bias,
        ),
      );
    const timings = {
      before: [] as number[],
      after: [] as number[],
      merge: [] as number[],
      apply: [] as number[],
      trainBefore: [] as number[],
      trainAfter: [] as number[],
    };
    const run = (record: boolean) => {
      const time = (
        name: keyof typeof timings,
        f: () =>
          | tf.Tensor
          | tf.Tensor[]
          | { tokens: tf.Tensor; sizes: tf.Tensor; padMask: tf.Tensor },
      ) => {
        const start = performance.now();
        const result = f();
        const tensors = Array.isArray(result)
          ? result
          : result instanceof tf.Tensor
            ? [result]
            : [result.tokens, result.sizes, result.padMask];
        for (const t of tensors) t.dataSync();
        if (record) timings[name].push(performance.now() - start);
        tf.dispose(tensors);
      };
      time('before', () => runBlock(weights, data.tokens, null));
      time('after', () => runBlock(weights, reduced.tokens, bias));
      time('merge', () => reducer.reduceTokens(input, { training: true, epoch: 0, step: 0 }));
      time('apply', () => mergeTokens(reduced.plan, data.tokens));
      // A training step at N = 1024 takes ~30 s on stock wasm; it is measured up to N = 400.
      if (tokens <= 400) {
        time('trainBefore', () => tf.grads(loss)([data.tokens, ...weightList]));
        time('trainAfter', () => tf.grads(mergedLoss)([data.tokens, ...weightList]));
      }
    };
    run(false);
    for (let r = 0; r < repeats; r++) run(true);
    const m = Object.fromEntries(
      Object.entries(timings).map(([k, v]) => [k, v.length ? median(v) : Number.NaN]),
    ) as Record<keyof typeof timings, number>;
    console.log(
      `| ${tokens} | ${iqrMultiplier} | ${outputs} | ${(outputs / tokens).toFixed(3)} | ${m.before.toFixed(0)} | ${m.after.toFixed(0)} | ${(m.after / m.before).toFixed(3)} | ${m.merge.toFixed(1)} | ${m.apply.toFixed(1)} | ${((100 * m.merge) / m.before).toFixed(1)}% | ${m.trainBefore.toFixed(0)} | ${m.trainAfter.toFixed(0)} | ${(m.trainAfter / m.trainBefore).toFixed(3)} |`,
    );
    tf.dispose([reduced.tokens, reduced.sizes, reduced.padMask, bias]);
  }
  tf.dispose([data.tokens, data.attention, data.queryPadMask, keys]);
}
console.log(`\ntensors alive at the end: ${tf.memory().numTensors} (weights: 4)`);

function splitRows(values: Float32Array, length: number): Float32Array[] {
  return Array.from({ length: values.length / length }, (_, i) =>
    values.subarray(i * length, (i + 1) * length),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
