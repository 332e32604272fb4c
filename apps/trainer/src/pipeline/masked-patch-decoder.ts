/**
 * The decoder of masked-patch pretraining (MAE, He et al. 2022), reading the encoder's visible
 * tokens by cross-attention, as CrossMAE does (Fu et al. 2024): each masked position asks the
 * visible tokens for its own patch. Its query is a learned mask token plus the encoder's own
 * time + space embedding of that position; one attention over the visible tokens and a small
 * MLP predict the patch's values.
 *
 * The loss is the squared error on masked patches only. Each target patch is normalised by its
 * own mean and variance (MAE's norm_pix_loss): what must be inferred is a patch's shape, not its
 * brightness. Predicting zero everywhere therefore scores the share of non-constant patches
 * (`zeroPredictorLoss`), the line a trained decoder must get under.
 *
 * The decoder is thrown away after pretraining. Its parameters live in the encoder's store under
 * `maskedPatchDecoder.*` so the optimizer sees them; the saved backbone leaves them out.
 */
import {
  type AmuseModel,
  Scope,
  type StreamName,
  type StreamOutput,
} from '@sparsify/amuse-encoder';
import * as tf from '@tensorflow/tfjs';

export const MASKED_PATCH_DECODER = 'maskedPatchDecoder';
/** Added to a target patch's variance before normalising (MAE's). */
const TARGET_EPSILON = 1e-6;
const STREAMS: readonly StreamName[] = ['video', 'audio'];

interface StreamDecoder {
  /** [D] added to every masked position's query. */
  maskToken: tf.Variable;
  query: tf.Variable;
  key: tf.Variable;
  value: tf.Variable;
  out: tf.Variable;
  normGain: tf.Variable;
  normBias: tf.Variable;
  hidden: tf.Variable;
  hiddenBias: tf.Variable;
  predict: tf.Variable;
  predictBias: tf.Variable;
}

/** One stream's loss and the loss of predicting 0 for every masked patch (both means). */
export interface MaskedPatchLoss {
  loss: tf.Scalar;
  zeroPredictorLoss: tf.Scalar;
}

/**
 * Per sample, the token positions the masker dropped (ascending), from the ones it kept. Every
 * sample must have dropped as many: the decoder batches them.
 */
export function maskedPositions(keepIndices: readonly Int32Array[], tokens: number): Int32Array[] {
  const masked = keepIndices.map((keep) => {
    const kept = new Uint8Array(tokens);
    for (const n of keep) {
      if (n < 0 || n >= tokens) throw new Error(`kept position ${n} is outside 0..${tokens - 1}`);
      kept[n] = 1;
    }
    const out: number[] = [];
    for (let n = 0; n < tokens; n++) if (kept[n] === 0) out.push(n);
    return Int32Array.from(out);
  });
  const count = masked[0]?.length ?? 0;
  if (masked.some((m) => m.length !== count)) {
    throw new Error(
      `the masker dropped ${masked.map((m) => m.length).join(', ')} tokens in the batch's samples: the decoder needs one count (mask mode random or time)`,
    );
  }
  if (count === 0) throw new Error('the masker dropped no token: nothing to reconstruct');
  return masked;
}

export class MaskedPatchDecoder {
  private readonly streams: Record<StreamName, StreamDecoder>;

  constructor(private readonly encoder: AmuseModel) {
    const width = encoder.config.width;
    const hiddenWidth = 2 * width;
    const root = new Scope(encoder.store, MASKED_PATCH_DECODER);
    const glorot = (fanIn: number, fanOut: number) => ({
      kind: 'normal' as const,
      std: Math.sqrt(2 / (fanIn + fanOut)),
    });
    const make = (stream: StreamName): StreamDecoder => {
      const scope = root.child(stream);
      const patchValues = encoder[stream].geometry.patchValues;
      return {
        maskToken: scope.param('maskToken', [width], { kind: 'normal', std: 0.02 }),
        query: scope.param('query', [width, width], glorot(width, width)),
        key: scope.param('key', [width, width], glorot(width, width)),
        value: scope.param('value', [width, width], glorot(width, width)),
        out: scope.param('out', [width, width], glorot(width, width)),
        normGain: scope.param('norm.weight', [width], { kind: 'ones' }),
        normBias: scope.param('norm.bias', [width], { kind: 'zeros' }),
        hidden: scope.param('hidden.weight', [width, hiddenWidth], glorot(width, hiddenWidth)),
        hiddenBias: scope.param('hidden.bias', [hiddenWidth], { kind: 'zeros' }),
        predict: scope.param('predict.weight', [hiddenWidth, patchValues], {
          kind: 'normal',
          std: Math.sqrt(2 / (hiddenWidth + patchValues)),
        }),
        predictBias: scope.param('predict.bias', [patchValues], { kind: 'zeros' }),
      };
    };
    this.streams = { video: make('video'), audio: make('audio') };
  }

