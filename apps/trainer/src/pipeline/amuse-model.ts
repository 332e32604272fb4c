import {
  type AmuseBatch,
  type AmuseModel,
  createAmuseModel,
  type HookContext,
  type InputSpec,
} from '@sparsify/amuse-encoder';
import { createIqrTokenReducer } from '@sparsify/iqr-token-merge';
import { createInputMasker } from '@sparsify/sparse-masking';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../config/config-error.js';
import { mergesAtInference, type TrainConfig } from '../config/train-config.js';
import { audioBatchFrom, videoBatchFrom } from './feature-inputs.js';
import { PerceptionHeads } from './perception-heads.js';
import type { PerceptionBatch } from './perception-targets.js';
import type { ArrayBatch, ForwardExtras, ForwardResult, TrainableModel } from './types.js';

/** A batch of raw media as plain arrays, the layout @sparsify/amuse-encoder reads. */
export interface MediaArrays {
  /** int32 [B, 14] question word ids, 0 = <pad>. */
  question: Int32Array;
  /** [B*T, H, W, 3] frames in [0, 1]; or the video features of a feature run (feature-inputs.ts). */
  frames: Float32Array;
  /** [B, T, frames, melBins] log-mel fbank windows; or VGGish features [B, T, 128]. */
  fbank: Float32Array;
  /** Perception targets (synthetic data only). */
  perception?: PerceptionBatch;
}

/**
 * The AMUSE encoder with the sparsifiers the config asks for plugged into its hooks:
 * the input masker (level 1) and the IQR token reducer after block `merge.block` (level 2).
 */
export class SparsifiedAmuse implements TrainableModel {
  readonly encoder: AmuseModel;
  readonly masker: ReturnType<typeof createInputMasker> | null;
  readonly reducer: ReturnType<typeof createIqrTokenReducer> | null;
  /** Present when the run trains (or pretrains) with perception losses. */
  readonly perception: PerceptionHeads | null;

  constructor(
    config: Pick<
      TrainConfig,
      | 'model'
      | 'epochs'
      | 'mask'
      | 'merge'
      | 'seed'
      | 'questionPooling'
      | 'questionInHead'
      | 'comparisonHead'
      | 'audioTokenLevel'
      | 'mergeSameTimeStep'
      | 'perceptionBeforeMerge'
    >,
    inputs: InputSpec,
    options: { perceptionHeads?: boolean; classPerception?: boolean } = {},
  ) {
    try {
      this.encoder = createAmuseModel({
        preset: config.model as 'tiny',
        inputs,
        seed: config.seed,
        // Only when asked: a 'mean' model keeps its preset name and its parameter names.
        ...(config.questionPooling === 'ordered' ? { questionPooling: 'ordered' as const } : {}),
        ...(config.questionInHead === true ? { questionInHead: true } : {}),
        ...(config.comparisonHead === true ? { comparisonHead: true } : {}),
        ...(config.audioTokenLevel === true ? { audioTokenLevel: true } : {}),
      });
    } catch (error) {
      throw new ConfigError('--model', (error as Error).message);
    }
    const depth = this.encoder.config.depth;
    if (config.merge && config.merge.block >= depth) {
      this.encoder.dispose();
      throw new ConfigError(
        '--merge block',
        `the ${config.model} model has blocks 0..${depth - 1}, got ${config.merge.block}`,
      );
    }
    this.masker = config.mask
      ? createInputMasker({
          activeEpochs: config.mask.epochs,
          ratio: config.mask.ratio,
          seed: config.seed,
        })
      : null;
    this.reducer = config.merge
      ? createIqrTokenReducer({
          iqrMultiplier: config.merge.fence,
          minKeep: config.merge.minKeep,
          ...(config.mergeSameTimeStep ? { sameTimeStep: config.mergeSameTimeStep } : {}),
        })
      : null;
    this.reduceAfterBlock = config.merge?.block ?? this.encoder.config.reduceAfterBlock;
    this.mergeEpochs = config.merge?.epochs ?? Number.POSITIVE_INFINITY;
    this.mergesAtInference = mergesAtInference(config);
    this.perceptionBeforeMerge = config.perceptionBeforeMerge === true;
    this.perception = options.perceptionHeads
      ? new PerceptionHeads(this.encoder.store, this.encoder.config.width, {
          classTargets: options.classPerception === true,
        })
      : null;
  }

