/**
 * Test doubles that satisfy the hook interfaces structurally (as the real sparsifiers do),
 * recording what the encoder hands them.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  HookContext,
  InputMasker,
  MaskedStream,
  ReducedTokens,
  ReducerInput,
  StreamLayout,
  TokenReducer,
} from '../src/index.js';

type Streams = Record<'video' | 'audio', { tokens: tf.Tensor3D; layout: StreamLayout }>;

/** Keeps the first half of every stream's tokens (ignores ctx.training: the test decides). */
export class KeepFirstHalf implements InputMasker {
  readonly calls: {
    shapes: Record<string, number[]>;
    layouts: Record<string, StreamLayout>;
    ctx: HookContext;
  }[] = [];

  maskInputs(streams: Streams, ctx: HookContext): Record<'video' | 'audio', MaskedStream> {
    this.calls.push({
      shapes: { video: streams.video.tokens.shape, audio: streams.audio.tokens.shape },
      layouts: { video: streams.video.layout, audio: streams.audio.layout },
      ctx,
    });
    const half = (tokens: tf.Tensor3D): MaskedStream => {
      const [b, n, d] = tokens.shape;
      const keep = Math.floor(n / 2);
      const keepIndices = tf.tile(tf.reshape(tf.range(0, keep, 1, 'int32'), [1, keep]), [
        b,
        1,
      ]) as tf.Tensor2D;
      return { tokens: tf.slice(tokens, [0, 0, 0], [b, keep, d]), keepIndices };
    };
    return { video: half(streams.video.tokens), audio: half(streams.audio.tokens) };
  }
}

/** Keeps the last half of every stream's tokens: kept positions differ from their indices. */
export class KeepLastHalf implements InputMasker {
  maskInputs(streams: Streams): Record<'video' | 'audio', MaskedStream> {
    const half = (tokens: tf.Tensor3D): MaskedStream => {
      const [b, n, d] = tokens.shape;
      const keep = Math.floor(n / 2);
      const keepIndices = tf.tile(tf.reshape(tf.range(n - keep, n, 1, 'int32'), [1, keep]), [
        b,
        1,
      ]) as tf.Tensor2D;
      return { tokens: tf.slice(tokens, [0, n - keep, 0], [b, keep, d]), keepIndices };
    };
    return { video: half(streams.video.tokens), audio: half(streams.audio.tokens) };
  }
}

/** Never masks (as a masker past its schedule). */
export class NeverMask implements InputMasker {
  maskInputs(): null {
    return null;
  }
}

/** Merges tokens (2i, 2i+1) by size-weighted average: N -> N/2, sizes add up. */
export class AveragePairs implements TokenReducer {
  readonly calls: {
    stream: string;
    input: Record<string, number[] | null>;
    attentionRowSums: number[];
    timeSteps: number[] | null;
    ctx: HookContext;
  }[] = [];

  reduceTokens(input: ReducerInput, ctx: HookContext): ReducedTokens {
    this.calls.push({
      timeSteps: input.timeSteps === null ? null : Array.from(input.timeSteps),
      stream: input.stream,
      input: {
        tokens: input.tokens.shape,
        keys: input.keys.shape,
        attention: input.attention.shape,
        queryPadMask: input.queryPadMask?.shape ?? null,
        sizes: input.sizes?.shape ?? null,
        padMask: input.padMask?.shape ?? null,
      },
      attentionRowSums: Array.from(tf.sum(input.attention, -1).dataSync()),
      ctx,
    });
    const [b, n, d] = input.tokens.shape;
    if (n % 2 !== 0) throw new Error('AveragePairs needs an even token count');
    const m = n / 2;
    const sizes = input.sizes ?? tf.ones([b, n]);
    const pairSizes = tf.reshape(sizes, [b, m, 2, 1]);
    const pairTokens = tf.reshape(input.tokens, [b, m, 2, d]);
    const summed = tf.reshape(tf.sum(pairSizes, 2), [b, m]) as tf.Tensor2D;
    const tokens = tf.div(
      tf.sum(tf.mul(pairTokens, pairSizes), 2),
      tf.reshape(summed, [b, m, 1]),
    ) as tf.Tensor3D;
    return { tokens, sizes: summed, padMask: tf.zeros([b, m]) };
  }
}

/**
 * Replaces token 1 by a copy of token 0 (sizes all 1): the reference that `MergeFirstTwo`
 * must reproduce exactly through proportional attention and size-weighted pooling.
 */
export class DuplicateFirst implements TokenReducer {
  reduceTokens(input: ReducerInput): ReducedTokens {
    const [b, n, d] = input.tokens.shape;
    const first = tf.slice(input.tokens, [0, 0, 0], [b, 1, d]);
    const rest = tf.slice(input.tokens, [0, 2, 0], [b, n - 2, d]);
    return {
      tokens: tf.concat([first, first, rest], 1) as tf.Tensor3D,
      sizes: tf.ones([b, n]),
      padMask: tf.zeros([b, n]),
    };
  }
}

/**
 * Drops token 1 and gives token 0 size 2; optionally appends `padding` padding slots filled
 * with `fill` (which must not matter).
 */
export class MergeFirstTwo implements TokenReducer {
  constructor(
    readonly padding = 0,
    readonly fill = 0,
  ) {}

  reduceTokens(input: ReducerInput): ReducedTokens {
    const [b, n, d] = input.tokens.shape;
    const first = tf.slice(input.tokens, [0, 0, 0], [b, 1, d]);
    const rest = tf.slice(input.tokens, [0, 2, 0], [b, n - 2, d]);
    const parts = [first, rest];
    if (this.padding > 0) parts.push(tf.fill([b, this.padding, d], this.fill) as tf.Tensor3D);
    const m = n - 1 + this.padding;
    const sizeRow = [
      2,
      ...new Array<number>(n - 2).fill(1),
      ...new Array<number>(this.padding).fill(0),
    ];
    const padRow = [
      ...new Array<number>(n - 1).fill(0),
      ...new Array<number>(this.padding).fill(1),
    ];
    return {
      tokens: tf.concat(parts, 1) as tf.Tensor3D,
      sizes: tf.tile(tf.tensor2d(sizeRow, [1, m]), [b, 1]) as tf.Tensor2D,
      padMask: tf.tile(tf.tensor2d(padRow, [1, m]), [b, 1]) as tf.Tensor2D,
    };
  }
}
