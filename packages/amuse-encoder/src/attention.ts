/**
 * Multi-head attention at rank <= 4. Every attention takes an optional additive key bias
 * [B, Nk]: 0 before any token reduction; afterwards log(size) for real tokens and a large
 * negative number for padding slots (proportional attention, as ToMe does).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, hasFusedKernel } from './fused-ops.js';
import { LayerNorm, Linear } from './layers.js';
import { constant, type Scope } from './module.js';
import { offTape } from './off-tape.js';

/** Added to the scores of padding slots: large, yet finite so softmax never sees -inf - -inf. */
export const PADDING_BIAS = -1e9;

/**
 * The additive key bias for a set of tokens: log(size) for real tokens (so a merged token
 * counts as the tokens it holds), PADDING_BIAS for padding slots. Null when neither is given.
 */
export function keyBias(
  sizes: tf.Tensor2D | null,
  padMask: tf.Tensor2D | null,
): tf.Tensor2D | null {
  if (sizes === null && padMask === null) return null;
  // A function of constants: nothing to record for gradients.
  return offTape(() => {
    // Sizes of padding slots are 0; clamping to 1 keeps log finite there (the pad term wins).
    const sizeBias = sizes === null ? null : tf.log(tf.maximum(sizes, 1));
    const padBias = padMask === null ? null : tf.mul(padMask, PADDING_BIAS);
    if (sizeBias === null) return padBias as tf.Tensor2D;
    if (padBias === null) return sizeBias as tf.Tensor2D;
    return tf.add(sizeBias, padBias) as tf.Tensor2D;
  });
}

/** [B*N, D] -> [B, H, N, D/H]. */
function splitHeads(x: tf.Tensor, batch: number, tokens: number, heads: number): tf.Tensor4D {
  const headDim = x.shape[1]! / heads;
  return tf.transpose(tf.reshape(x, [batch, tokens, heads, headDim]), [0, 2, 1, 3]);
}

/** [B, H, N, D/H] -> [B*N, D]. */
function mergeHeads(x: tf.Tensor): tf.Tensor2D {
  const [b, h, n, headDim] = x.shape as [number, number, number, number];
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b * n, h * headDim]);
}

/** Queries [B, H, Nq, d] times 1/sqrt(d), ready for the scores. */
function scaleQueries(queries: tf.Tensor4D): tf.Tensor4D {
  return tf.mul(queries, 1 / Math.sqrt(queries.shape[3])) as tf.Tensor4D;
}

/** softmax(scaled q k^T + bias) over the keys: [B, H, Nq, Nk]. */
function attentionProbabilities(
  scaledQueries: tf.Tensor4D,
  keys: tf.Tensor4D,
  bias: tf.Tensor2D | null,
): tf.Tensor4D {
  let scores = tf.matMul(scaledQueries, keys, false, true);
  // The fused softmax adds bias [B, Nk] to every row of scores[b] itself.
  if (hasFusedKernel(FUSED_KERNELS.softmax)) {
    const inputs: tf.NamedTensorMap = bias === null ? { logits: scores } : { logits: scores, bias };
    return tf.engine().runKernel(FUSED_KERNELS.softmax, inputs) as tf.Tensor4D;
  }
  if (bias !== null) {
    const [b, nk] = bias.shape;
    scores = tf.add(scores, tf.reshape(bias, [b, 1, 1, nk]));
  }
  return tf.softmax(scores) as tf.Tensor4D;
}

/** Softmax's gradient as tfjs writes it, or the fused kernel where registered. */
function softmaxGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (hasFusedKernel(FUSED_KERNELS.softmaxGrad, false))
    return tf.engine().runKernel(FUSED_KERNELS.softmaxGrad, { dy, y }) as tf.Tensor;
  const dyTimesY = tf.mul(dy, y);
  return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [-1], true), y));
}

/** The geometry of one multi-head attention: q is [batch * queries, D], k and v [batch * keys, D]. */
export interface AttentionShape {
  batch: number;
  queries: number;
  keys: number;
  heads: number;
}

/**
 * softmax(q k^T / sqrt(D/H) + bias) v over H heads, heads merged back: [batch * queries, D],
 * as one tape node whose gradient is autodiff's, bit for bit (see fused-ops.ts). `bias`
 * [batch, keys] is added to every query's scores (a constant: it gets no gradient).
 */
