import { beforeAll, describe, expect, it } from 'vitest';
import {
  attentionBias,
  createIqrTokenReducer,
  type IqrReducedTokens,
  type IqrTokenReducer,
  PADDING_BIAS,
  type ReducerInput,
} from '../src/index.js';
import {
  BACKENDS,
  expectAllClose,
  HAND_EXAMPLE,
  numericalGradient,
  tf,
  useBackend,
} from './fixtures.js';

const ctx = { training: true, epoch: 0, step: 0 };

/** A [B, N, D] batch whose attention is peaked on a few tokens per sample. */
function peakedBatch(batchSize: number, tokenCount: number, seed: number): ReducerInput {
  const tensors = tf.tidy(() => {
    const logits = tf.randomNormal([batchSize, 2, 3, tokenCount], 0, 0.3, 'float32', seed);
    const draw = tf.randomUniform([batchSize, 1, 1, tokenCount], 0, 1, 'float32', seed + 1);
    const salient = tf.mul(tf.cast(tf.greater(draw, 0.85), 'float32'), 4);
    const queryPadding = Array.from({ length: batchSize * 3 }, (_, i) => (i % 3 === 2 ? 1 : 0));
    return {
      tokens: tf.randomNormal([batchSize, tokenCount, 4], 0, 1, 'float32', seed + 2) as tf.Tensor3D,
      keys: tf.randomNormal([batchSize, tokenCount, 6], 0, 1, 'float32', seed + 3) as tf.Tensor3D,
      attention: tf.softmax(tf.add(logits, salient)) as tf.Tensor4D,
      queryPadMask: tf.tensor2d(queryPadding, [batchSize, 3]),
    };
  });
  return { stream: 'video', ...tensors, sizes: null, padMask: null };
}

function disposeInput(input: ReducerInput) {
  const { tokens, keys, attention, queryPadMask, sizes, padMask } = input;
  tf.dispose([tokens, keys, attention, queryPadMask, sizes, padMask].filter((t) => t !== null));
}

/** Reduces an input made for this call and disposes it. */
function reduceOnce(reducer: IqrTokenReducer, input: ReducerInput): IqrReducedTokens {
  const result = reducer.reduceTokens(input, ctx);
  disposeInput(input);
  return result;
}

