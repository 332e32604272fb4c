/** One-call MAE masking of a token batch: draw a plan, keep the visible tokens. */
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { applyMaskPlan, createMaskPlan, type MaskPlan } from './mask-plan.js';
import { createRng, type Rng } from './rng.js';
import { assertRatio, drawKeepSets, type StreamMaskMode, type TokenGrid } from './strategies.js';

export interface MaskTokensOptions {
  /** Fraction of tokens dropped, in [0, 1). */
  ratio: number;
  /** Seed for a fresh random source; give exactly one of seed and rng. */
  seed?: number;
  /** A random source to draw from (advanced by the call). */
  rng?: Rng;
  /** Default 'random'. Structured modes need `layout`. */
  mode?: StreamMaskMode;
  /** Token grid; N must equal timeSteps * tokensPerStep. Default: one step of N tokens. */
  layout?: TokenGrid;
}

export interface MaskedTokens {
  /** [B, N_keep, D], the kept tokens in their original order. */
  visible: Tensor3D;
  /** int32 [B, N_keep], ascending. */
  keepIndices: Tensor2D;
  /** int32 [B, N], argsort of the shuffle (MAE's ids_restore). */
  restoreIndices: Tensor2D;
  /** float32 [B, N], 1 = dropped. */
  mask: Tensor2D;
  /** The plan behind the above (same tensors), to mask positions or restore tokens later. */
  plan: MaskPlan;
}

/**
 * Drops `ratio` of each sample's tokens [B, N, D] (per-sample random). Mask after adding
 * positional embeddings, or apply `plan` to them (`applyMaskPlan(plan, positions)`).
 * Free the result with `disposeMaskPlan(plan)` and `visible.dispose()` outside a tf.tidy.
 */
export function maskTokens(tokens: Tensor3D, options: MaskTokensOptions): MaskedTokens {
  if (tokens.rank !== 3) {
    throw new Error(`maskTokens: tokens must be [B, N, D], got [${tokens.shape}]`);
  }
  assertRatio(options.ratio, 'maskTokens: options.ratio');
  const [batchSize, numTokens] = tokens.shape;
  const layout = options.layout ?? { timeSteps: 1, tokensPerStep: numTokens };
  if (layout.timeSteps * layout.tokensPerStep !== numTokens) {
    throw new Error(
      `maskTokens: layout ${layout.timeSteps} steps x ${layout.tokensPerStep} tokens does not match N = ${numTokens} of tokens [${tokens.shape}]`,
    );
  }
  const rng = resolveRng(options);
  const keepSets = drawKeepSets(options.mode ?? 'random', batchSize, layout, options.ratio, rng);
  const plan = createMaskPlan(keepSets, numTokens);
  const visible = applyMaskPlan(plan, tokens);
  return {
    visible,
    keepIndices: plan.keepIndices,
    restoreIndices: plan.restoreIndices,
    mask: plan.dropMask,
    plan,
  };
}

function resolveRng(options: MaskTokensOptions): Rng {
  if ((options.seed === undefined) === (options.rng === undefined)) {
    throw new Error('maskTokens: give exactly one of options.seed and options.rng');
  }
  return options.rng ?? createRng(options.seed!);
}