export function multiHeadAttention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  { batch, queries, keys, heads }: AttentionShape,
  bias: tf.Tensor2D | null,
): tf.Tensor2D {
  const attend = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [queryRows, keyRows, valueRows, save] = args as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.GradSaveFunc,
    ];
    const scaled = scaleQueries(splitHeads(queryRows, batch, queries, heads));
    const keyHeads = splitHeads(keyRows, batch, keys, heads);
    const probabilities = attentionProbabilities(scaled, keyHeads, bias);
    const valueHeads = splitHeads(valueRows, batch, keys, heads);
    save([scaled, keyHeads, probabilities, valueHeads]);
    return {
      value: mergeHeads(tf.matMul(probabilities, valueHeads)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [scaledS, keyHeadsS, probabilitiesS, valueHeadsS] = saved as tf.Tensor4D[];
        // The stock gradients, last op first: mergeHeads' reshape and transpose (their
        // inverses are splitHeads'), each product with the transpose flags tfjs's
        // BatchMatMul gradient uses, softmax, the scaling, splitHeads.
        const dMixed = splitHeads(dy, batch, queries, heads);
        const dProbabilities = tf.matMul(dMixed, valueHeadsS!, false, true);
        const dValueHeads = tf.matMul(probabilitiesS!, dMixed, true, false);
        const dScores = softmaxGrad(dProbabilities, probabilitiesS!);
        const dScaled = tf.matMul(dScores, keyHeadsS!, false, false);
        const dKeyHeads = tf.matMul(dScores, scaledS!, true, false);
        const dQueryHeads = scaleQueries(dScaled as tf.Tensor4D);
        return [mergeHeads(dQueryHeads), mergeHeads(dKeyHeads), mergeHeads(dValueHeads)];
      },
    };
  });
  return attend(q, k, v) as tf.Tensor2D;
}

/** Where q, k or v sits in the packed projections: input `input`, columns from `offset`. */
export interface HeadSource {
  input: number;
  offset: number;
}

/** Whether the fused head-layout and softmax kernels all run on the active backend. */
export function hasFusedAttention(): boolean {
  return (
    hasFusedKernel(FUSED_KERNELS.splitHeads, false) &&
    hasFusedKernel(FUSED_KERNELS.mergeHeads, false) &&
    hasFusedKernel(FUSED_KERNELS.softmax, false) &&
    hasFusedKernel(FUSED_KERNELS.softmaxGrad, false)
  );
}

function runSplitHeads(
  x: tf.Tensor,
  batch: number,
  heads: number,
  offset: number,
  width: number,
  scale: number,
): tf.Tensor4D {
  return tf
    .engine()
    .runKernel(
      FUSED_KERNELS.splitHeads,
      { x },
      { batch, heads, offset, width, scale },
    ) as tf.Tensor4D;
}

function runMergeHeads(parts: tf.Tensor[], scales: number[]): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = {};
  parts.forEach((part, p) => {
    inputs[`x${p}`] = part;
  });
  const [batch, heads] = parts[0]!.shape;
  return tf.engine().runKernel(FUSED_KERNELS.mergeHeads, inputs, {
    scales,
    batch,
    heads,
  } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * `multiHeadAttention` over packed projections with tfjs-fast-kernels' fused kernels
 * (hasFusedAttention()): q, k and v are read as column ranges of `inputs` straight into
 * their heads (no SplitV, reshape, transpose or scaling kernels), and the backward pass
 * writes each input's gradient as one packed matrix. Each input must be covered by its
 * parts exactly: q|k|v [R, 3D] for self-attention, q [R, D] and k|v [Rc, 2D] across.
 */
export function packedMultiHeadAttention(
  inputs: tf.Tensor2D[],
  layout: { query: HeadSource; key: HeadSource; value: HeadSource },
  width: number,
  { batch, heads }: AttentionShape,
  bias: tf.Tensor2D | null,
): tf.Tensor2D {
  const scale = 1 / Math.sqrt(width / heads);
  const roles = [layout.query, layout.key, layout.value];
  inputs.forEach((input, i) => {
    const offsets = roles
      .filter((r) => r.input === i)
      .map((r) => r.offset)
      .sort((a, b) => a - b);
    if (offsets.some((o, k) => o !== k * width) || input.shape[1] !== offsets.length * width)
      throw new Error(
        `packedMultiHeadAttention: input ${i} [${input.shape}] is not covered by its parts at columns ${offsets} of width ${width}`,
      );
  });
  if (
    hasFusedKernel(FUSED_KERNELS.attention, false) &&
    hasFusedKernel(FUSED_KERNELS.attentionGrad, false)
  )
    return attentionCoreKernel(inputs, layout, width, batch, heads, bias);
  const attend = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[inputs.length] as tf.GradSaveFunc;
    const rows = args.slice(0, inputs.length) as tf.Tensor[];
    const take = (source: HeadSource, factor: number) =>
      runSplitHeads(rows[source.input]!, batch, heads, source.offset, width, factor);
    const scaled = take(layout.query, scale);
    const keyHeads = take(layout.key, 1);
    const valueHeads = take(layout.value, 1);
    const scores = tf.matMul(scaled, keyHeads, false, true);
    const logits: tf.NamedTensorMap = bias === null ? { logits: scores } : { logits: scores, bias };
    const probabilities = tf.engine().runKernel(FUSED_KERNELS.softmax, logits) as tf.Tensor4D;
    save([scaled, keyHeads, probabilities, valueHeads]);
    return {
      value: runMergeHeads([tf.matMul(probabilities, valueHeads)], [1]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [scaledS, keyHeadsS, probabilitiesS, valueHeadsS] = saved as tf.Tensor4D[];
        const dMixed = runSplitHeads(dy, batch, heads, 0, width, 1);
        const dProbabilities = tf.matMul(dMixed, valueHeadsS!, false, true);
        const dValueHeads = tf.matMul(probabilitiesS!, dMixed, true, false);
        const dScores = tf.engine().runKernel(FUSED_KERNELS.softmaxGrad, {
          dy: dProbabilities,
          y: probabilitiesS!,
        }) as tf.Tensor;
        const dScaled = tf.matMul(dScores, keyHeadsS!, false, false);
        const dKeyHeads = tf.matMul(dScores, scaledS!, true, false);
        // q's heads were scaled on the way in: the merge scales their gradient back.
        const parts = [
          { source: layout.query, grad: dScaled, scale },
          { source: layout.key, grad: dKeyHeads, scale: 1 },
          { source: layout.value, grad: dValueHeads, scale: 1 },
        ];
        return inputs.map((_, i) => {
          const mine = parts
            .filter((p) => p.source.input === i)
            .sort((a, b) => a.source.offset - b.source.offset);
          return runMergeHeads(
            mine.map((p) => p.grad),
            mine.map((p) => p.scale),
          );
        });
      },
    };
  });
  return attend(...inputs) as tf.Tensor2D;
}

