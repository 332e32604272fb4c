/**
 * The AMUSE-style encoder, top to bottom:
 *   1. embed each stream (patches or features -> width D) and add time + space positions
 *   2. level-1 hook: the input masker may keep a subset of each stream's tokens
 *   3. encode the question (words -> 2-layer transformer, padding ignored)
 *   4. run the shared blocks on both streams in lockstep; early blocks' adapters attend to
 *      the question, later ones to the other stream
 *   5. level-2 hook: after block `reduceAfterBlock` the token reducer may merge tokens; from
 *      then on attention adds log(size) and ignores padding
 *   6. final LayerNorm, question-gated size-weighted means, summed, MLP -> answer logits
 */
import * as tf from '@tensorflow/tfjs-core';
import { keyBias } from './attention.js';
import { Block, type ContextTokens } from './block.js';
import { padToCommonLength } from './common-length.js';
import { type AmuseConfig, type AmuseOptions, resolveConfig } from './config.js';
import { Fusion } from './fusion.js';
import type { HookContext, InputMasker, StreamLayout, TokenReducer } from './hooks.js';
import { LayerNorm } from './layers.js';
import { ParameterStore, Scope } from './module.js';
import { offTape } from './off-tape.js';
import { type EncodedQuestion, QuestionEncoder } from './question-encoder.js';
import { type AudioBatch, StreamEmbedding, type VideoBatch } from './stream-embedding.js';

export type StreamName = 'video' | 'audio';
const STREAMS: readonly StreamName[] = ['video', 'audio'];

export interface AmuseBatch {
  /** int32 [B, L] word ids, 0 = '<pad>'. */
  question: tf.Tensor2D;
  video: VideoBatch;
  audio: AudioBatch;
}

export interface ForwardOptions {
  /** Passed to the hooks; a masker usually masks only while training. */
  training: boolean;
  /** Level 1: called once after patch + position embedding. */
  masker?: InputMasker | null;
  /** Level 2: called after block `reduceAfterBlock` for each stream. */
  reducer?: TokenReducer | null;
  /** Overrides config.reduceAfterBlock for this call. */
  reduceAfterBlock?: number;
  /** Epoch and global step for the hooks (default 0). */
  ctx?: Partial<Omit<HookContext, 'training'>>;
  /**
   * Also return each stream's final (normalised) tokens, for heads beside the answer head
   * (perception losses). They are on the gradient tape like the logits.
   */
  returnStreams?: boolean;
  /**
   * When a reducer runs: also return each stream's tokens as they entered it, through the
   * final LayerNorm, so a head trained on `streams` applies to them. A loss there sees
   * every token before merging blends them (e.g. per-patch perception targets).
   */
  returnStreamsBeforeReducer?: boolean;
}

/** A stream's tokens as they reach the fusion, and where each came from. */
export interface StreamOutput {
  /** [B, M, D] after the final LayerNorm. */
  tokens: tf.Tensor3D;
  /** [B, M] 1 = padding slot (after a reducer), or null. */
  padMask: tf.Tensor2D | null;
  /**
   * Per sample, the original token positions the input masker kept (ascending; the masked
   * sequence's position k held original token keepIndices[b][k]), or null when nothing
   * was masked. A reducer's source map (positions in the masked sequence) composes with it.
   */
  keepIndices: Int32Array[] | null;
}

export interface StreamDiagnostics {
  /** Tokens after embedding (N = T * tokensPerStep). */
  inputTokens: number;
  /** Tokens per sample after the input masker (= inputTokens when none masked). */
  maskedTokens: number;
  /** Real (non-padding) tokens per sample that reached the fusion. */
  keptTokens: number[];
}

export interface ForwardDiagnostics {
  video: StreamDiagnostics;
  audio: StreamDiagnostics;
  /** Whether the masker masked this call. */
  masked: boolean;
  /** Whether a reducer ran. */
  reduced: boolean;
}

export interface ForwardResult {
  /** [B, numAnswers] */
  logits: tf.Tensor2D;
  diagnostics: ForwardDiagnostics;
  /** With `returnStreams`: each stream's final tokens. */
  streams?: Record<StreamName, StreamOutput>;
  /** With `returnStreamsBeforeReducer`, when a reducer ran: each stream's tokens entering it. */
  streamsBeforeReducer?: Record<StreamName, StreamOutput>;
}

