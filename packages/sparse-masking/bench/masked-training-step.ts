/**
 * Forward + backward of a small ViT-style transformer on masked vs unmasked tokens.
 *
 *   pnpm --filter @sparsify/sparse-masking bench [-- --backend wasm|cpu] [--reps 9]
 *
 * Prints the median step time per configuration, the ratio to the unmasked step, and the
 * cost of masking itself (draw a plan, gather forward, scatter backward) as a share of the
 * masked step. Written with tfjs-core functional ops only, as a library would be.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  applyMaskPlan,
  createMaskPlan,
  createRng,
  drawKeepSets,
  keptCount,
  type MaskPlan,
} from '../src/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};
const BACKEND = option('backend', 'wasm');
const REPS = Number(option('reps', '9'));

// AMUSE-like token count for one stream: 4 time steps x 49 patches.
const CONFIG = {
  batch: 4,
  tokens: 196,
  patchDim: 192,
  dim: 128,
  heads: 4,
  blocks: 2,
  mlpDim: 512,
  classes: 42,
};
const GRID = { timeSteps: 4, tokensPerStep: 49 };

interface Block {
  norm1: [tf.Variable, tf.Variable];
  wq: tf.Variable;
  wk: tf.Variable;
  wv: tf.Variable;
  wo: tf.Variable;
  norm2: [tf.Variable, tf.Variable];
  w1: tf.Variable;
  w2: tf.Variable;
}

function weight(shape: number[], seed: number): tf.Variable {
  return tf.variable(tf.randomNormal(shape, 0, 1 / Math.sqrt(shape[0]!), 'float32', seed));
}

function createModel() {
  const { patchDim, dim, mlpDim, classes, tokens, blocks } = CONFIG;
  const norm = (): [tf.Variable, tf.Variable] => [
    tf.variable(tf.ones([dim])),
    tf.variable(tf.zeros([dim])),
  ];
  return {
    patchEmbed: weight([patchDim, dim], 1),
    positions: weight([1, tokens, dim], 2),
    blocks: Array.from(
      { length: blocks },
      (_, i): Block => ({
        norm1: norm(),
        wq: weight([dim, dim], 10 * i + 3),
        wk: weight([dim, dim], 10 * i + 4),
        wv: weight([dim, dim], 10 * i + 5),
        wo: weight([dim, dim], 10 * i + 6),
        norm2: norm(),
        w1: weight([dim, mlpDim], 10 * i + 7),
        w2: weight([mlpDim, dim], 10 * i + 8),
      }),
    ),
    head: weight([dim, classes], 99),
  };
}
type Model = ReturnType<typeof createModel>;

function layerNorm(x: tf.Tensor2D, [gamma, beta]: [tf.Variable, tf.Variable]): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

/** Rows [B * n, D] -> heads [B * H, n, D / H] (rank <= 4 throughout, as wasm wants). */
function splitHeads(rows: tf.Tensor2D, batch: number, n: number): tf.Tensor3D {
  const { heads, dim } = CONFIG;
  const split = tf.transpose(tf.reshape(rows, [batch, n, heads, dim / heads]), [0, 2, 1, 3]);
  return tf.reshape(split, [batch * heads, n, dim / heads]);
}

function block(x: tf.Tensor2D, p: Block, batch: number, n: number): tf.Tensor2D {
  const { heads, dim } = CONFIG;
  const h = layerNorm(x, p.norm1);
  const q = splitHeads(tf.matMul(h, p.wq), batch, n);
  const k = splitHeads(tf.matMul(h, p.wk), batch, n);
  const v = splitHeads(tf.matMul(h, p.wv), batch, n);
  const attention = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dim / heads)));
  const mixed = tf.transpose(
    tf.reshape(tf.matMul(attention, v), [batch, heads, n, dim / heads]),
    [0, 2, 1, 3],
  );
  const attended: tf.Tensor2D = tf.add(x, tf.matMul(tf.reshape(mixed, [batch * n, dim]), p.wo));
  const hidden = tf.relu(tf.matMul(layerNorm(attended, p.norm2), p.w1));
  return tf.add(attended, tf.matMul(hidden, p.w2));
}

type Masking = { kind: 'none' } | { kind: 'plan'; ratio: number } | { kind: 'slice'; keep: number };