/**
 * `packedMultiHeadAttention` as one kernel each way (tfjs-fast-kernels' attention core):
 * the kernel reads q, k and v as column ranges of the inputs, and its gradient kernel writes
 * each input's gradient whole. On wasm it runs the same SIMD steps as the separate kernels
 * above on the same layouts, so the floats are theirs; one tape node and two launches
 * instead of fourteen.
 */
function attentionCoreKernel(
  inputs: tf.Tensor2D[],
  layout: { query: HeadSource; key: HeadSource; value: HeadSource },
  width: number,
  batch: number,
  heads: number,
  bias: tf.Tensor2D | null,
): tf.Tensor2D {
  const roles = [layout.query, layout.key, layout.value];
  const attrs = {
    batch,
    heads,
    width,
    sources: roles.map((r) => r.input),
    offsets: roles.map((r) => r.offset),
  } as unknown as tf.NamedAttrMap;
  const attend = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[inputs.length] as tf.GradSaveFunc;
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    const named: tf.NamedTensorMap = {};
    xs.forEach((x, i) => {
      named[`x${i}`] = x;
    });
    if (bias !== null) named.bias = bias;
    const [out, probabilities] = tf
      .engine()
      .runKernel(FUSED_KERNELS.attention, named, attrs) as tf.Tensor[];
    save([...xs, probabilities!]);
    // save() kept its own reference where a gradient is recorded; this one is not returned.
    probabilities!.dispose();
    return {
      value: out as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const gradInputs: tf.NamedTensorMap = { dy, probabilities: saved[xs.length]! };
        saved.slice(0, xs.length).forEach((x, i) => {
          gradInputs[`x${i}`] = x;
        });
        return [
          tf.engine().runKernel(FUSED_KERNELS.attentionGrad, gradInputs, attrs) as
            | tf.Tensor
            | tf.Tensor[],
        ].flat();
      },
    };
  });
  return attend(...inputs) as tf.Tensor2D;
}

export interface SelfAttentionOutput {
  /** [B, N, D] */
  out: tf.Tensor3D;
  /**
   * [B, N, D] the keys, heads concatenated (what a token reducer compares): made on the
   * first call only, since only the block before a reducer needs them (a row copy on the
   * fused path).
   */
  keys: () => tf.Tensor3D;
}

export class SelfAttention {
  readonly qkv: Linear;
  readonly proj: Linear;

  constructor(
    scope: Scope,
    readonly width: number,
    readonly heads: number,
  ) {
    this.qkv = new Linear(scope.child('qkv'), width, 3 * width);
    this.proj = new Linear(scope.child('proj'), width, width);
  }

