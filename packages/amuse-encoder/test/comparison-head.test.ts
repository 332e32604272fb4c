import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fusion } from '../src/fusion.js';
import { createAmuseModel, resolveConfig } from '../src/index.js';
import { ParameterStore, Scope } from '../src/module.js';
import { BACKENDS, useBackend } from './fixtures.js';

const WIDTH = 16;
const ANSWERS = 5;

function fusion(comparisonHead: boolean, seed = 7): Fusion {
  return new Fusion(
    new Scope(new ParameterStore(seed), 'fusion'),
    WIDTH,
    ANSWERS,
    false,
    comparisonHead,
  );
}

function streams(batch: number, seed: number) {
  const make = (s: number) => tf.randomNormal([batch, 3, WIDTH], 0, 1, 'float32', s) as tf.Tensor3D;
  return {
    video: { tokens: make(seed), weights: null },
    audio: { tokens: make(seed + 1), weights: null },
  };
}

describe.each(BACKENDS)('comparisonHead on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => tf.disposeVariables());

  it("starts as AMUSE's fusion: the same logits from the same seed, also for a batch of one", () => {
    for (const batch of [2, 1]) {
      const { video, audio } = streams(batch, 1);
      const q = tf.randomNormal([batch, WIDTH], 0, 1, 'float32', 3) as tf.Tensor2D;
      const amuse = fusion(false).apply(video, audio, q);
      const compared = fusion(true).apply(video, audio, q);
      expect(compared.shape).toEqual([batch, ANSWERS]);
      expect(compared.arraySync()).toEqual(amuse.arraySync());
    }
  });

  it('V gets a gradient at the first step; A and C once V is not zero', () => {
    const { video, audio } = streams(2, 4);
    const head = fusion(true);
    const q = tf.randomNormal([2, WIDTH], 0, 1, 'float32', 5) as tf.Tensor2D;
    const { question, audio: c } = head.comparison!;
    const loss = () => tf.sum(tf.square(head.apply(video, audio, q))) as tf.Scalar;
    const first = tf.variableGrads(loss, [head.comparison!.out, question.weight, c.weight]).grads;
    expect(tf.max(tf.abs(first[head.comparison!.out.name]!)).dataSync()[0]).toBeGreaterThan(0);
    // Zero V: the product's factors get exactly no gradient yet (documented, as LoRA's B).
    expect(tf.max(tf.abs(first[question.weight.name]!)).dataSync()[0]).toBe(0);
    head.comparison!.out.assign(tf.randomNormal([WIDTH, ANSWERS], 0, 0.1, 'float32', 6));
    const later = tf.variableGrads(loss, [question.weight, c.weight]).grads;
    expect(tf.max(tf.abs(later[question.weight.name]!)).dataSync()[0]).toBeGreaterThan(0);
    expect(tf.max(tf.abs(later[c.weight.name]!)).dataSync()[0]).toBeGreaterThan(0);
  });
});

describe('what the product can answer that the gates cannot', () => {
  beforeAll(() => useBackend('cpu'));
  afterAll(() => tf.disposeVariables());

  /**
   * "Is the first named louder than the second?": the question is +e0 or -e0 (which operand
   * is named first), the audio's channel 0 is the level difference; the answer (0 = yes,
   * 1 = no) is whether their product is positive. AMUSE's gates scale channel 0 by a number
   * in (0, 1), never by -1, so its MLP sees s0 or about 0 and cannot flip the sign.
   */
  function accuracyAfterTraining(comparisonHead: boolean): number {
    const n = 64;
    const q = tf.tidy(() => {
      const sign = tf.sub(
        tf.mul(
          tf.cast(tf.greater(tf.randomUniform([n, 1], 0, 1, 'float32', 11), 0.5), 'float32'),
          2,
        ),
        1,
      );
      return tf.mul(
        tf.oneHot(tf.zeros([n], 'int32'), WIDTH).asType('float32'),
        sign,
      ) as tf.Tensor2D;
    });
    const level = tf.randomNormal([n, 1], 0, 1, 'float32', 12);
    const audioTokens = tf.tidy(() =>
      tf.tile(
        tf.reshape(tf.mul(tf.oneHot(tf.zeros([n], 'int32'), WIDTH).asType('float32'), level), [
          n,
          1,
          WIDTH,
        ]),
        [1, 3, 1],
      ),
    ) as tf.Tensor3D;
    const videoTokens = tf.zeros([n, 3, WIDTH]) as tf.Tensor3D;
    const yes = tf.tidy(() =>
      tf.cast(
        tf.less(
          tf.sum(
            tf.mul(
              q,
              tf.pad(level, [
                [0, 0],
                [0, WIDTH - 1],
              ]),
            ),
            1,
          ),
          0,
        ),
        'int32',
      ),
    );
    const labels = tf.oneHot(yes as tf.Tensor1D, ANSWERS);
    const head = fusion(comparisonHead, 13);
    const optimizer = tf.train.adam(0.03);
    const forward = () =>
      head.apply({ tokens: videoTokens, weights: null }, { tokens: audioTokens, weights: null }, q);
    for (let step = 0; step < 150; step++) {
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward()) as tf.Scalar);
    }
    const right = tf.tidy(
      () => tf.mean(tf.cast(tf.equal(tf.argMax(forward(), 1), yes), 'float32')).dataSync()[0]!,
    );
    tf.dispose([q, level, audioTokens, videoTokens, yes, labels]);
    optimizer.dispose();
    return right;
  }

  it('a trained comparison head answers the signed comparison; the gated fusion does not', () => {
    const withProduct = accuracyAfterTraining(true);
    const gatesOnly = accuracyAfterTraining(false);
    expect(withProduct).toBeGreaterThan(0.95);
    expect(gatesOnly).toBeLessThan(withProduct - 0.1);
  });
});

describe('comparisonHead in the config', () => {
  it('defaults to off in every preset: an AMUSE model keeps its parameter names', () => {
    for (const preset of ['tiny', 'small', 'base'] as const) {
      expect(resolveConfig({ preset }).comparisonHead).toBe(false);
    }
    const amuse = createAmuseModel({ preset: 'tiny' });
    expect([...amuse.parameters().keys()].some((name) => name.includes('comparison'))).toBe(false);
    amuse.dispose();
    const model = createAmuseModel({ preset: 'tiny', comparisonHead: true });
    expect(model.parameters().get('fusion.comparison.out')?.shape).toEqual([64, 42]);
    expect(model.parameters().get('fusion.comparison.question.weight')?.shape).toEqual([64, 64]);
    expect(model.config.preset).toBe('custom');
    model.dispose();
  });

  it('rejects a value that is not true or false, naming the field', () => {
    expect(() => resolveConfig({ comparisonHead: 1 as never })).toThrow(
      /config\.comparisonHead must be true or false, got 1/,
    );
  });
});