/** Both streams as one batch of 2B samples: video rows, then audio rows. */
interface JointStreams {
  /** [2B, N, D] */
  tokens: tf.Tensor3D;
  /** [2B, N] or null. */
  bias: tf.Tensor2D | null;
}

/** Whether a block can take both streams as one batch: same shapes, both or neither biased. */
function canRunJoint(state: Record<StreamName, StreamState>): boolean {
  const { video, audio } = state;
  return (
    video.tokens.shape.every((size, axis) => size === audio.tokens.shape[axis]) &&
    (video.bias === null) === (audio.bias === null)
  );
}

function joinStreams(state: Record<StreamName, StreamState>): JointStreams {
  const { video, audio } = state;
  return {
    tokens: tf.concat([video.tokens, audio.tokens], 0),
    // The key bias is a constant: nothing to record for gradients.
    bias:
      video.bias === null || audio.bias === null
        ? null
        : offTape(() => tf.concat([video.bias!, audio.bias!], 0)),
  };
}

/** The question as context for both halves of a joint batch. */
function pairContext(question: EncodedQuestion): ContextTokens {
  return {
    tokens: tf.concat([question.tokens, question.tokens], 0),
    bias: offTape(() => tf.concat([question.bias, question.bias], 0)),
    padMask: null,
  };
}

/**
 * [2B, ...] with its halves swapped (audio rows first): a split and a concat, two row copies
 * (tfjs-backend-wasm's Reverse goes element by element, ~20x slower here).
 */
function swapHalves<T extends tf.Tensor>(x: T): T {
  const [first, second] = tf.split(x, 2, 0);
  return tf.concat([second!, first!], 0) as T;
}

function splitJoint<T extends tf.Tensor>(x: T): Record<StreamName, T> {
  const [video, audio] = tf.split(x, 2, 0) as T[];
  return { video: video!, audio: audio! };
}

/** Both streams' states with new tokens (the rest of each state unchanged). */
function withTokens(
  state: Record<StreamName, StreamState>,
  tokens: Record<StreamName, tf.Tensor3D>,
): Record<StreamName, StreamState> {
  return {
    video: { ...state.video, tokens: tokens.video },
    audio: { ...state.audio, tokens: tokens.audio },
  };
}

/** One stream's tokens between blocks. */
interface StreamState {
  tokens: tf.Tensor3D;
  sizes: tf.Tensor2D | null;
  padMask: tf.Tensor2D | null;
  bias: tf.Tensor2D | null;
  keepIndices: Int32Array[] | null;
}

/** Returned streams inside `tf.tidy` (which keeps tensors, not nulls): tokens and padding mask. */
type NormedStreams = Record<StreamName, { tokens: tf.Tensor3D; padMask?: tf.Tensor2D }>;

/** A stream's state after a reducer: sizes and padding mask known. */
type ReducedStreamState = StreamState & { sizes: tf.Tensor2D; padMask: tf.Tensor2D };

export class AmuseModel {
  readonly config: AmuseConfig;
  readonly store: ParameterStore;
  readonly video: StreamEmbedding;
  readonly audio: StreamEmbedding;
  readonly question: QuestionEncoder;
  readonly blocks: Block[];
  readonly norm: LayerNorm;
  readonly fusion: Fusion;
  /**
   * Whether a backbone block runs once over both streams when their token counts match
   * (default), rather than once per stream: the same values up to float rounding (weight
   * gradients sum both streams' rows in one product), half the kernel launches. Off, the
   * blocks run per stream as before (for comparisons).
   */
  jointBlocks = true;

  constructor(config: AmuseConfig) {
    this.config = config;
    this.store = new ParameterStore(config.seed);
    const root = new Scope(this.store, '');
    const { width, heads, mlpRatio, patchSize } = config;
    this.video = new StreamEmbedding(
      root.child('video'),
      'video',
      config.inputs.video,
      width,
      patchSize,
      config.positionScale,
    );
    this.audio = new StreamEmbedding(
      root.child('audio'),
      'audio',
      config.inputs.audio,
      width,
      patchSize,
      config.positionScale,
      config.audioTokenLevel,
    );
    this.question = new QuestionEncoder(
      root.child('question'),
      config.vocabularySize,
      config.questionLength,
      width,
      heads,
      mlpRatio,
      config.questionLayers,
      config.questionPooling,
    );
    const backbone = root.child('backbone');
    this.blocks = Array.from({ length: config.depth }, (_, i) => {
      const kind = i < config.questionAdapterBlocks ? 'question' : 'audioVisual';
      return new Block(
        backbone.child('blocks').child(i),
        width,
        heads,
        mlpRatio,
        kind,
        config.adapterGateInit,
      );
    });
    this.norm = new LayerNorm(backbone.child('norm'), width);
    this.fusion = new Fusion(
      root.child('fusion'),
      width,
      config.numAnswers,
      config.questionInHead,
      config.comparisonHead,
    );
  }

