import type { HookContext } from '@sparsify/amuse-encoder';
import type { AvqaRecord } from '@sparsify/avqa-datasets';
import type * as tf from '@tensorflow/tfjs-core';
import type { MediaArrays } from './amuse-model.js';

/** A batch as plain arrays; the model adapter turns it into tensors. */
export interface ArrayBatch {
  /** The model's inputs as typed arrays, in the layout the encoder reads. */
  inputs: MediaArrays;
  labels: Int32Array;
}

/** One split of a dataset: its records and a way to load any batch of them. */
export interface BatchSource {
  readonly name: string;
  readonly records: readonly AvqaRecord[];
  load(indices: ArrayLike<number>): Promise<ArrayBatch>;
}

/** Mean tokens per sample of each stream after masking and merging, and before any. */
export interface TokenCounts {
  videoKept: number;
  audioKept: number;
  videoTotal: number;
  audioTotal: number;
}

export interface ForwardResult {
  /** [B, answers] */
  logits: tf.Tensor2D;
  tokens: TokenCounts;
  /** The perception loss, when the model has perception heads and the batch targets. */
  perception?: { loss: tf.Scalar; counts?: import('./perception-heads.js').PerceptionCounts };
}

/** What a forward pass should compute besides the answer. */
export interface ForwardExtras {
  /** Compute the perception loss (needs heads and targets in the batch). */
  perception?: boolean;
  /** Also count perception hits (reads outputs back: evaluation only). */
  perceptionCounts?: boolean;
}

/** The encoder with its sparsity hooks plugged in, as the loop sees it. */
export interface TrainableModel {
  /** Every trainable parameter by stable name, in a fixed order. */
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  /** Runs inside the caller's tidy/gradient scope. */
  forward(batch: ArrayBatch, ctx: HookContext, extras?: ForwardExtras): ForwardResult;
  dispose(): void;
}

/** The order (and loss weights) of one epoch's samples. */
export interface EpochOrder {
  indices: Int32Array;
  weights: Float32Array;
}

/** Chooses each epoch's samples; InfoBatch also learns from the losses it is told. */
export interface EpochSampler {
  planEpoch(epoch: number): EpochOrder;
  /** Per-sample losses (unweighted) of a batch just trained on. */
  update(indices: ArrayLike<number>, losses: ArrayLike<number>): void;
  saveState(): unknown;
  loadState(state: unknown): void;
}