/** Mean cross-entropy; masking happens after the positional embedding, as in MAE. */
function loss(
  model: Model,
  patches: tf.Tensor3D,
  labels: tf.Tensor2D,
  masking: Masking,
  step: number,
): tf.Scalar {
  const { batch, tokens, patchDim, dim } = CONFIG;
  const embedded = tf.reshape(
    tf.matMul(tf.reshape(patches, [batch * tokens, patchDim]), model.patchEmbed),
    [batch, tokens, dim],
  );
  let x = tf.add(embedded, model.positions) as tf.Tensor3D;
  if (masking.kind === 'plan') x = applyMaskPlan(drawPlan(masking.ratio, step), x);
  if (masking.kind === 'slice') x = tf.slice(x, [0, 0, 0], [batch, masking.keep, dim]);
  const n = x.shape[1];
  let rows = tf.reshape(x, [batch * n, dim]) as tf.Tensor2D;
  for (const p of model.blocks) rows = block(rows, p, batch, n);
  const pooled = tf.mean(tf.reshape(rows, [batch, n, dim]), 1) as tf.Tensor2D;
  return tf.losses.softmaxCrossEntropy(labels, tf.matMul(pooled, model.head)) as tf.Scalar;
}

function drawPlan(ratio: number, step: number): MaskPlan {
  return createMaskPlan(
    drawKeepSets('random', CONFIG.batch, GRID, ratio, createRng(step)),
    CONFIG.tokens,
  );
}

function trainingStep(
  model: Model,
  patches: tf.Tensor3D,
  labels: tf.Tensor2D,
  masking: Masking,
  step: number,
): number {
  const start = performance.now();
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => loss(model, patches, labels, masking, step));
    value.dataSync();
    for (const grad of Object.values(grads)) grad.dataSync();
  });
  return performance.now() - start;
}

/** Masking alone: draw the plan, gather forward, scatter the gradient back. */
function maskingStep(tokens: tf.Tensor3D, ratio: number, step: number): number {
  const start = performance.now();
  tf.tidy(() => {
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(applyMaskPlan(drawPlan(ratio, step), x)))(
      tokens,
    );
    gradient.dataSync();
  });
  return performance.now() - start;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  await tf.setBackend(BACKEND);
  await tf.ready();
  const { batch, tokens, patchDim, dim, classes } = CONFIG;
  const model = createModel();
  const patches = tf.randomNormal([batch, tokens, patchDim], 0, 1, 'float32', 7) as tf.Tensor3D;
  const labels = tf.cast(
    tf.oneHot(tf.tensor1d([1, 5, 9, 41], 'int32'), classes),
    'float32',
  ) as tf.Tensor2D;
  const tokenBatch = tf.randomNormal([batch, tokens, dim], 0, 1, 'float32', 8) as tf.Tensor3D;

  const configs: Array<[string, Masking]> = [
    ['unmasked', { kind: 'none' }],
    ['ratio 0.5', { kind: 'plan', ratio: 0.5 }],
    ['ratio 0.75', { kind: 'plan', ratio: 0.75 }],
    ['first 98 tokens (no mask op)', { kind: 'slice', keep: 98 }],
  ];
  const times = new Map<string, number[]>(configs.map(([name]) => [name, []]));
  const maskTimes = { 0.5: [] as number[], 0.75: [] as number[] };
  for (const [, masking] of configs) trainingStep(model, patches, labels, masking, 0); // warm-up
  const tensorsBefore = tf.memory().numTensors;
  // Interleaved so that drifting machine load hits every configuration alike.
  for (let rep = 1; rep <= REPS; rep++) {
    for (const [name, masking] of configs)
      times.get(name)!.push(trainingStep(model, patches, labels, masking, rep));
    maskTimes[0.5].push(maskingStep(tokenBatch, 0.5, rep));
    maskTimes[0.75].push(maskingStep(tokenBatch, 0.75, rep));
  }
  if (tf.memory().numTensors !== tensorsBefore) throw new Error('the benchmark leaked tensors');

  // The machine is shared: the median is the typical step, the minimum the least disturbed one.
  const unmasked = {
    median: median(times.get('unmasked')!),
    min: Math.min(...times.get('unmasked')!),
  };
  console.log(
    `backend ${tf.getBackend()}, ${REPS} interleaved reps, model ${JSON.stringify(CONFIG)}`,
  );
  console.log(
    '| configuration | tokens | step median (ms) | / unmasked (median) | step min (ms) | / unmasked (min) | masking alone, median (ms) | masking / step (median) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [name, masking] of configs) {
    const stepTimes = times.get(name)!;
    const stepMedian = median(stepTimes);
    const stepMin = Math.min(...stepTimes);
    const kept =
      masking.kind === 'plan'
        ? keptCount(tokens, masking.ratio)
        : masking.kind === 'slice'
          ? masking.keep
          : tokens;
    const maskTime =
      masking.kind === 'plan' ? median(maskTimes[masking.ratio as 0.5 | 0.75]) : undefined;
    const cells = [
      name,
      kept,
      stepMedian.toFixed(1),
      (stepMedian / unmasked.median).toFixed(3),
      stepMin.toFixed(1),
      (stepMin / unmasked.min).toFixed(3),
      maskTime?.toFixed(2) ?? '',
      maskTime === undefined ? '' : `${((100 * maskTime) / stepMedian).toFixed(2)}%`,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

await main();