  /** Every parameter by stable dotted name, in creation order. */
  parameters(): ReadonlyMap<string, tf.Variable> {
    return this.store.variables;
  }

  /** The list an optimizer minimises over. */
  trainableVariables(): tf.Variable[] {
    return [...this.store.variables.values()];
  }

  parameterCount(): number {
    let count = 0;
    for (const variable of this.store.variables.values()) count += variable.size;
    return count;
  }

  /**
   * Each stream's input patches, [B, N, patchValues] in token order (`StreamEmbedding.patches`):
   * the targets of masked-patch pretraining. B is `batchSize`; the inputs are checked as
   * `forward` checks them.
   */
  inputPatches(
    batch: Pick<AmuseBatch, 'video' | 'audio'>,
    batchSize: number,
  ): Record<StreamName, tf.Tensor3D> {
    return {
      video: this.video.patches(batch.video, batchSize),
      audio: this.audio.patches(batch.audio, batchSize),
    };
  }

  /** The token layout the input masker receives for each stream. */
  layouts(): Record<StreamName, StreamLayout> {
    return { video: this.video.layout, audio: this.audio.layout };
  }

  forward(batch: AmuseBatch, options: ForwardOptions): ForwardResult {
    const ctx: HookContext = {
      training: options.training,
      epoch: options.ctx?.epoch ?? 0,
      step: options.ctx?.step ?? 0,
    };
    const reduceAfterBlock = options.reduceAfterBlock ?? this.config.reduceAfterBlock;
    if (
      !Number.isInteger(reduceAfterBlock) ||
      reduceAfterBlock < 0 ||
      reduceAfterBlock >= this.blocks.length
    ) {
      throw new Error(
        `forward: reduceAfterBlock must be in [0, ${this.blocks.length - 1}], got ${reduceAfterBlock}`,
      );
    }
    let diagnostics: ForwardDiagnostics | undefined;
    let keepIndices: Record<StreamName, Int32Array[] | null> = { video: null, audio: null };
    const out = tf.tidy(() => {
      const b = batch.question.shape[0];

      // 1. tokens with positions
      const embedded: Record<StreamName, tf.Tensor3D> = {
        video: this.video.apply(batch.video, b),
        audio: this.audio.apply(batch.audio, b),
      };
      const inputTokens = { video: this.video.tokenCount, audio: this.audio.tokenCount };

      // 2. level 1: input masking
      const streams = this.applyMasker(embedded, options.masker ?? null, ctx);
      const masked =
        streams.video.tokens !== embedded.video || streams.audio.tokens !== embedded.audio;
      keepIndices = { video: streams.video.keepIndices, audio: streams.audio.keepIndices };
      const maskedTokens = {
        video: streams.video.tokens.shape[1],
        audio: streams.audio.tokens.shape[1],
      };

      // 3. the question
      const question = this.question.apply(batch.question);

      // 4-5. shared blocks in lockstep, then the optional reducer. While both streams have
      // as many tokens (and both or neither a key bias), each block runs once over both, as
      // one batch of 2B samples (video rows, then audio rows): half the kernel launches.
      let state = streams;
      // The streams as they entered the reducer, kept only when asked for.
      let beforeReducer: Record<StreamName, StreamState> | null = null;
      let joint: JointStreams | null = null;
      let pairedQuestion: ContextTokens | null = null;
      for (const [index, block] of this.blocks.entries()) {
        const reduceHere = Boolean(options.reducer) && index === reduceAfterBlock;
        if (this.jointBlocks && canRunJoint(state)) {
          joint ??= joinStreams(state);
          let jointContext: ContextTokens;
          if (block.adapterKind === 'question') {
            pairedQuestion ??= pairContext(question);
            jointContext = pairedQuestion;
          } else {
            // Each stream attends to the other: the batch with its halves swapped.
            jointContext = {
              tokens: swapHalves(joint.tokens),
              bias: joint.bias === null ? null : swapHalves(joint.bias),
              padMask: null,
            };
          }
          const output = block.apply(joint.tokens, joint.bias, jointContext);
          if (!reduceHere) {
            joint = { tokens: output.tokens, bias: joint.bias };
            continue;
          }
          // The reducer takes each stream alone, with its context before this block.
          const inputs = withTokens(state, splitJoint(joint.tokens));
          const next = withTokens(state, splitJoint(output.tokens));
          if (options.returnStreamsBeforeReducer) beforeReducer = { ...next };
          const jointKeys = output.keys();
          const keys = splitJoint(jointKeys);
          // The importance scores of both streams in one pass over the 2B samples: the joint
          // context is each stream's own context, stacked.
          const attention = splitJoint(
            block.importanceAttention(jointContext, jointKeys, joint.bias),
          );
          for (const stream of STREAMS) {
            next[stream] = this.applyReducer(
              options.reducer!,
              stream,
              block,
              next[stream],
              keys[stream],
              this.contextFor(block, stream, inputs, question),
              ctx,
              attention[stream],
            );
          }
          state = this.padAfterReducer(next, index);
          joint = null;
          continue;
        }
        if (joint !== null) {
          state = withTokens(state, splitJoint(joint.tokens));
          joint = null;
        }
        const context = {
          video: this.contextFor(block, 'video', state, question),
          audio: this.contextFor(block, 'audio', state, question),
        };
        const outputs = {
          video: block.apply(state.video.tokens, state.video.bias, context.video),
          audio: block.apply(state.audio.tokens, state.audio.bias, context.audio),
        };
        const next = withTokens(state, {
          video: outputs.video.tokens,
          audio: outputs.audio.tokens,
        });
        if (reduceHere) {
          if (options.returnStreamsBeforeReducer) beforeReducer = { ...next };
          for (const stream of STREAMS) {
            next[stream] = this.applyReducer(
              options.reducer!,
              stream,
              block,
              next[stream],
              outputs[stream].keys(),
              context[stream],
              ctx,
            );
          }
          state = this.padAfterReducer(next, index);
          continue;
        }
        state = next;
      }

      // 6a. the final LayerNorm, over both streams at once where they are joint
      let normed: Record<StreamName, tf.Tensor3D>;
      if (joint !== null) {
        // state's tokens are then those before the joint blocks: only their shape (the
        // same) and the streams' masks and sizes are read below.
        normed = splitJoint(this.norm.apply(joint.tokens));
      } else {
        normed = {
          video: this.norm.apply(state.video.tokens),
          audio: this.norm.apply(state.audio.tokens),
        };
      }

      diagnostics = {
        video: {
          inputTokens: inputTokens.video,
          maskedTokens: maskedTokens.video,
          keptTokens: realTokenCounts(state.video),
        },
        audio: {
          inputTokens: inputTokens.audio,
          maskedTokens: maskedTokens.audio,
          keptTokens: realTokenCounts(state.audio),
        },
        masked,
        reduced: Boolean(options.reducer),
      };

      // 6b. fusion
      const pooled = (stream: StreamName) => ({
        tokens: normed[stream],
        weights: poolingWeights(state[stream]),
      });
      const logits = this.fusion.apply(pooled('video'), pooled('audio'), question.pooled);
      // Both kinds of returned streams: tokens through the final LayerNorm, with their masks.
      const withMasks = (
        tokens: Record<StreamName, tf.Tensor3D>,
        from: Record<StreamName, StreamState>,
      ): NormedStreams => ({
        video: { tokens: tokens.video, padMask: from.video.padMask ?? undefined },
        audio: { tokens: tokens.audio, padMask: from.audio.padMask ?? undefined },
      });
      return {
        logits,
        ...(options.returnStreams ? { streams: withMasks(normed, state) } : {}),
        ...(beforeReducer === null
          ? {}
          : {
              beforeReducer: withMasks(
                {
                  video: this.norm.apply(beforeReducer.video.tokens),
                  audio: this.norm.apply(beforeReducer.audio.tokens),
                },
                beforeReducer,
              ),
            }),
      };
    }) as { logits: tf.Tensor2D; streams?: NormedStreams; beforeReducer?: NormedStreams };
    const withKeepIndices = (streams: NormedStreams): Record<StreamName, StreamOutput> => ({
      video: {
        ...streams.video,
        padMask: streams.video.padMask ?? null,
        keepIndices: keepIndices.video,
      },
      audio: {
        ...streams.audio,
        padMask: streams.audio.padMask ?? null,
        keepIndices: keepIndices.audio,
      },
    });
    const result: ForwardResult = { logits: out.logits, diagnostics: diagnostics! };
    if (out.streams) result.streams = withKeepIndices(out.streams);
    if (out.beforeReducer) result.streamsBeforeReducer = withKeepIndices(out.beforeReducer);
    return result;
  }

