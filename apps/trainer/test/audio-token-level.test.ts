import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { initFromFile } from '../src/train/init-from.js';

describe('--audio-token-level', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is off by default and then absent from config.json and the parameters', () => {
    const config = resolveTrainConfig({ preset: 'dense' });
    expect('audioTokenLevel' in config).toBe(false);
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS);
    expect(model.parameters.has('audio.levelEmbedding')).toBe(false);
    expect(model.encoder.config.preset).toBe('tiny');
    model.dispose();
  });

  it('on, the shipped backbone loads and leaves the level table fresh, at zero', () => {
    const config = resolveTrainConfig({ preset: 'dense', audioTokenLevel: true });
    expect(config.audioTokenLevel).toBe(true);
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS);
    const table = model.parameters.get('audio.levelEmbedding');
    expect(table?.shape).toEqual([2, 64]);
    const { fresh } = initFromFile(
      join(import.meta.dirname, '..', 'assets', 'backbone-tiny.safetensors'),
      model.parameters,
    );
    expect(fresh).toEqual(expect.arrayContaining(['audio.levelEmbedding']));
    expect(Array.from(table!.dataSync()).every((v) => v === 0)).toBe(true);
    model.dispose();
  });
});
