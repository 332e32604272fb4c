import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fusion } from '../src/fusion.js';
import { createAmuseModel, resolveConfig } from '../src/index.js';
import { ParameterStore, Scope } from '../src/module.js';
import { BACKENDS, useBackend } from './fixtures.js';

const WIDTH = 16;
const ANSWERS = 5;

function fusion(questionInHead: boolean, seed = 7): Fusion {
  return new Fusion(new Scope(new ParameterStore(seed), 'fusion'), WIDTH, ANSWERS, questionInHead);
}

/** Streams of B=2 items, 3 tokens each, no padding. */
function streams(fill: 'zeros' | 'random') {
  const make = (seed: number) =>
    fill === 'zeros'
      ? (tf.zeros([2, 3, WIDTH]) as tf.Tensor3D)
      : (tf.randomNormal([2, 3, WIDTH], 0, 1, 'float32', seed) as tf.Tensor3D);
  return { video: { tokens: make(1), weights: null }, audio: { tokens: make(2), weights: null } };
}

const question = (seed: number) =>
  tf.randomNormal([2, WIDTH], 0, 1, 'float32', seed) as tf.Tensor2D;

describe.each(BACKENDS)('questionInHead on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => tf.disposeVariables());

  it("starts as AMUSE's fusion: the same logits from the same seed", () => {
    const { video, audio } = streams('random');
    const q = question(3);
    const amuse = fusion(false).apply(video, audio, q).arraySync();
    const withHead = fusion(true).apply(video, audio, q).arraySync();
    expect(withHead).toEqual(amuse);
  });

  it('lets the head tell two questions apart where the gated streams carry nothing', () => {
    // Zero streams: AMUSE's gates multiply zeros, so every question gets the same logits.
    const { video, audio } = streams('zeros');
    const amuse = fusion(false);
    const same = tf.sub(
      amuse.apply(video, audio, question(3)),
      amuse.apply(video, audio, question(4)),
    );
    expect(tf.max(tf.abs(same)).dataSync()[0]).toBe(0);
    const withHead = fusion(true);
    withHead.questionToHead!.assign(tf.randomNormal([WIDTH, WIDTH], 0, 0.5, 'float32', 9));
    const apart = tf.sub(
      withHead.apply(video, audio, question(3)),
      withHead.apply(video, audio, question(4)),
    );
    expect(tf.max(tf.abs(apart)).dataSync()[0]).toBeGreaterThan(1e-3);
  });

  it('its matrix gets a gradient at the first step (zeros do not stay zeros)', () => {
    const { video, audio } = streams('random');
    const head = fusion(true);
    const q = question(5);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.square(head.apply(video, audio, q))) as tf.Scalar,
      [head.questionToHead!],
    );
    const gradient = grads[head.questionToHead!.name]!;
    expect(gradient.shape).toEqual([WIDTH, WIDTH]);
    expect(tf.max(tf.abs(gradient)).dataSync()[0]).toBeGreaterThan(0);
  });
});

describe('questionInHead in the config', () => {
  it('defaults to off in every preset: an AMUSE model keeps its parameter names', () => {
    for (const preset of ['tiny', 'small', 'base'] as const) {
      expect(resolveConfig({ preset }).questionInHead).toBe(false);
    }
    const amuse = createAmuseModel({ preset: 'tiny' });
    expect([...amuse.parameters().keys()].some((name) => name.includes('questionToHead'))).toBe(
      false,
    );
    amuse.dispose();
    const model = createAmuseModel({ preset: 'tiny', questionInHead: true });
    expect(model.parameters().get('fusion.questionToHead')?.shape).toEqual([64, 64]);
    expect(model.config.preset).toBe('custom');
    model.dispose();
  });

  it('rejects a value that is not true or false, naming the field', () => {
    expect(() => resolveConfig({ questionInHead: 'yes' as never })).toThrow(
      /config\.questionInHead must be true or false, got yes/,
    );
  });
});