  /** Disposes every parameter. */
  dispose(): void {
    this.store.dispose();
  }

  private applyMasker(
    embedded: Record<StreamName, tf.Tensor3D>,
    masker: InputMasker | null,
    ctx: HookContext,
  ): Record<StreamName, StreamState> {
    const unmasked = (
      tokens: tf.Tensor3D,
      keepIndices: Int32Array[] | null = null,
    ): StreamState => ({
      tokens,
      sizes: null,
      padMask: null,
      bias: null,
      keepIndices,
    });
    const fresh = { video: unmasked(embedded.video), audio: unmasked(embedded.audio) };
    if (masker === null) return fresh;
    const layouts = this.layouts();
    const request = {
      video: { tokens: embedded.video, layout: layouts.video },
      audio: { tokens: embedded.audio, layout: layouts.audio },
    };
    const result = masker.maskInputs(request, ctx);
    if (result === null || (result as unknown) === request) return fresh;
    const out = { ...fresh };
    for (const stream of STREAMS) {
      const masked = result[stream];
      const [b, n, d] = embedded[stream].shape;
      if (masked === undefined || masked.tokens === undefined) {
        throw new Error(`masker.maskInputs returned no "${stream}" stream`);
      }
      const [mb, keep, md] = masked.tokens.shape;
      if (
        masked.tokens.rank !== 3 ||
        mb !== b ||
        md !== d ||
        keep === undefined ||
        keep > n ||
        keep < 1
      ) {
        throw new Error(
          `masker.maskInputs: ${stream}.tokens has shape [${masked.tokens.shape.join(', ')}], expected [${b}, N_keep <= ${n}, ${d}]`,
        );
      }
      out[stream] = unmasked(masked.tokens, keepRows(stream, masked.keepIndices, b, keep));
    }
    return out;
  }

