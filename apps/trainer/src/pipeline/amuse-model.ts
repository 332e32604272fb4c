import { type AmuseModel, createAmuseModel, type InputSpec } from '@sparsify/amuse-encoder';
import { createIqrTokenReducer } from '@sparsify/iqr-token-merge';
import { createInputMasker } from '@sparsify/sparse-masking';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../config/config-error.js';
import type { TrainConfig } from '../config/train-config.js';
import { audioBatchFrom, videoBatchFrom } from './feature-inputs.js';
import type { ArrayBatch, ForwardResult, HookContext, TrainableModel } from './types.js';

/** A batch of raw media as plain arrays, the layout @sparsify/amuse-encoder reads. */
export interface MediaArrays {
  /** int32 [B, 14] question word ids, 0 = <pad>. */
  question: Int32Array;
  /** [B*T, H, W, 3] frames in [0, 1]; or the video features of a feature run (feature-inputs.ts). */
  frames: Float32Array;
  /** [B, T, frames, melBins] log-mel fbank windows; or VGGish features [B, T, 128]. */
  fbank: Float32Array;
}

/**
 * The AMUSE encoder with the sparsifiers the config asks for plugged into its hooks:
 * the input masker (level 1) and the IQR token reducer after block `merge.block` (level 2).
 */
export class SparsifiedAmuse implements TrainableModel {
  readonly encoder: AmuseModel;
  readonly masker: ReturnType<typeof createInputMasker> | null;
  readonly reducer: ReturnType<typeof createIqrTokenReducer> | null;

  constructor(config: Pick<TrainConfig, 'model' | 'mask' | 'merge' | 'seed'>, inputs: InputSpec) {
    try {
      this.encoder = createAmuseModel({
        preset: config.model as 'tiny',
        inputs,
        seed: config.seed,
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
      ? createIqrTokenReducer({ iqrMultiplier: config.merge.fence, minKeep: config.merge.minKeep })
      : null;
    this.reduceAfterBlock = config.merge?.block ?? this.encoder.config.reduceAfterBlock;
  }

  private readonly reduceAfterBlock: number;

  get parameters() {
    return this.encoder.parameters();
  }

  forward(batch: ArrayBatch, ctx: HookContext): ForwardResult {
    const media = batch.inputs as MediaArrays;
    const { video, audio } = this.encoder.config.inputs;
    const b = batch.labels.length;
    const { logits, diagnostics } = this.encoder.forward(
      {
        question: tf.tensor2d(media.question, [b, media.question.length / b], 'int32'),
        video: videoBatchFrom(video, media.frames, b),
        audio: audioBatchFrom(audio, media.fbank, b),
      },
      {
        training: ctx.training,
        masker: this.masker,
        reducer: this.reducer,
        reduceAfterBlock: this.reduceAfterBlock,
        ctx: { epoch: ctx.epoch, step: ctx.step },
      },
    );
    const mean = (values: number[]) =>
      values.reduce((a, c) => a + c, 0) / Math.max(1, values.length);
    return {
      logits,
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
