import { readFileSync } from 'node:fs';
import {
  assignParameters,
  decodeSafetensors,
  encodeSafetensors,
  type NamedArray,
} from '@sparsify/amuse-encoder';
import * as tf from '@tensorflow/tfjs';
import type { EpochOrder } from '../pipeline/types.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import type { EpochMetrics } from '../run/run-folder.js';

/** Running sums of the epoch in progress, so an interrupted epoch resumes its metrics too. */
export interface EpochTotals {
  lossSum: number;
  correct: number;
  seen: number;
  videoTokensKept: number;
  audioTokensKept: number;
  videoTokensTotal: number;
  audioTokensTotal: number;
  seconds: number;
  /** Process CPU seconds (user + system) of the training steps; absent in older checkpoints. */
  cpuSeconds?: number;
  /** Sum over steps of the perception loss (0 without aux losses). */
  perceptionLossSum?: number;
  steps?: number;
}

export function emptyEpochTotals(): EpochTotals {
  return {
    lossSum: 0,
    correct: 0,
    seen: 0,
    videoTokensKept: 0,
    audioTokensKept: 0,
    videoTokensTotal: 0,
    audioTokensTotal: 0,
    seconds: 0,
  };
}

/** Everything besides tensors that makes a resumed run continue exactly where it stopped. */
export interface LoopState {
  /** The epoch in progress (0-based); equals `epochs` when training is done. */
  epoch: number;
  /** Batches of `epoch` already trained on. */
  stepInEpoch: number;
  globalStep: number;
  rngState: number;
  samplerState: unknown;
  /** The current epoch's order while it is unfinished (re-planning would draw new randomness). */
  order: EpochOrder | null;
  totals: EpochTotals;
  bestValAccuracy: number;
  bestEpoch: number;
  metrics: EpochMetrics[];
}

const MODEL_PREFIX = 'model.';
const OPTIMIZER_PREFIX = 'optimizer.';
const CHECKPOINT_FORMAT = 'sparsify-checkpoint-1';

async function tensorToArray(tensor: tf.Tensor): Promise<NamedArray> {
  const data = await tensor.data();
  return tensor.dtype === 'int32'
    ? { dtype: 'I32', shape: tensor.shape.slice(), data: Int32Array.from(data) }
    : { dtype: 'F32', shape: tensor.shape.slice(), data: Float32Array.from(data) };
}

/**
 * One safetensors file with the model's parameters, Adam's moments and step count, and
 * the loop state (RNG, sampler, epoch order, running sums), written atomically: model,
 * optimizer and sampler can never disagree after a crash.
 */
export async function saveCheckpoint(
  path: string,
  parameters: ReadonlyMap<string, tf.Variable>,
  optimizer: tf.Optimizer | null,
  state: LoopState,
): Promise<void> {
  const arrays = new Map<string, NamedArray>();
  for (const [name, variable] of parameters)
    arrays.set(MODEL_PREFIX + name, await tensorToArray(variable));
  const optimizerNames: string[] = [];
  if (optimizer) {
    const weights = await optimizer.getWeights();
    for (const [i, weight] of weights.entries()) {
      optimizerNames.push(weight.name);
      arrays.set(`${OPTIMIZER_PREFIX}${i}`, await tensorToArray(weight.tensor));
    }
    // getWeights() creates a fresh scalar for the iteration count.
    weights[0]?.tensor.dispose();
    for (const [name, accumulator] of Object.entries(adamPowers(optimizer))) {
      arrays.set(`${OPTIMIZER_PREFIX}${name}`, await tensorToArray(accumulator));
    }
  }
  const { order, ...rest } = state;
  if (order) {
    arrays.set('order.indices', {
      dtype: 'I32',
      shape: [order.indices.length],
      data: order.indices,
    });
    arrays.set('order.weights', {
      dtype: 'F32',
      shape: [order.weights.length],
      data: order.weights,
    });
  }
  const bytes = encodeSafetensors(arrays, {
    format: CHECKPOINT_FORMAT,
    state: JSON.stringify(rest),
    optimizer: JSON.stringify(optimizerNames),
  });
  writeFileAtomic(path, bytes);
}

/**
 * Adam's running beta1^t and beta2^t. setWeights() recomputes them as pow(beta, t), which
 * differs in the last bits from the product accumulated step by step; saving them makes
 * a resumed run bit-identical to an uninterrupted one.
 */
function adamPowers(optimizer: tf.Optimizer): Record<string, tf.Variable> {
  const { accBeta1, accBeta2 } = optimizer as unknown as {
    accBeta1?: tf.Variable;
    accBeta2?: tf.Variable;
  };
  return accBeta1 && accBeta2 ? { accBeta1, accBeta2 } : {};
}

/** The loop state of a checkpoint without touching any model (for reports and tests). */
export function readCheckpointState(path: string): Omit<LoopState, 'order'> {
  const bytes = readFileSync(path);
  const { metadata } = decodeSafetensors(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    path,
  );
  if (metadata.format !== CHECKPOINT_FORMAT) throw new Error(`${path}: not a sparsify checkpoint`);
  return JSON.parse(metadata.state ?? '{}') as Omit<LoopState, 'order'>;
}

/**
 * Loads parameters into `parameters` (names and shapes checked) and the optimizer state.
 * Every tensor is checked against the SHA-256 written with it, and a damaged one is named;
 * a checkpoint written before checksums existed still loads, and `notice` hears so.
 */
export async function loadCheckpoint(
  path: string,
  parameters: ReadonlyMap<string, tf.Variable>,
  optimizer: tf.Optimizer | null,
  notice: (text: string) => void = () => {},
): Promise<LoopState> {
  const bytes = readFileSync(path);
  const file = decodeSafetensors(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    path,
  );
  if (file.checksums === 'absent') {
    notice(
      `${path} was written before checkpoints carried checksums: its contents are not verified`,
    );
  }
  if (file.metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `${path}: not a sparsify checkpoint (format "${file.metadata.format ?? 'none'}")`,
    );
  }
  const modelArrays = new Map<string, NamedArray>();
  for (const [name, array] of file.tensors) {
    if (name.startsWith(MODEL_PREFIX)) modelArrays.set(name.slice(MODEL_PREFIX.length), array);
  }
  // Checks every name and shape, so a checkpoint of another preset fails with a clear message.
  assignParameters({ parameters: () => parameters }, modelArrays, path);
  if (optimizer) {
    const names = JSON.parse(file.metadata.optimizer ?? '[]') as string[];
    const weights = names.map((name, i) => {
      const stored = file.tensors.get(`${OPTIMIZER_PREFIX}${i}`);
      if (!stored) throw new Error(`${path}: optimizer slot ${i} (${name}) is missing`);
      return {
        name,
        tensor: tf.tensor(stored.data, stored.shape, stored.dtype === 'I32' ? 'int32' : 'float32'),
      };
    });
    if (weights.length > 0) await optimizer.setWeights(weights);
    for (const weight of weights) weight.tensor.dispose();
    for (const [name, accumulator] of Object.entries(adamPowers(optimizer))) {
      const stored = file.tensors.get(`${OPTIMIZER_PREFIX}${name}`);
      if (stored) accumulator.assign(tf.scalar(stored.data[0] ?? 0));
    }
  }
  const state = JSON.parse(file.metadata.state ?? '{}') as Omit<LoopState, 'order'>;
  const indices = file.tensors.get('order.indices');
  const weights = file.tensors.get('order.weights');
  return {
    ...state,
    order:
      indices && weights
        ? { indices: indices.data as Int32Array, weights: weights.data as Float32Array }
        : null,
  };
}