describe.each(BACKENDS)('createIqrTokenReducer on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('reduces the hand example through the contract', () => {
    const { input, options, features } = HAND_EXAMPLE;
    const reducer = createIqrTokenReducer(options);
    const result = reduceOnce(reducer, {
      stream: 'audio',
      tokens: tf.tensor3d(features, [1, 6, 1]),
      keys: tf.tensor3d(input.keys, [1, 6, 2]),
      attention: tf.tensor4d(
        input.scores.map((s) => s / 2.1),
        [1, 1, 1, 6],
      ),
      queryPadMask: null,
      sizes: tf.tensor2d(input.sizes, [1, 6]),
      padMask: null,
    });
    expectAllClose(result.tokens.dataSync(), HAND_EXAMPLE.merged, 5);
    expect([...result.sizes.dataSync()]).toEqual(HAND_EXAMPLE.sizes);
    expect([...result.padMask.dataSync()]).toEqual([0, 0]);
    expect(result.plan.sources[0]!.map((s) => [...s])).toEqual(HAND_EXAMPLE.sources);
    tf.dispose([result.tokens, result.sizes, result.padMask]);
  });

  it('shortens the sequence, pads to the longest sample and carries sizes through a second merge', () => {
    const reducer = createIqrTokenReducer({ iqrMultiplier: 0 });
    const first = peakedBatch(3, 24, 11);
    const once = reducer.reduceTokens(first, ctx);
    const [batch, kept] = once.sizes.shape;
    expect(kept).toBeLessThan(24);
    expect([...once.plan.keptCounts].some((count) => count === kept)).toBe(true);
    const second: ReducerInput = {
      ...first,
      tokens: once.tokens,
      keys: tf.randomNormal([batch, kept, 6], 0, 1, 'float32', 5) as tf.Tensor3D,
      attention: tf.softmax(
        tf.randomNormal([batch, 2, 3, kept], 0, 1, 'float32', 6),
      ) as tf.Tensor4D,
      sizes: once.sizes,
      padMask: once.padMask,
    };
    const twice = reducer.reduceTokens(second, ctx);
    const sizes = twice.sizes.dataSync();
    const padMask = twice.padMask.dataSync();
    const outputs = twice.sizes.shape[1];
    const onceSizes = once.sizes.dataSync();
    for (let b = 0; b < batch; b++) {
      // The encoder merges once per forward pass, so the reducer does not compose source
      // maps across calls: sources name this call's input positions, sizes still add up.
      const real = once.plan.keptCounts[b]!;
      const held = twice.plan.sources[b]!.flatMap((source) => [...source]).sort((x, y) => x - y);
      expect(held).toEqual(Array.from({ length: real }, (_, n) => n));
      for (const [m, source] of twice.plan.sources[b]!.entries()) {
        const carried = [...source].reduce((sum, n) => sum + onceSizes[b * kept + n]!, 0);
        expect(sizes[b * outputs + m]).toBe(carried);
      }
      expect([...sizes.slice(b * outputs, (b + 1) * outputs)].reduce((x, y) => x + y, 0)).toBe(24);
      for (let m = 0; m < outputs; m++) {
        expect(padMask[b * outputs + m]).toBe(m < twice.plan.keptCounts[b]! ? 0 : 1);
      }
    }
    expect(reducer.lastPlan('video')).toBe(twice.plan);
    disposeInput(first);
    tf.dispose([second.keys, second.attention, once.tokens, once.sizes, once.padMask]);
    tf.dispose([twice.tokens, twice.sizes, twice.padMask]);
  });

  it('handles a batch of one with N = 2 and all-equal attention', () => {
    const reducer = createIqrTokenReducer();
    const result = reduceOnce(reducer, {
      stream: 'audio',
      tokens: tf.tensor3d([1, 2, 3, 6], [1, 2, 2]),
      keys: tf.tensor3d([1, 0, 0, 1], [1, 2, 2]),
      attention: tf.fill([1, 1, 1, 2], 0.5) as tf.Tensor4D,
      queryPadMask: null,
      sizes: null,
      padMask: null,
    });
    // nothing lies above the fence: minKeep = 1 keeps token 0, which absorbs token 1
    expect(result.tokens.shape).toEqual([1, 1, 2]);
    expect([...result.tokens.dataSync()]).toEqual([2, 4]);
    expect([...result.sizes.dataSync()]).toEqual([2]);
    tf.dispose([result.tokens, result.sizes, result.padMask]);
  });

  it('is differentiable with respect to the tokens', () => {
    const reducer = createIqrTokenReducer({ iqrMultiplier: 0, similarity: 'cosine' });
    const input = peakedBatch(2, 10, 21);
    const weights = tf.randomNormal([2, 10, 4], 0, 1, 'float32', 3);
    const loss = (tokens: tf.Tensor) => {
      const reduced = reducer.reduceTokens(
        { ...input, tokens: tf.mul(tokens, weights) as tf.Tensor3D },
        ctx,
      );
      return tf.sum(tf.square(reduced.tokens)) as tf.Scalar;
    };
    const at = input.tokens.dataSync() as Float32Array;
    const analytic = tf.tidy(() => tf.grad(loss)(input.tokens).dataSync());
    const numerical = numericalGradient(
      (values) => tf.tidy(() => loss(tf.tensor3d(values, [2, 10, 4])).dataSync()[0]!),
      at,
      1e-2,
    );
    expectAllClose(analytic, numerical, 1);
    expect(analytic.some((value) => value !== 0)).toBe(true);
    disposeInput(input);
    weights.dispose();
  });

  it('leaks no tensors over repeated training steps', () => {
    const reducer = createIqrTokenReducer({ minKeep: 0.2 });
    const input = peakedBatch(2, 16, 31);
    const step = () =>
      tf
        .tidy(() =>
          tf.grad((tokens: tf.Tensor) => {
            const reduced = reducer.reduceTokens({ ...input, tokens: tokens as tf.Tensor3D }, ctx);
            return tf.sum(
              tf.mul(reduced.tokens, tf.sum(attentionBias(reduced.sizes, reduced.padMask))),
            );
          })(input.tokens),
        )
        .dispose();
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    disposeInput(input);
  });

  it('merges only within a time step for the streams of sameTimeStep', () => {
    const reducer = createIqrTokenReducer({ sameTimeStep: ['audio'] });
    // two samples of 12 tokens in 4 time steps of 3
    const timeSteps = Int32Array.from({ length: 24 }, (_, i) => Math.floor((i % 12) / 3));
    const audio = reduceOnce(reducer, { ...peakedBatch(2, 12, 7), stream: 'audio', timeSteps });
    for (const [b, outputs] of audio.plan.sources.entries()) {
      const steps = outputs.map(
        (members) => new Set(Array.from(members, (i) => timeSteps[b * 12 + i])),
      );
      expect(steps.every((held) => held.size === 1)).toBe(true);
      expect(new Set(steps.map((held) => [...held][0]))).toEqual(new Set([0, 1, 2, 3]));
    }
    tf.dispose([audio.tokens, audio.sizes, audio.padMask]);
    // the video stream is not listed: the same rule merges across steps
    const video = reduceOnce(reducer, { ...peakedBatch(2, 12, 7), timeSteps });
    const plain = reduceOnce(createIqrTokenReducer(), peakedBatch(2, 12, 7));
    expect([...video.plan.destination]).toEqual([...plain.plan.destination]);
    tf.dispose([
      video.tokens,
      video.sizes,
      video.padMask,
      plain.tokens,
      plain.sizes,
      plain.padMask,
    ]);
  });

  it('says when sameTimeStep has no time steps to read, or a bad stream', () => {
    const reducer = createIqrTokenReducer({ sameTimeStep: ['video'] });
    const input = peakedBatch(1, 6, 41);
    expect(() => reducer.reduceTokens(input, ctx)).toThrow(
      /reduceTokens\(video\): the option sameTimeStep needs the input's timeSteps/,
    );
    expect(() => reducer.reduceTokens({ ...input, timeSteps: new Int32Array(5) }, ctx)).toThrow(
      /timeSteps has 5 values, expected B \* N = 6/,
    );
    disposeInput(input);
    expect(() => createIqrTokenReducer({ sameTimeStep: ['text' as 'audio'] })).toThrow(
      /sameTimeStep must list 'video' and\/or 'audio'/,
    );
  });

  it('rejects bad options and shapes with the argument named', () => {
    expect(() => createIqrTokenReducer({ minKeep: 0 })).toThrow(/minKeep/);
    expect(() => createIqrTokenReducer({ minKeep: 8, maxKeep: 4 })).toThrow(
      /minKeep \(8\) exceeds maxKeep \(4\)/,
    );
    expect(() => createIqrTokenReducer({ iqrMultiplier: Number.NaN })).toThrow(/iqrMultiplier/);
    const input = peakedBatch(1, 6, 41);
    const keys = tf.zeros([1, 5, 6]) as tf.Tensor3D;
    expect(() => createIqrTokenReducer().reduceTokens({ ...input, keys }, ctx)).toThrow(
      /keys must be \[1, 6, Dk\]/,
    );
    disposeInput(input);
    keys.dispose();
  });
});

describe.each(BACKENDS)('attentionBias on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('is log(size) on real tokens and a large negative number on padding', () => {
    const bias = tf.tidy(() =>
      attentionBias(
        tf.tensor2d([1, 4, 0, 2, 0, 0], [2, 3]),
        tf.tensor2d([0, 0, 1, 0, 1, 1], [2, 3]),
      ),
    );
    expect(bias.shape).toEqual([2, 1, 1, 3]);
    const values = bias.dataSync();
    expectAllClose(values, [0, Math.log(4), PADDING_BIAS, Math.log(2), PADDING_BIAS, PADDING_BIAS]);
    bias.dispose();
  });

  it('makes softmax attention proportional to sizes and blind to padding', () => {
    const weights = tf.tidy(() => {
      const bias = attentionBias(tf.tensor2d([1, 3, 0], [1, 3]), tf.tensor2d([0, 0, 1], [1, 3]));
      return tf.softmax(tf.add(tf.zeros([1, 1, 1, 3]), bias)).dataSync();
    });
    expectAllClose(weights, [0.25, 0.75, 0], 6);
  });
});
