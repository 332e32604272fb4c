/**
 * The level-2 hook of Sparsify: between blocks, keep the tokens cross-modal attention
 * finds important (IQR rule) and merge every other token into its most similar key.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ReducedTokens, ReducerInput } from './contract.js';
import { importanceFromAttention } from './importance.js';
import { mergeTokens } from './merge-apply.js';
import { type MergePlanOptions, validateKeepBound } from './merge-options.js';
import { computeMergePlan, type MergePlan } from './merge-plan.js';

export interface IqrTokenReducerOptions extends MergePlanOptions {
  /**
   * Streams whose tokens merge only with tokens of the same time step (the hook input's
   * `timeSteps`), each step keeping at least one token: a merge that cannot join sounds of
   * different seconds keeps their timing. Default none: any token may join any key.
   */
  sameTimeStep?: readonly ReducerInput['stream'][];
}

/** The reducer's output: the contract's fields plus the plan (with `sources`) for inspection. */
export interface IqrReducedTokens extends ReducedTokens {
  plan: MergePlan;
}

/** The encoder's `TokenReducer` hook, structurally, plus the last plan per stream. */
export interface IqrTokenReducer {
  /** `ctx` (the encoder's hook context) is accepted and not read: the rule has no schedule. */
  reduceTokens(input: ReducerInput, ctx?: unknown): IqrReducedTokens;
  /**
   * The last plan computed for a stream: its `sources` map each output to the positions of
   * that call's input tokens (the trainer reads them for the perception loss).
   */
  lastPlan(stream: ReducerInput['stream']): MergePlan | undefined;
}

export function createIqrTokenReducer(options: IqrTokenReducerOptions = {}): IqrTokenReducer {
  validateOptions(options);
  const lastPlans = new Map<ReducerInput['stream'], MergePlan>();
  return {
    reduceTokens(input) {
      const { batchSize, tokenCount, keyDim } = checkInput(input);
      const groups = options.sameTimeStep?.includes(input.stream)
        ? timeStepsOf(input, batchSize, tokenCount)
        : null;
      const scores = syncAndDispose(importanceFromAttention(input.attention, input.queryPadMask));
      const plan = computeMergePlan(
        {
          batchSize,
          tokenCount,
          keyDim,
          scores,
          keys: input.keys.dataSync(),
          sizes: input.sizes?.dataSync() ?? null,
          padMask: input.padMask?.dataSync() ?? null,
          groups,
        },
        options,
      );
      lastPlans.set(input.stream, plan);
      return { ...mergeTokens(plan, input.tokens), plan };
    },
    lastPlan: (stream) => lastPlans.get(stream),
  };
}

function syncAndDispose(tensor: tf.Tensor): Float32Array {
  const values = tensor.dataSync() as Float32Array;
  tensor.dispose();
  return values;
}

function timeStepsOf(input: ReducerInput, batchSize: number, tokenCount: number) {
  const steps = input.timeSteps;
  if (steps == null) {
    throw new Error(
      `reduceTokens(${input.stream}): the option sameTimeStep needs the input's timeSteps, and the encoder gave none`,
    );
  }
  if (steps.length !== batchSize * tokenCount) {
    throw new Error(
      `reduceTokens(${input.stream}): timeSteps has ${steps.length} values, expected B * N = ${batchSize * tokenCount}`,
    );
  }
  return steps;
}

function checkInput(input: ReducerInput) {
  const { tokens, keys, attention } = input;
  if (tokens.rank !== 3)
    throw new Error(`reduceTokens: tokens must be [B, N, D], got [${tokens.shape}]`);
  const [batchSize, tokenCount] = tokens.shape;
  if (keys.rank !== 3 || keys.shape[0] !== batchSize || keys.shape[1] !== tokenCount) {
    throw new Error(
      `reduceTokens: keys must be [${batchSize}, ${tokenCount}, Dk], got [${keys.shape}]`,
    );
  }
  if (
    attention.rank !== 4 ||
    attention.shape[0] !== batchSize ||
    attention.shape[3] !== tokenCount
  ) {
    throw new Error(
      `reduceTokens: attention must be [${batchSize}, H, Nq, ${tokenCount}], got [${attention.shape}]`,
    );
  }
  for (const [name, mask] of [
    ['sizes', input.sizes],
    ['padMask', input.padMask],
  ] as const) {
    if (
      mask !== null &&
      (mask.rank !== 2 || mask.shape[0] !== batchSize || mask.shape[1] !== tokenCount)
    ) {
      throw new Error(
        `reduceTokens: ${name} must be [${batchSize}, ${tokenCount}], got [${mask.shape}]`,
      );
    }
  }
  return { batchSize, tokenCount, keyDim: keys.shape[2] };
}

function validateOptions(options: IqrTokenReducerOptions): void {
  const { iqrMultiplier, minKeep, maxKeep } = options;
  if (iqrMultiplier !== undefined && !Number.isFinite(iqrMultiplier)) {
    throw new Error(
      `createIqrTokenReducer: iqrMultiplier must be a finite number, got ${iqrMultiplier}`,
    );
  }
  if (minKeep !== undefined) validateKeepBound(minKeep, 'minKeep');
  if (maxKeep !== undefined) validateKeepBound(maxKeep, 'maxKeep');
  const bothCounts =
    minKeep !== undefined && maxKeep !== undefined && minKeep >= 1 === maxKeep >= 1;
  if (bothCounts && minKeep! > maxKeep!) {
    throw new Error(`createIqrTokenReducer: minKeep (${minKeep}) exceeds maxKeep (${maxKeep})`);
  }
  const streams = options.sameTimeStep ?? [];
  if (!Array.isArray(streams) || streams.some((s) => s !== 'video' && s !== 'audio')) {
    throw new Error(
      `createIqrTokenReducer: sameTimeStep must list 'video' and/or 'audio', got ${JSON.stringify(streams)}`,
    );
  }
  if (options.similarity !== undefined && !['dot', 'cosine'].includes(options.similarity)) {
    throw new Error(
      `createIqrTokenReducer: similarity must be 'dot' or 'cosine', got '${options.similarity}'`,
    );
  }
}
