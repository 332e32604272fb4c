import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAmuseModel, type TokenReducer } from '../src/index.js';
import { TEST_MODEL } from './config.js';
import {
  AveragePairs,
  DuplicateFirst,
  KeepFirstHalf,
  KeepLastHalf,
  MergeFirstTwo,
  NeverMask,
} from './doubles.js';
import { BACKENDS, disposeBatch, randomBatch, useBackend } from './fixtures.js';

// TEST_MODEL: width 32, 2 heads, 12 tokens per stream (3 steps x 4), question length 14.
describe.each(BACKENDS)('hooks on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('the masker sees both streams with layouts and really shortens them', () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    const masker = new KeepFirstHalf();
    const reducer = new AveragePairs();
    const { logits, diagnostics } = model.forward(batch, {
      training: true,
      masker,
      reducer,
      ctx: { epoch: 1, step: 7 },
    });
    expect(masker.calls).toHaveLength(1);
    const call = masker.calls[0]!;
    expect(call.shapes).toEqual({ video: [2, 12, 32], audio: [2, 12, 32] });
    expect(call.layouts.video).toEqual({ stream: 'video', timeSteps: 3, tokensPerStep: 4 });
    expect(call.layouts.audio).toEqual({
      stream: 'audio',
      timeSteps: 3,
      tokensPerStep: 4,
      frequencyBands: 2,
    });
    expect(call.ctx).toEqual({ training: true, epoch: 1, step: 7 });
    // the reducer after block 0 receives the masked (6-token) streams
    expect(reducer.calls.map((c) => c.input.tokens)).toEqual([
      [2, 6, 32],
      [2, 6, 32],
    ]);
    expect(diagnostics).toMatchObject({
      masked: true,
      reduced: true,
      video: { inputTokens: 12, maskedTokens: 6, keptTokens: [3, 3] },
      audio: { inputTokens: 12, maskedTokens: 6, keptTokens: [3, 3] },
    });
    expect(logits.shape).toEqual([2, 42]);
    tf.dispose(logits);
    disposeBatch(batch);
    model.dispose();
  });

  it("the reducer gets each token's time step, through the masker's kept positions", () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    // 12 tokens a stream, 4 a time step
    const whole = new AveragePairs();
    tf.dispose(model.forward(batch, { training: false, reducer: whole }).logits);
    const sample = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
    expect(whole.calls.map((c) => c.timeSteps)).toEqual([
      [...sample, ...sample],
      [...sample, ...sample],
    ]);
    // kept positions 6..11 are steps 1, 1, 2, 2, 2, 2 (their indices 0..5 would say 0 and 1)
    const masked = new AveragePairs();
    const forward = model.forward(batch, {
      training: true,
      masker: new KeepLastHalf(),
      reducer: masked,
    });
    tf.dispose(forward.logits);
    expect(masked.calls[0]!.timeSteps).toEqual([1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 2, 2]);
    disposeBatch(batch);
    model.dispose();
  });

  it('a masker returning null leaves the streams whole', () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    const plain = model.forward(batch, { training: false });
    const unmasked = model.forward(batch, { training: true, masker: new NeverMask() });
    expect(unmasked.diagnostics.masked).toBe(false);
    expect(unmasked.diagnostics.video.maskedTokens).toBe(12);
    expect(Array.from(unmasked.logits.dataSync())).toEqual(Array.from(plain.logits.dataSync()));
    tf.dispose([plain.logits, unmasked.logits]);
    disposeBatch(batch);
    model.dispose();
  });

  it('after a question block the reducer gets keys and the question attention [B, H, 14, N]', () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    const reducer = new AveragePairs();
    const { logits } = model.forward(batch, { training: false, reducer });
    expect(reducer.calls.map((c) => c.stream)).toEqual(['video', 'audio']);
    for (const call of reducer.calls) {
      expect(call.input).toEqual({
        tokens: [2, 12, 32],
        keys: [2, 12, 32],
        attention: [2, 2, 14, 12],
        queryPadMask: [2, 14],
        sizes: null,
        padMask: null,
      });
      for (const sum of call.attentionRowSums) expect(sum).toBeCloseTo(1, 4);
      expect(call.ctx.training).toBe(false);
    }
    tf.dispose(logits);
    disposeBatch(batch);
    model.dispose();
  });

  it('after an audio-visual block the attention comes from the other stream', () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    const masker = new KeepFirstHalf();
    // a first reducer merges after block 0 would need two hooks; here: reduce after block 1
    const reducer = new AveragePairs();
    const { logits, diagnostics } = model.forward(batch, {
      training: true,
      masker,
      reducer,
      reduceAfterBlock: 1,
    });
    expect(reducer.calls[0]!.input).toMatchObject({ tokens: [2, 6, 32], attention: [2, 2, 6, 6] });
    expect(reducer.calls[0]!.input.queryPadMask).toBeNull();
    expect(diagnostics.audio.keptTokens).toEqual([3, 3]);
    tf.dispose(logits);
    disposeBatch(batch);
    model.dispose();
  });

  // Proportional attention + size-weighted pooling: a token of size 2 must act exactly as two
  // identical tokens of size 1, and padding slots must not matter whatever they hold.
  it.each([
    ['question block', 0],
    ['audio-visual block', 1],
  ])('after a %s, size 2 equals a duplicated token and padding is ignored', (_, block) => {
    const model = createAmuseModel(TEST_MODEL);
    // open the adapter gates (0 at init) so the adapters' attention over reduced tokens counts
    for (const [name, variable] of model.parameters()) {
      if (name.endsWith('.gate')) variable.assign(tf.fill([1], 0.7));
    }
    const batch = randomBatch(model.config.inputs, 2);
    const run = (reducer: TokenReducer) => {
      const { logits } = model.forward(batch, {
        training: false,
        reducer,
        reduceAfterBlock: block,
      });
      const values = Array.from(logits.dataSync());
      logits.dispose();
      return values;
    };
    const duplicated = run(new DuplicateFirst());
    const merged = run(new MergeFirstTwo());
    const padded = run(new MergeFirstTwo(1, 1e3));
    const paddedOther = run(new MergeFirstTwo(1, -7));
    for (let i = 0; i < duplicated.length; i++) {
      expect(merged[i]).toBeCloseTo(duplicated[i]!, 4);
      expect(padded[i]).toBeCloseTo(duplicated[i]!, 4);
      expect(paddedOther[i]).toBeCloseTo(duplicated[i]!, 4);
    }
    disposeBatch(batch);
    model.dispose();
  });

  it("the diagnostics count each sample's real tokens, not its padding slots", () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    // keeps all 12 tokens, the last 1 (sample 0) and 3 (sample 1) of them marked padding
    const padTail: TokenReducer = {
      reduceTokens: ({ tokens }) => {
        const [b, n] = tokens.shape;
        const mask = new Float32Array(b * n);
        mask.fill(1, n - 1, n);
        mask.fill(1, 2 * n - 3, 2 * n);
        const padMask = tf.tensor2d(mask, [b, n]);
        return { tokens: tf.clone(tokens), sizes: tf.sub(1, padMask), padMask };
      },
    };
    const { logits, diagnostics } = model.forward(batch, { training: false, reducer: padTail });
    expect(diagnostics.video.keptTokens).toEqual([11, 9]);
    expect(diagnostics.audio.keptTokens).toEqual([11, 9]);
    logits.dispose();
    disposeBatch(batch);
    model.dispose();
  });

  it('returns the tokens that entered the reducer, through the final LayerNorm, when asked', () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    // A reducer that keeps every token, after the last block: what entered it is what the
    // heads see, so the two outputs must agree exactly.
    const keepAll: TokenReducer = {
      reduceTokens: ({ tokens }) => {
        const [b, n] = tokens.shape;
        return { tokens: tf.clone(tokens), sizes: tf.ones([b, n]), padMask: tf.zeros([b, n]) };
      },
    };
    const last = model.forward(batch, {
      training: false,
      reducer: keepAll,
      reduceAfterBlock: 2,
      returnStreams: true,
      returnStreamsBeforeReducer: true,
    });
    for (const stream of ['video', 'audio'] as const) {
      const before = last.streamsBeforeReducer![stream];
      expect(before.tokens.shape).toEqual([2, 12, 32]);
      expect(before.padMask).toBeNull();
      expect(Array.from(before.tokens.dataSync())).toEqual(
        Array.from(last.streams![stream].tokens.dataSync()),
      );
    }

    // Masked, then merged after block 0: the masked sequences, with the masker's positions.
    const merged = model.forward(batch, {
      training: true,
      masker: new KeepFirstHalf(),
      reducer: new AveragePairs(),
      returnStreams: true,
      returnStreamsBeforeReducer: true,
    });
    for (const stream of ['video', 'audio'] as const) {
      const before = merged.streamsBeforeReducer![stream];
      expect(before.tokens.shape).toEqual([2, 6, 32]);
      expect(merged.streams![stream].tokens.shape).toEqual([2, 3, 32]);
      expect(before.keepIndices).toEqual(merged.streams![stream].keepIndices);
      expect(before.keepIndices).not.toBeNull();
    }

    // Not asked, or no reducer on this pass: nothing extra.
    const plain = model.forward(batch, { training: false, reducer: new AveragePairs() });
    const none = model.forward(batch, { training: false, returnStreamsBeforeReducer: true });
    expect(plain.streamsBeforeReducer).toBeUndefined();
    expect(none.streamsBeforeReducer).toBeUndefined();
    tf.dispose([last, merged, plain, none].map((r) => r.logits));
    disposeBatch(batch);
    model.dispose();
  });

  it('a loss on the tokens before the reducer trains the blocks before it', () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    const first = model.parameters().get('backbone.blocks.0.attn.qkv.weight')!;
    const norm = model.parameters().get('backbone.norm.weight')!;
    const { grads, value } = tf.variableGrads(() => {
      const { streamsBeforeReducer, logits } = model.forward(batch, {
        training: true,
        reducer: new AveragePairs(),
        returnStreamsBeforeReducer: true,
      });
      logits.dispose();
      const { video, audio } = streamsBeforeReducer!;
      return tf.add(tf.sum(tf.square(video.tokens)), tf.mean(audio.tokens)) as tf.Scalar;
    }, [first, norm]);
    for (const variable of [first, norm]) {
      expect(tf.max(tf.abs(grads[variable.name]!)).dataSync()[0]).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    disposeBatch(batch);
    model.dispose();
  });

  it('rejects a reducer that returns mismatched shapes, naming the field', () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 2);
    const broken: TokenReducer = {
      reduceTokens: (input) => ({
        tokens: input.tokens,
        sizes: tf.ones([2, 5]),
        padMask: tf.zeros([2, 12]),
      }),
    };
    expect(() => model.forward(batch, { training: false, reducer: broken })).toThrow(
      /reducer\.reduceTokens\(video\): sizes has shape \[2, 5\], expected \[2, 12\]/,
    );
    disposeBatch(batch);
    model.dispose();
  });
});