  private readonly reduceAfterBlock: number;
  /** Training merges in epochs 0..mergeEpochs-1. */
  private readonly mergeEpochs: number;
  private readonly mergesAtInference: boolean;
  /** The perception loss averaged with its value on the tokens entering the merge. */
  private readonly perceptionBeforeMerge: boolean;

  /** Whether this forward pass merges (`merge.epochs`; level 2 stops as InfoBatch's pruning does). */
  private mergesNow(ctx: HookContext): boolean {
    if (this.reducer === null) return false;
    return ctx.training ? ctx.epoch < this.mergeEpochs : this.mergesAtInference;
  }

  get parameters() {
    return this.encoder.parameters();
  }

  /** The batch's arrays as the encoder's input tensors (the caller disposes them, or a tidy). */
  encoderBatch(batch: ArrayBatch): AmuseBatch {
    const media = batch.inputs;
    const { video, audio } = this.encoder.config.inputs;
    const b = batch.labels.length;
    return {
      question: tf.tensor2d(media.question, [b, media.question.length / b], 'int32'),
      video: videoBatchFrom(video, media.frames, b),
      audio: audioBatchFrom(audio, media.fbank, b),
    };
  }

  forward(batch: ArrayBatch, ctx: HookContext, extras: ForwardExtras = {}): ForwardResult {
    const media = batch.inputs;
    const { audio } = this.encoder.config.inputs;
    const wantPerception = extras.perception === true;
    if (wantPerception && (this.perception === null || media.perception === undefined)) {
      throw new Error(
        this.perception === null
          ? 'perception loss asked of a model built without perception heads'
          : 'perception loss asked but the batch has no perception targets (synthetic data only)',
      );
    }
    const { logits, diagnostics, streams, streamsBeforeReducer } = this.encoder.forward(
      this.encoderBatch(batch),
      {
        training: ctx.training,
        masker: this.masker,
        reducer: this.mergesNow(ctx) ? this.reducer : null,
        reduceAfterBlock: this.reduceAfterBlock,
        ctx: { epoch: ctx.epoch, step: ctx.step },
        returnStreams: wantPerception,
        returnStreamsBeforeReducer: wantPerception && this.perceptionBeforeMerge,
      },
    );
    let perception: ForwardResult['perception'];
    if (wantPerception && streams && this.perception && media.perception) {
      const sourcesOf = (stream: 'video' | 'audio') => {
        if (!diagnostics.reduced || this.reducer === null) return null;
        const plan = this.reducer.lastPlan(stream);
        // The encoder may append padding slots (to run both streams as one batch), never drop outputs.
        if (!plan || plan.outputTokens > streams[stream].tokens.shape[1]) {
          throw new Error(
            `the ${stream} merge plan does not match the tokens that reached the heads`,
          );
        }
        return plan.sources;
      };
      const geometry = {
        videoTokens: this.encoder.video.tokenCount,
        audioTimeSteps: audio.timeSteps,
        audioTokensPerStep: this.encoder.audio.geometry.tokensPerStep,
      };
      perception = this.perception.loss(
        streams,
        media.perception,
        geometry,
        { video: sourcesOf('video'), audio: sourcesOf('audio') },
        extras.perceptionCounts === true,
      );
      if (streamsBeforeReducer) {
        // Before the merge every token is one position with its own target (the masker's
        // positions still apply); after it, targets are blends of their sources'.
        const before = this.perception.loss(streamsBeforeReducer, media.perception, geometry, {
          video: null,
          audio: null,
        });
        perception = {
          ...perception,
          loss: tf.mul(tf.add(perception.loss, before.loss), 0.5) as tf.Scalar,
        };
      }
    }
    const mean = (values: number[]) =>
      values.reduce((a, c) => a + c, 0) / Math.max(1, values.length);
    return {
      logits,
      ...(perception ? { perception } : {}),
      tokens: {
        videoKept: mean(diagnostics.video.keptTokens),
        audioKept: mean(diagnostics.audio.keptTokens),
        videoTotal: diagnostics.video.inputTokens,
        audioTotal: diagnostics.audio.inputTokens,
      },
    };
  }

  dispose(): void {
    this.encoder.dispose();
  }
}
