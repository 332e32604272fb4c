import type * as tfType from '@tensorflow/tfjs';
import {
  gelu as fusedGelu,
  layerNorm as fusedLayerNorm,
  mergeHeads,
  softmax,
  splitHeads,
} from '../src/index.js';
import { seededValues } from './backends.js';

type Tf = typeof tfType;

/** Shapes of one pre-norm transformer block: LayerNorm, multi-head attention, 4x MLP. */
export interface BlockShape {
  batch: number;
  tokens: number;
  width: number;
  heads: number;
}

export type BlockWeights = Record<string, tfType.Variable>;

/** Plain arrays for every weight, so each backend builds identical variables. */
export function blockWeightValues(
  shape: BlockShape,
  seed: number,
): Record<string, { values: Float32Array; shape: number[] }> {
  const d = shape.width;
  const scaled = (size: number, s: number, scale: number) =>
    seededValues(size, seed + s).map((v) => v * scale);
  const ones = (size: number, s: number) => scaled(size, s, 0.1).map((v) => 1 + v);
  return {
    ln1Gain: { values: ones(d, 1), shape: [d] },
    ln1Bias: { values: scaled(d, 2, 0.1), shape: [d] },
    qkv: { values: scaled(d * 3 * d, 3, 1 / Math.sqrt(d)), shape: [d, 3 * d] },
    qkvBias: { values: scaled(3 * d, 4, 0.1), shape: [3 * d] },
    proj: { values: scaled(d * d, 5, 1 / Math.sqrt(d)), shape: [d, d] },
    projBias: { values: scaled(d, 6, 0.1), shape: [d] },
    ln2Gain: { values: ones(d, 7), shape: [d] },
    ln2Bias: { values: scaled(d, 8, 0.1), shape: [d] },
    fc1: { values: scaled(d * 4 * d, 9, 1 / Math.sqrt(d)), shape: [d, 4 * d] },
    fc1Bias: { values: scaled(4 * d, 10, 0.1), shape: [4 * d] },
    fc2: { values: scaled(4 * d * d, 11, 1 / Math.sqrt(4 * d)), shape: [4 * d, d] },
    fc2Bias: { values: scaled(d, 12, 0.1), shape: [d] },
  };
}

let variableCount = 0;

export function makeBlockWeights(tf: Tf, shape: BlockShape, seed: number): BlockWeights {
  const weights: BlockWeights = {};
  for (const [name, { values, shape: s }] of Object.entries(blockWeightValues(shape, seed))) {
    weights[name] = tf.variable(tf.tensor(values, s), true, `block_${name}_${variableCount++}`);
  }
  return weights;
}

function w(weights: BlockWeights, name: string): tfType.Tensor {
  const v = weights[name];
  if (v == null) throw new Error(`transformer-block: missing weight ${name}`);
  return v;
}

function layerNorm(
  tf: Tf,
  x: tfType.Tensor,
  gain: tfType.Tensor,
  bias: tfType.Tensor,
): tfType.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gain), bias);
}

function gelu(tf: Tf, x: tfType.Tensor): tfType.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/**
 * The same block through this package's fused ops (LayerNorm, GELU, softmax, head layout):
 * one kernel each way where enableFastKernels registered them.
 */
function fusedBlockForward(
  tf: Tf,
  shape: BlockShape,
  weights: BlockWeights,
  x: tfType.Tensor3D,
): tfType.Tensor3D {
  const { batch: b, tokens: n, width: d, heads: h } = shape;
  const rows = tf.reshape(x, [b * n, d]) as tfType.Tensor2D;
  const normed = fusedLayerNorm(rows, w(weights, 'ln1Gain'), w(weights, 'ln1Bias'));
  const qkv = tf.add(
    tf.matMul(normed, w(weights, 'qkv')),
    w(weights, 'qkvBias'),
  ) as tfType.Tensor2D;
  const heads = (offset: number, scale: number) =>
    splitHeads(qkv, { batch: b, heads: h, offset, width: d, scale });
  const scores = tf.matMul(heads(0, 1 / Math.sqrt(d / h)), heads(d, 1), false, true);
  const context = tf.matMul(softmax(scores), heads(2 * d, 1)) as tfType.Tensor4D;
  const merged = mergeHeads([context], [1]);
  const attended = tf.add(
    rows,
    tf.add(tf.matMul(merged, w(weights, 'proj')), w(weights, 'projBias')),
  );
  const normed2 = fusedLayerNorm(attended, w(weights, 'ln2Gain'), w(weights, 'ln2Bias'));
  const hidden = fusedGelu(tf.add(tf.matMul(normed2, w(weights, 'fc1')), w(weights, 'fc1Bias')));
  const out = tf.add(attended, tf.add(tf.matMul(hidden, w(weights, 'fc2')), w(weights, 'fc2Bias')));
  return tf.reshape(out, [b, n, d]);
}

/** The block as the encoder writes it: weights folded to 2-D products, heads as a rank-4 batch. */
export function blockForward(
  tf: Tf,
  shape: BlockShape,
  weights: BlockWeights,
  x: tfType.Tensor3D,
  fused = false,
): tfType.Tensor3D {
  if (fused) return fusedBlockForward(tf, shape, weights, x);
  const { batch: b, tokens: n, width: d, heads: h } = shape;
  const headDim = d / h;
  const rows = tf.reshape(x, [b * n, d]);
  const normed = layerNorm(tf, rows, w(weights, 'ln1Gain'), w(weights, 'ln1Bias'));
  const qkv = tf.add(tf.matMul(normed, w(weights, 'qkv')), w(weights, 'qkvBias'));
  const [q, k, v] = tf
    .split(qkv, 3, 1)
    .map((part) => tf.transpose(tf.reshape(part, [b, n, h, headDim]), [0, 2, 1, 3]));
  if (q == null || k == null || v == null)
    throw new Error('transformer-block: split returned fewer than 3 parts');
  const scores = tf.matMul(tf.mul(q, 1 / Math.sqrt(headDim)), k, false, true);
  const context = tf.matMul(tf.softmax(scores), v);
  const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b * n, d]);
  const attended = tf.add(
    rows,
    tf.add(tf.matMul(merged, w(weights, 'proj')), w(weights, 'projBias')),
  );
  const normed2 = layerNorm(tf, attended, w(weights, 'ln2Gain'), w(weights, 'ln2Bias'));
  const hidden = gelu(tf, tf.add(tf.matMul(normed2, w(weights, 'fc1')), w(weights, 'fc1Bias')));
  const out = tf.add(attended, tf.add(tf.matMul(hidden, w(weights, 'fc2')), w(weights, 'fc2Bias')));
  return tf.reshape(out, [b, n, d]);
}

/** One training step's work: the loss and the gradient of every weight. */
export function blockGradients(
  tf: Tf,
  shape: BlockShape,
  weights: BlockWeights,
  x: tfType.Tensor3D,
  fused = false,
): { value: tfType.Scalar; grads: Record<string, tfType.Tensor> } {
  return tf.variableGrads(
    () => tf.mean(tf.square(blockForward(tf, shape, weights, x, fused))) as tfType.Scalar,
  );
}

/** Multiply-adds x 2 of one forward + backward pass (the backward costs two products per forward one). */
export function blockStepFlops({ batch: b, tokens: n, width: d }: BlockShape): number {
  const rows = b * n;
  const forward =
    2 * rows * d * (3 * d) + 2 * 2 * b * n * n * d + 2 * rows * d * d + 2 * 2 * rows * d * (4 * d);
  return 3 * forward;
}
