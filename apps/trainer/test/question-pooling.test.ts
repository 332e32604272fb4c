import '@tensorflow/tfjs-backend-wasm';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import { resolveTrainConfig, validateTrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';

describe('--question-pooling', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("defaults to mean and leaves it out of config.json, so older runs' configs read the same", () => {
    const config = resolveTrainConfig({ preset: 'dense' });
    expect('questionPooling' in config).toBe(false);
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS);
    expect(model.parameters.has('question.positionPool')).toBe(false);
    expect(model.encoder.config.preset).toBe('tiny');
    model.dispose();
  });

  it('ordered builds the encoder with the position read-out', () => {
    const config = resolveTrainConfig({ preset: 'dense', questionPooling: 'ordered' });
    expect(config.questionPooling).toBe('ordered');
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS);
    expect(model.parameters.get('question.positionPool')?.shape).toEqual([14, 64]);
    model.dispose();
  });

  it('an unknown kind fails naming the flag, also in a loaded config.json', () => {
    expect(() => resolveTrainConfig({ questionPooling: 'first' })).toThrow(ConfigError);
    expect(() => resolveTrainConfig({ questionPooling: 'first' })).toThrow(/--question-pooling/);
    const config = { ...resolveTrainConfig({}), questionPooling: 'first' as never };
    expect(() => validateTrainConfig(config)).toThrow(/--question-pooling.*"first"/);
  });
});

describe('--question-in-head', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is off by default and then absent from config.json and the parameters', () => {
    const config = resolveTrainConfig({ preset: 'dense' });
    expect('questionInHead' in config).toBe(false);
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS);
    expect(model.parameters.has('fusion.questionToHead')).toBe(false);
    model.dispose();
  });

  it('on, it gives the answer head its own map of the question', () => {
    const config = resolveTrainConfig({ preset: 'dense', questionInHead: true });
    expect(config.questionInHead).toBe(true);
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS);
    expect(model.parameters.get('fusion.questionToHead')?.shape).toEqual([64, 64]);
    model.dispose();
  });
});

describe('--comparison-head', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is off by default and then absent from config.json and the parameters', () => {
    const config = resolveTrainConfig({ preset: 'dense' });
    expect('comparisonHead' in config).toBe(false);
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS);
    expect([...model.parameters.keys()].some((name) => name.startsWith('fusion.comparison'))).toBe(
      false,
    );
    model.dispose();
  });

  it('on, it builds the bilinear term; the shipped backbone still loads (the term stays fresh)', async () => {
    const { initFromFile } = await import('../src/train/init-from.js');
    const { join } = await import('node:path');
    const config = resolveTrainConfig({
      preset: 'dense',
      questionPooling: 'ordered',
      comparisonHead: true,
    });
    expect(config.comparisonHead).toBe(true);
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS);
    expect(model.parameters.get('fusion.comparison.out')?.shape).toEqual([64, 42]);
    const { fresh } = initFromFile(
      join(import.meta.dirname, '..', 'assets', 'backbone-tiny.safetensors'),
      model.parameters,
    );
    expect(fresh).toContain('fusion.comparison.out');
    model.dispose();
  });
});
