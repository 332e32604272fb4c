import { readFileSync } from 'node:fs';
import { DEFAULT_INPUTS, decodeSafetensors } from '@sparsify/amuse-encoder';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { shippedBackbonePath } from '../src/pretrained.js';
import { initFromFile } from '../src/train/init-from.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the shipped pretrained tiny backbone', () => {
  it('is in assets/ and --init-from loads every non-QA parameter of a tiny model from it', () => {
    const path = shippedBackbonePath();
    expect(path, 'apps/trainer/assets/backbone-tiny.safetensors is missing').not.toBeNull();
    const bytes = readFileSync(path as string);
    const { metadata, tensors } = decodeSafetensors(new Uint8Array(bytes));
    expect(metadata.format).toBe('sparsify-backbone-1');
    expect(metadata.model).toBe('tiny');
    expect(metadata.command).toMatch(/^sparsify pretrain /);
    const config = resolveTrainConfig({ preset: 'sparsify', auxWeight: 0.5 });
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS, { perceptionHeads: true });
    const outcome = initFromFile(path as string, model.parameters);
    expect(outcome.loaded).toHaveLength(tensors.size);
    expect(outcome.fresh.every((n) => /^(question|fusion)\./.test(n))).toBe(true);
    const gate = model.parameters.get('backbone.blocks.3.adapter.gate')?.dataSync()[0];
    expect(gate).toBe(tensors.get('backbone.blocks.3.adapter.gate')?.data[0]);
    model.dispose();
  });
});
