import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AmuseModel,
  createAmuseModel,
  type ForwardOptions,
  type HookContext,
  type InputMasker,
  type MaskedStream,
  type ReducedTokens,
  type ReducerInput,
  type StreamLayout,
  type TokenReducer,
} from '../src/index.js';
import { TEST_MODEL } from './config.js';
import { AveragePairs, KeepFirstHalf, MergeFirstTwo } from './doubles.js';
import { BACKENDS, disposeBatch, randomBatch, useBackend } from './fixtures.js';

/** Keeps the first `video` and `audio` tokens of each stream: unequal counts. */
class KeepFirst implements InputMasker {
  constructor(
    private readonly video: number,
    private readonly audio: number,
  ) {}

  maskInputs(
    streams: Record<'video' | 'audio', { tokens: tf.Tensor3D; layout: StreamLayout }>,
    _ctx: HookContext,
  ): Record<'video' | 'audio', MaskedStream> {
    const first = (tokens: tf.Tensor3D, keep: number): MaskedStream => {
      const [b, , d] = tokens.shape;
      return {
        tokens: tf.slice(tokens, [0, 0, 0], [b, keep, d]),
        keepIndices: tf.tile(tf.reshape(tf.range(0, keep, 1, 'int32'), [1, keep]), [
          b,
          1,
        ]) as tf.Tensor2D,
      };
    };
    return {
      video: first(streams.video.tokens, this.video),
      audio: first(streams.audio.tokens, this.audio),
    };
  }
}

/**
 * A reducer that leaves the streams with different token counts, as the IQR rule does: video
 * merges its first two tokens, audio too and appends padding slots filled with `fill`.
 */
class UnequalCounts implements TokenReducer {
  constructor(
    private readonly audioPadding: number,
    private readonly fill = 3,
  ) {}

  reduceTokens(input: ReducerInput): ReducedTokens {
    const padding = input.stream === 'audio' ? this.audioPadding : 0;
    return new MergeFirstTwo(padding, this.fill).reduceTokens(input);
  }
}

/** Keeps every token and records the importance attention each stream was handed. */
class RecordAttention implements TokenReducer {
  readonly attention: Record<string, Float32Array> = {};

  reduceTokens(input: ReducerInput): ReducedTokens {
    this.attention[input.stream] = input.attention.dataSync() as Float32Array;
    const [b, n] = input.tokens.shape;
    return { tokens: input.tokens, sizes: tf.ones([b, n]), padMask: tf.zeros([b, n]) };
  }
}

/** Loss (a fixed weighting of the logits), its gradient for every parameter, and the launches. */
function lossAndGrads(model: AmuseModel, options: () => ForwardOptions, joint: boolean) {
  model.jointBlocks = joint;
  const batch = randomBatch(model.config.inputs, 3);
  const variables = model.trainableVariables();
  let result: { value: number; grads: Float32Array[] } | undefined;
  tf.tidy(() => {
    const f = () => {
      const { logits } = model.forward(batch, options());
      const weights = tf.linspace(-1, 1, logits.size).reshape(logits.shape);
      return tf.sum(tf.mul(logits, weights)) as tf.Scalar;
    };
    const { value, grads } = tf.variableGrads(f, variables);
    result = {
      value: value.dataSync()[0]!,
      grads: variables.map((v) => grads[v.name]!.dataSync() as Float32Array),
    };
  });
  disposeBatch(batch);
  return result!;
}

function worstRelativeGap(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((values, i) => {
    let scale = 0;
    let gap = 0;
    for (let j = 0; j < values.length; j++) {
      scale = Math.max(scale, Math.abs(values[j]!));
      gap = Math.max(gap, Math.abs(values[j]! - b[i]![j]!));
    }
    if (scale > 0) worst = Math.max(worst, gap / scale);
  });
  return worst;
}

