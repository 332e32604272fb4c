/**
 * A pre-LN transformer block with an optional gated cross-modal adapter between the
 * self-attention and the MLP:
 *   x = x + SelfAttn(LN1(x))
 *   x = x + gate * CrossAttn(LN(x), LN(context))      (adapter blocks only)
 *   x = x + MLP(LN2(x))
 */
import * as tf from '@tensorflow/tfjs-core';
import { CrossModalAdapter, SelfAttention } from './attention.js';
import { LayerNorm, Mlp } from './layers.js';
import type { Scope } from './module.js';
import { offTape } from './off-tape.js';

/** What an adapter attends to: the question (early blocks) or the other stream (later). */
export type AdapterKind = 'none' | 'question' | 'audioVisual';

/** Tokens that a block's adapter (and a reducer's importance score) looks at. */
export interface ContextTokens {
  /** [B, Nc, D] */
  tokens: tf.Tensor3D;
  /** [B, Nc] additive key bias, or null. */
  bias: tf.Tensor2D | null;
  /** [B, Nc] 1 = padding, or null. */
  padMask: tf.Tensor2D | null;
}

export interface BlockOutput {
  /** [B, N, D] */
  tokens: tf.Tensor3D;
  /** [B, N, D] this block's self-attention keys, made on the first call. */
  keys: () => tf.Tensor3D;
}

export class Block {
  readonly norm1: LayerNorm;
  readonly attn: SelfAttention;
  readonly adapter: CrossModalAdapter | null;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;

  constructor(
    scope: Scope,
    width: number,
    heads: number,
    mlpRatio: number,
    readonly adapterKind: AdapterKind,
    adapterGateInit = 0,
  ) {
    this.norm1 = new LayerNorm(scope.child('norm1'), width);
    this.attn = new SelfAttention(scope.child('attn'), width, heads);
    this.adapter =
      adapterKind === 'none'
        ? null
        : new CrossModalAdapter(scope.child('adapter'), width, heads, adapterGateInit);
    this.norm2 = new LayerNorm(scope.child('norm2'), width);
    this.mlp = new Mlp(scope.child('mlp'), width, Math.round(width * mlpRatio), width);
  }

  /** x [B, N, D] with its key bias; context is required exactly when the block has an adapter. */
  apply(x: tf.Tensor3D, bias: tf.Tensor2D | null, context: ContextTokens | null): BlockOutput {
    const attended = this.attn.apply(this.norm1.apply(x), bias);
    let tokens = tf.add(x, attended.out) as tf.Tensor3D;
    if (this.adapter !== null) {
      if (context === null) throw new Error(`a ${this.adapterKind} adapter block needs context`);
      tokens = tf.add(
        tokens,
        this.adapter.apply(tokens, context.tokens, context.bias),
      ) as tf.Tensor3D;
    }
    tokens = tf.add(tokens, this.mlp.apply3d(this.norm2.apply(tokens))) as tf.Tensor3D;
    return { tokens, keys: attended.keys };
  }

  /**
   * [B, H, Nq, N]: the attention the context's tokens pay to this block's keys. A score for
   * choosing tokens, computed off the tape: no gradient flows through it.
   */
  importanceAttention(context: ContextTokens, keys: tf.Tensor3D, bias: tf.Tensor2D | null) {
    return offTape(() => this.attn.attentionFrom(this.norm1.apply(context.tokens), keys, bias));
  }
}