  /**
   * After the reducer, when blocks follow and blocks may run joint: both streams padded to
   * one token count (common-length.ts), so the later blocks run once over both.
   */
  private padAfterReducer(
    state: Record<StreamName, StreamState>,
    index: number,
  ): Record<StreamName, StreamState> {
    const { video, audio } = state;
    if (
      !this.jointBlocks ||
      index === this.blocks.length - 1 ||
      video.sizes === null ||
      video.padMask === null ||
      audio.sizes === null ||
      audio.padMask === null ||
      video.tokens.shape[0] !== audio.tokens.shape[0] ||
      video.tokens.shape[1] === audio.tokens.shape[1]
    ) {
      return state;
    }
    const [paddedVideo, paddedAudio] = padToCommonLength(
      video as ReducedStreamState,
      audio as ReducedStreamState,
    );
    const withBias = (s: ReducedStreamState): StreamState =>
      s.tokens === video.tokens || s.tokens === audio.tokens
        ? s
        : { ...s, bias: keyBias(s.sizes, s.padMask) };
    return { video: withBias(paddedVideo), audio: withBias(paddedAudio) };
  }

  /** What a backbone block's adapter attends to for one stream: the question or the other stream. */
  private contextFor(
    block: Block,
    stream: StreamName,
    state: Record<StreamName, StreamState>,
    question: EncodedQuestion,
  ): ContextTokens {
    if (block.adapterKind === 'question') {
      return { tokens: question.tokens, bias: question.bias, padMask: question.padMask };
    }
    const other = state[stream === 'video' ? 'audio' : 'video'];
    return { tokens: other.tokens, bias: other.bias, padMask: other.padMask };
  }