  /**
   * The mean over both streams of the squared error on masked patches. `visible`: each stream's
   * final tokens as a masked `forward` returned them (`returnStreams`); `patches`: the same
   * batch's `inputPatches`.
   */
  loss(
    visible: Record<StreamName, StreamOutput>,
    patches: Record<StreamName, tf.Tensor3D>,
  ): MaskedPatchLoss {
    const parts = STREAMS.map((stream) =>
      this.streamLoss(stream, visible[stream], patches[stream]),
    );
    const mean = (pick: (p: MaskedPatchLoss) => tf.Scalar) =>
      tf.div(tf.addN(parts.map(pick)), parts.length) as tf.Scalar;
    return { loss: mean((p) => p.loss), zeroPredictorLoss: mean((p) => p.zeroPredictorLoss) };
  }

  private streamLoss(
    stream: StreamName,
    visible: StreamOutput,
    patches: tf.Tensor3D,
  ): MaskedPatchLoss {
    const d = this.streams[stream];
    const [batch, tokens, patchValues] = patches.shape;
    if (visible.keepIndices === null) {
      throw new Error(`the ${stream} stream was not masked: masked-patch loss needs a masker`);
    }
    if (visible.padMask !== null) {
      throw new Error(`the ${stream} stream was merged: masked-patch pretraining runs no reducer`);
    }
    const masked = maskedPositions(visible.keepIndices, tokens);
    const count = masked[0]?.length as number;
    const width = visible.tokens.shape[2];
    const kept = visible.tokens.shape[1];
    const local = new Int32Array(batch * count);
    const flat = new Int32Array(batch * count);
    for (const [b, positions] of masked.entries()) {
      local.set(positions, b * count);
      for (const [k, n] of positions.entries()) flat[b * count + k] = b * tokens + n;
    }

    // Targets: the masked patches, each normalised by its own mean and variance (no gradient).
    const rows = tf.gather(tf.reshape(patches, [batch * tokens, patchValues]), flat);
    const { mean, variance } = tf.moments(rows, -1, true);
    const target = tf.div(tf.sub(rows, mean), tf.sqrt(tf.add(variance, TARGET_EPSILON)));

    // Queries: mask token + the position's embedding; keys and values: the visible tokens.
    const positions = this.encoder[stream].positions();
    const query = tf.add(tf.gather(positions, local), d.maskToken) as tf.Tensor2D;
    const visibleRows = tf.reshape(visible.tokens, [batch * kept, width]) as tf.Tensor2D;
    const q = tf.reshape(tf.matMul(query, d.query as tf.Tensor2D), [batch, count, width]);
    const k = tf.reshape(tf.matMul(visibleRows, d.key as tf.Tensor2D), [batch, kept, width]);
    const v = tf.reshape(tf.matMul(visibleRows, d.value as tf.Tensor2D), [batch, kept, width]);
    const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(width));
    const read = tf.reshape(tf.matMul(tf.softmax(scores), v), [batch * count, width]);
    const h = tf.add(query, tf.matMul(read as tf.Tensor2D, d.out as tf.Tensor2D)) as tf.Tensor2D;
    const moments = tf.moments(h, -1, true);
    const normed = tf.add(
      tf.mul(tf.div(tf.sub(h, moments.mean), tf.sqrt(tf.add(moments.variance, 1e-5))), d.normGain),
      d.normBias,
    ) as tf.Tensor2D;
    const hidden = tf.relu(tf.add(tf.matMul(normed, d.hidden as tf.Tensor2D), d.hiddenBias));
    const predicted = tf.add(
      tf.matMul(hidden as tf.Tensor2D, d.predict as tf.Tensor2D),
      d.predictBias,
    );
    return {
      loss: tf.mean(tf.squaredDifference(predicted, target)) as tf.Scalar,
      zeroPredictorLoss: tf.mean(tf.square(target)) as tf.Scalar,
    };
  }
}