  /** x is already normalised: [B, N, D]. */
  apply(x: tf.Tensor3D, bias: tf.Tensor2D | null): SelfAttentionOutput {
    const [b, n, d] = x.shape;
    const shape = { batch: b, queries: n, keys: n, heads: this.heads };
    if (hasFusedAttention()) {
      const qkv = this.qkv.apply(tf.reshape(x, [b * n, d]));
      const layout = {
        query: { input: 0, offset: 0 },
        key: { input: 0, offset: d },
        value: { input: 0, offset: 2 * d },
      };
      const mixed = packedMultiHeadAttention([qkv], layout, d, shape, bias);
      const out = tf.reshape(this.proj.apply(mixed), [b, n, d]) as tf.Tensor3D;
      // The keys as one head of width D: a row copy (stock wasm slices element by element).
      let keys: tf.Tensor3D | null = null;
      return {
        out,
        keys: () => {
          keys ??= tf.reshape(runSplitHeads(qkv, b, 1, d, d, 1), [b, n, d]) as tf.Tensor3D;
          return keys;
        },
      };
    }
    const [q, k, v] = tf.split(this.qkv.apply(tf.reshape(x, [b * n, d])), 3, 1) as tf.Tensor2D[];
    const mixed = multiHeadAttention(q!, k!, v!, shape, bias);
    const out = tf.reshape(this.proj.apply(mixed), [b, n, d]) as tf.Tensor3D;
    const keys = tf.reshape(k!, [b, n, d]) as tf.Tensor3D;
    return { out, keys: () => keys };
  }

  /**
   * The attention that outside tokens (the question, or the other stream) would pay to this
   * block's keys, in this block's own query space: [B, H, Nq, N]. What a token reducer
   * scores importance with.
   */
  attentionFrom(
    outsideQueries: tf.Tensor3D,
    keys: tf.Tensor3D,
    bias: tf.Tensor2D | null,
  ): tf.Tensor4D {
    const [b, nq, d] = outsideQueries.shape;
    const n = keys.shape[1];
    const [q] = tf.split(this.qkv.apply(tf.reshape(outsideQueries, [b * nq, d])), 3, 1);
    return attentionProbabilities(
      scaleQueries(splitHeads(q as tf.Tensor2D, b, nq, this.heads)),
      splitHeads(tf.reshape(keys, [b * n, d]), b, n, this.heads),
      bias,
    );
  }
}

/**
 * A gated cross-attention adapter: the stream's tokens attend to context tokens (the
 * question in early blocks, the other stream in later ones). Its output is multiplied by a
 * learned gate that starts at `gateInit`: at 0 the block starts as the plain backbone block
 * but the adapter's own weights receive zero gradient until the gate moves; a small
 * non-zero start lets gate and adapter learn together from the first step.
 */
export class CrossModalAdapter {
  readonly norm: LayerNorm;
  readonly contextNorm: LayerNorm;
  readonly query: Linear;
  readonly keyValue: Linear;
  readonly proj: Linear;
  readonly gate: tf.Variable;

  constructor(
    scope: Scope,
    readonly width: number,
    readonly heads: number,
    gateInit = 0,
  ) {
    this.norm = new LayerNorm(scope.child('norm'), width);
    this.contextNorm = new LayerNorm(scope.child('contextNorm'), width);
    this.query = new Linear(scope.child('query'), width, width);
    this.keyValue = new Linear(scope.child('keyValue'), width, 2 * width);
    this.proj = new Linear(scope.child('proj'), width, width);
    this.gate = scope.param('gate', [1], constant(gateInit));
  }

  /** [B, N, D] attending to [B, Nc, D] -> gated update [B, N, D]. */
  apply(x: tf.Tensor3D, context: tf.Tensor3D, contextBias: tf.Tensor2D | null): tf.Tensor3D {
    const [b, n, d] = x.shape;
    const nc = context.shape[1];
    const q = this.query.apply(tf.reshape(this.norm.apply(x), [b * n, d]));
    const kv = this.keyValue.apply(tf.reshape(this.contextNorm.apply(context), [b * nc, d]));
    const shape = { batch: b, queries: n, keys: nc, heads: this.heads };
    let mixed: tf.Tensor2D;
    if (hasFusedAttention()) {
      const layout = {
        query: { input: 0, offset: 0 },
        key: { input: 1, offset: 0 },
        value: { input: 1, offset: d },
      };
      mixed = packedMultiHeadAttention([q, kv], layout, d, shape, contextBias);
    } else {
      const [k, v] = tf.split(kv, 2, 1) as tf.Tensor2D[];
      mixed = multiHeadAttention(q, k!, v!, shape, contextBias);
    }
    const update = tf.reshape(this.proj.apply(mixed), [b, n, d]) as tf.Tensor3D;
    return tf.mul(update, this.gate);
  }
}