  /** [B * N] each token's time step, through the masker's kept positions if any. */
  private timeStepsOf(stream: StreamName, current: StreamState): Int32Array {
    const [batch, count] = current.tokens.shape;
    const { tokensPerStep } = this.layouts()[stream];
    const steps = new Int32Array(batch * count);
    for (let b = 0; b < batch; b++) {
      const positions = current.keepIndices?.[b];
      for (let n = 0; n < count; n++) {
        steps[b * count + n] = Math.floor((positions ? positions[n]! : n) / tokensPerStep);
      }
    }
    return steps;
  }

  private applyReducer(
    reducer: TokenReducer,
    stream: StreamName,
    block: Block,
    current: StreamState,
    keys: tf.Tensor3D,
    context: ContextTokens,
    ctx: HookContext,
    attention: tf.Tensor4D = block.importanceAttention(context, keys, current.bias),
  ): StreamState {
    const reduced = reducer.reduceTokens(
      {
        stream,
        tokens: current.tokens,
        keys,
        attention,
        queryPadMask: context.padMask,
        sizes: current.sizes,
        padMask: current.padMask,
        timeSteps: current.sizes === null ? this.timeStepsOf(stream, current) : null,
      },
      ctx,
    );
    const [b, n, d] = current.tokens.shape;
    const [rb, m, rd] = reduced.tokens.shape;
    const bad = (what: string, shape: number[], expected: string) =>
      new Error(
        `reducer.reduceTokens(${stream}): ${what} has shape [${shape.join(', ')}], expected ${expected}`,
      );
    if (reduced.tokens.rank !== 3 || rb !== b || rd !== d || m === undefined || m > n || m < 1) {
      throw bad('tokens', reduced.tokens.shape, `[${b}, M <= ${n}, ${d}]`);
    }
    for (const field of ['sizes', 'padMask'] as const) {
      const tensor = reduced[field];
      if (
        tensor === undefined ||
        tensor.rank !== 2 ||
        tensor.shape[0] !== b ||
        tensor.shape[1] !== m
      ) {
        throw bad(field, tensor?.shape ?? [], `[${b}, ${m}]`);
      }
    }
    return {
      tokens: reduced.tokens,
      sizes: reduced.sizes,
      padMask: reduced.padMask,
      bias: keyBias(reduced.sizes, reduced.padMask),
      keepIndices: current.keepIndices,
    };
  }
}

/** The masker's kept positions per sample, checked: int32 [B, N_keep]. */
function keepRows(
  stream: StreamName,
  keepIndices: tf.Tensor2D | undefined,
  batch: number,
  keep: number,
): Int32Array[] {
  if (
    keepIndices === undefined ||
    keepIndices.shape[0] !== batch ||
    keepIndices.shape[1] !== keep
  ) {
    throw new Error(
      `masker.maskInputs: ${stream}.keepIndices must be int32 [${batch}, ${keep}], got [${keepIndices?.shape.join(', ') ?? ''}]`,
    );
  }
  const values = keepIndices.dataSync();
  return Array.from({ length: batch }, (_, b) =>
    Int32Array.from(values.subarray(b * keep, (b + 1) * keep)),
  );
}

/** Sizes with padding zeroed, or null (plain mean) before any reduction. */
function poolingWeights(state: StreamState): tf.Tensor2D | null {
  if (state.sizes === null && state.padMask === null) return null;
  const real = state.padMask === null ? null : tf.sub(1, state.padMask);
  if (state.sizes === null) return real as tf.Tensor2D;
  return (real === null ? state.sizes : tf.mul(state.sizes, real)) as tf.Tensor2D;
}

function realTokenCounts(state: StreamState): number[] {
  const [b, n] = state.tokens.shape;
  if (state.padMask === null) return new Array<number>(b).fill(n);
  // Summed on the host: a [B, M] mask is a few hundred values, less than a launch costs.
  const mask = state.padMask.dataSync();
  return Array.from({ length: b }, (_, row) => {
    let padding = 0;
    for (let k = row * n; k < (row + 1) * n; k++) padding += mask[k]!;
    return n - Math.round(padding);
  });
}

/** Builds a model from a preset plus overrides; the same seed gives the same weights. */
export function createAmuseModel(options: AmuseOptions = {}): AmuseModel {
  return new AmuseModel(resolveConfig(options));
}