async function launches(model: AmuseModel, options: () => ForwardOptions, joint: boolean) {
  model.jointBlocks = joint;
  const batch = randomBatch(model.config.inputs, 3);
  const info = await tf.profile(() => {
    const { logits } = model.forward(batch, options());
    return logits;
  });
  disposeBatch(batch);
  return info.kernels.length;
}

// Joint blocks run the same arithmetic over a batch of 2B samples: the logits and every
// gradient agree with per-stream blocks up to float32 rounding (weight gradients sum both
// streams' rows in one product instead of two). Bound: 1e-5 of the loss, and 1e-5 of each
// gradient's largest magnitude.
const CASES: [string, () => ForwardOptions][] = [
  ['no hooks', () => ({ training: true })],
  [
    'masker and reducer after the question block',
    () => ({ training: true, masker: new KeepFirstHalf(), reducer: new AveragePairs() }),
  ],
  [
    'reducer after an audio-visual block',
    () => ({ training: true, reducer: new AveragePairs(), reduceAfterBlock: 1 }),
  ],
  [
    'unequal token counts (per-stream blocks until the reducer)',
    () => ({ training: true, masker: new KeepFirst(6, 8), reducer: new AveragePairs() }),
  ],
  [
    'reducer leaving unequal counts (padded to one count, joint after it)',
    () => ({ training: true, reducer: new UnequalCounts(1) }),
  ],
  [
    'masker, then a reducer leaving unequal counts',
    () => ({ training: true, masker: new KeepFirstHalf(), reducer: new UnequalCounts(1) }),
  ],
];

describe.each(BACKENDS)('joint backbone blocks on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(CASES)('%s: same loss and gradients as per-stream blocks', (_, options) => {
    const model = createAmuseModel(TEST_MODEL);
    // Open the adapter gates so every adapter's attention counts in the loss.
    for (const [name, variable] of model.parameters()) {
      if (name.endsWith('.gate')) variable.assign(tf.fill([1], 0.7));
    }
    const separate = lossAndGrads(model, options, false);
    const joint = lossAndGrads(model, options, true);
    expect(Math.abs(joint.value - separate.value)).toBeLessThanOrEqual(
      1e-5 * Math.max(1, Math.abs(separate.value)),
    );
    expect(worstRelativeGap(joint.grads, separate.grads)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it('hands the reducer the same importance attention as per-stream blocks', () => {
    const model = createAmuseModel(TEST_MODEL);
    const seen = (joint: boolean, reduceAfterBlock: number) => {
      model.jointBlocks = joint;
      const recorder = new RecordAttention();
      const batch = randomBatch(model.config.inputs, 3);
      tf.tidy(() => {
        model.forward(batch, { training: true, reducer: recorder, reduceAfterBlock });
      });
      disposeBatch(batch);
      return recorder.attention;
    };
    // block 0 attends to the question, block 1 to the other stream
    for (const block of [0, 1]) {
      const separate = seen(false, block);
      const joint = seen(true, block);
      expect(Object.keys(joint).sort()).toEqual(['audio', 'video']);
      for (const stream of ['video', 'audio']) {
        expect(worstRelativeGap([joint[stream]!], [separate[stream]!])).toBeLessThanOrEqual(1e-6);
      }
    }
    model.dispose();
  });

  it('launches fewer kernels when the streams match, the same when they never do', async () => {
    const model = createAmuseModel(TEST_MODEL);
    const plain = () => ({ training: true });
    expect(await launches(model, plain, true)).toBeLessThan(
      0.75 * (await launches(model, plain, false)),
    );
    // 12 video vs 9 audio tokens, no reducer: the streams never match.
    const unequal = () => ({ training: true, masker: new KeepFirst(12, 9) });
    expect(await launches(model, unequal, true)).toBe(await launches(model, unequal, false));
    // The reducer leaves 11 video and 12 audio tokens: the blocks after it run joint on 12.
    const reduced = () => ({ training: true, reducer: new UnequalCounts(1) });
    expect(await launches(model, reduced, true)).toBeLessThan(
      0.85 * (await launches(model, reduced, false)),
    );
    model.dispose();
  });
});
