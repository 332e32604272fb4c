import { join } from 'node:path';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStreamListFlag } from '../src/config/flags.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import { silentLogger, tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

describe('--merge-same-time-step', () => {
  const parse = parseStreamListFlag('--merge-same-time-step');

  it('parses stream lists in a canonical order, and off', () => {
    expect(parse('audio')).toEqual(['audio']);
    expect(parse('audio,video')).toEqual(['video', 'audio']);
    expect(parse('video, audio')).toEqual(['video', 'audio']);
    expect(parse('off')).toEqual([]);
    expect(() => parse('audio,text')).toThrow(
      /--merge-same-time-step: expected audio, video, audio,video or off, got "audio,text"/,
    );
  });

  it('is recorded in the config, makes the run custom, and needs merging', () => {
    const config = resolveTrainConfig({ preset: 'sparsify', mergeSameTimeStep: ['audio'] });
    expect(config.mergeSameTimeStep).toEqual(['audio']);
    expect(config.preset).toBe('custom');
    const plain = resolveTrainConfig({ preset: 'sparsify', mergeSameTimeStep: [] });
    expect('mergeSameTimeStep' in plain).toBe(false);
    expect(plain.preset).toBe('sparsify');
    expect(() => resolveTrainConfig({ preset: 'dense', mergeSameTimeStep: ['audio'] })).toThrow(
      /--merge-same-time-step: nothing merges in this run/,
    );
  });

  it('a Sparsify forward merges audio tokens only within their second, and video across them', async () => {
    const config = resolveTrainConfig({
      preset: 'sparsify',
      videos: 8,
      cacheDir: join(tempDir('same-time-step'), 'cache'),
      mergeSameTimeStep: ['audio'],
    });
    const dataset = await loadDataset(config.data, silentLogger());
    const model = new SparsifiedAmuse(config, dataset.inputs);
    const batch = await dataset.train.load([0, 1, 2, 3]);
    // Epoch 5 is past the mask's 3 epochs: the reducer's positions are the original ones.
    const out = model.forward(batch, { training: true, epoch: 5, step: 0 });
    const stepOf = (stream: 'video' | 'audio') => {
      const perStep = model.encoder[stream].layout.tokensPerStep;
      return (position: number) => Math.floor(position / perStep);
    };
    const stepsHeld = (stream: 'video' | 'audio') =>
      model
        .reducer!.lastPlan(stream)!
        .sources.flatMap((sample) =>
          sample.map((members) => new Set(Array.from(members, stepOf(stream))).size),
        );
    expect(stepsHeld('audio').every((steps) => steps === 1)).toBe(true);
    // every second keeps at least one audio token in every sample
    const timeSteps = model.encoder.audio.layout.timeSteps;
    for (const sample of model.reducer!.lastPlan('audio')!.sources) {
      const seconds = new Set(sample.map((members) => stepOf('audio')(members[0]!)));
      expect(seconds.size).toBe(timeSteps);
    }
    expect(stepsHeld('video').some((steps) => steps > 1)).toBe(true);
    tf.dispose(out.logits);
    model.dispose();
  });
});
