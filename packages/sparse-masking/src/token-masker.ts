/**
 * Level 1 for a model with one token stream (a ViT, an audio transformer): a masker with the
 * schedule built in. Call it on every training step after patch + positional embedding; it
 * drops tokens during the first epochs and passes them through afterwards and in evaluation,
 * and what it returns can apply the same plan to any aligned tensor or put tokens back.
 */
import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { applyMaskPlan, createMaskPlan, type MaskPlan, restoreTokens } from './mask-plan.js';
import { createRng, mixSeed } from './rng.js';
import { assertRatio, drawKeepSets, type StreamMaskMode, type TokenGrid } from './strategies.js';

export interface TokenMaskerOptions {
  /** Fraction of tokens dropped, in [0, 1). Default 0.5. */
  ratio?: number;
  /** Masking is on for epochs [0, activeEpochs) of training. Default 3 (Infinity = always). */
  activeEpochs?: number;
  /** 'random' patches, or whole 'time' steps / 'frequency' bands / both (need `layout`). Default 'random'. */
  mode?: StreamMaskMode;
  /** Token grid for the structured modes; default one step of N tokens. */
  layout?: TokenGrid;
  /** Run seed; step s draws from mixSeed(seed, s). Default 42. */
  seed?: number;
  /**
   * Positions never dropped (e.g. [0] for a class token added before masking); the ratio
   * applies to the other tokens. Mode 'random' only. Default [].
   */
  keep?: readonly number[];
}

/** Where the training is; `training: false` (evaluation) turns masking off. */
export interface MaskStep {
  epoch: number;
  /** Global optimizer step, for the random draw. */
  step: number;
  /** Default true. */
  training?: boolean;
}

export interface MaskedSequence {
  /** [B, N_keep, D] the kept tokens in their original order, or the input when masking is off. */
  tokens: Tensor3D;
  /** The plan behind it, null when masking is off this step. */
  plan: MaskPlan | null;
  /** Keeps the same tokens of any tensor aligned with the input ([B or 1, N, ...]); identity when off. */
  gather<T extends Tensor>(aligned: T): T;
  /** Puts [B, N_keep, D] tokens back at their positions -> [B, N, D], `fill` (e.g. a mask token [D]) elsewhere; identity when off. */
  restore(visible: Tensor3D, fill?: Tensor): Tensor3D;
}

export interface TokenMasker {
  (tokens: Tensor3D, step: MaskStep): MaskedSequence;
  /** The resolved options. */
  readonly options: Readonly<Required<Omit<TokenMaskerOptions, 'layout'>>> & {
    layout: TokenGrid | null;
  };
  /** Whether this step masks. */
  isActive(step: MaskStep): boolean;
}

const MODES: readonly StreamMaskMode[] = ['random', 'time', 'frequency', 'time-frequency'];

/** A single-stream masker: `const masked = masker(tokens, { epoch, step })`. */
export function createTokenMasker(options: TokenMaskerOptions = {}): TokenMasker {
  const resolved = {
    ratio: options.ratio ?? 0.5,
    activeEpochs: options.activeEpochs ?? 3,
    mode: options.mode ?? 'random',
    seed: options.seed ?? 42,
    keep: [...(options.keep ?? [])],
    layout: options.layout ?? null,
  };
  assertRatio(resolved.ratio, 'createTokenMasker: options.ratio');
  if (!(resolved.activeEpochs >= 0) || Number.isNaN(resolved.activeEpochs)) {
    throw new Error(
      `createTokenMasker: options.activeEpochs must be >= 0 (Infinity = always), got ${resolved.activeEpochs}`,
    );
  }
  if (!MODES.includes(resolved.mode)) {
    throw new Error(
      `createTokenMasker: options.mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(resolved.mode)}`,
    );
  }
  if (!Number.isSafeInteger(resolved.seed)) {
    throw new Error(`createTokenMasker: options.seed must be an integer, got ${resolved.seed}`);
  }
  if (resolved.keep.length > 0 && resolved.mode !== 'random') {
    throw new Error(`createTokenMasker: options.keep works with mode 'random' only`);
  }

  const isActive = (step: MaskStep) =>
    (step.training ?? true) && step.epoch < resolved.activeEpochs && resolved.ratio > 0;

  const mask = (tokens: Tensor3D, step: MaskStep): MaskedSequence => {
    if (tokens.rank !== 3) {
      throw new Error(`createTokenMasker: tokens must be [B, N, D], got [${tokens.shape}]`);
    }
    if (!isActive(step)) return passThrough(tokens);
    const [batchSize, numTokens] = tokens.shape;
    const kept = checkKept(resolved.keep, numTokens);
    const others = numTokens - kept.length;
    const grid = resolved.layout ?? { timeSteps: 1, tokensPerStep: others };
    if (grid.timeSteps * grid.tokensPerStep !== others) {
      throw new Error(
        `createTokenMasker: layout ${grid.timeSteps} steps x ${grid.tokensPerStep} tokens does not match the ${others} maskable tokens of [${tokens.shape}]`,
      );
    }
    if (!Number.isInteger(step.step)) {
      throw new Error(`createTokenMasker: step.step must be an integer, got ${step.step}`);
    }
    const rng = createRng(mixSeed(resolved.seed, step.step));
    const keepSets = drawKeepSets(resolved.mode, batchSize, grid, resolved.ratio, rng).map((set) =>
      Int32Array.from([...kept, ...Array.from(set, (n) => maskable(n, kept))]),
    );
    const plan = createMaskPlan(keepSets, numTokens);
    return {
      tokens: applyMaskPlan(plan, tokens),
      plan,
      gather: (aligned) => applyMaskPlan(plan, aligned),
      restore: (visible, fill) => restoreTokens(plan, visible, fill),
    };
  };

  return Object.assign(mask, { options: resolved, isActive });
}

function passThrough(tokens: Tensor3D): MaskedSequence {
  return {
    tokens,
    plan: null,
    gather: (aligned) => aligned,
    restore: (visible, fill) => {
      if (fill !== undefined && fill.size !== visible.shape[2]) {
        throw new Error(
          `restore: fill must hold D = ${visible.shape[2]} values, got [${fill.shape}]`,
        );
      }
      return tf.clone(visible);
    },
  };
}

/** The n-th maskable position: positions in `kept` are skipped. */
function maskable(n: number, kept: readonly number[]): number {
  let position = n;
  for (const k of kept) if (k <= position) position++;
  return position;
}

function checkKept(kept: readonly number[], numTokens: number): number[] {
  const sorted = [...new Set(kept)].sort((a, b) => a - b);
  for (const position of sorted) {
    if (!Number.isInteger(position) || position < 0 || position >= numTokens) {
      throw new Error(`createTokenMasker: options.keep has ${position}, outside [0, ${numTokens})`);
    }
  }
  if (sorted.length >= numTokens) {
    throw new Error(
      `createTokenMasker: options.keep lists all ${numTokens} tokens; nothing to mask`,
    );
  }
  return sorted;
}
