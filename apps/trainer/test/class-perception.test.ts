import { join } from 'node:path';
import { DEFAULT_INPUTS, ParameterStore } from '@sparsify/amuse-encoder';
import { INSTRUMENT_CLASSES, type Scene } from '@sparsify/avqa-datasets';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import { PerceptionHeads } from '../src/pipeline/perception-heads.js';
import {
  AUDIO_TARGETS,
  CLASS_ROW,
  CLASS_TARGETS,
  videoPerception,
} from '../src/pipeline/perception-targets.js';
import { initFromFile } from '../src/train/init-from.js';
import { silentLogger, tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

const VIOLIN = INSTRUMENT_CLASSES.indexOf('violin');
const TUBA = INSTRUMENT_CLASSES.indexOf('tuba');

/** A loud, sparse violin for the whole clip, a quiet, dense tuba from second 4 on. */
const SCENE: Scene = {
  videoId: 'class-targets',
  seed: 1,
  seconds: 8,
  indoor: true,
  voiceover: false,
  instruments: [
    {
      name: 'violin',
      visible: true,
      x: 0.25,
      y: 0.5,
      size: 0.4,
      fundamental: 440,
      gainDb: -9,
      noteRate: 1.5,
      playing: new Array(8).fill(true),
    },
    {
      name: 'tuba',
      visible: false,
      x: 0.75,
      y: 0.5,
      size: 0.4,
      fundamental: 60,
      gainDb: -24,
      noteRate: 6,
      playing: [false, false, false, false, true, true, true, true],
    },
  ],
};

describe('per-class perception targets', () => {
  it('the louder instrument has the larger level target, the denser the larger rate; silence is 0', () => {
    const { classSteps } = videoPerception(SCENE, DEFAULT_INPUTS, 16);
    const steps = DEFAULT_INPUTS.video.timeSteps; // seconds 0, 2, 4, 5, 7
    expect(classSteps.length).toBe(steps * CLASS_TARGETS);
    const at = (t: number, k: number) => classSteps[t * CLASS_TARGETS + k] as number;
    for (let t = 0; t < steps; t++) {
      expect(at(t, CLASS_ROW.level + VIOLIN)).toBeCloseTo((-9 + 40) / 40, 6);
      expect(at(t, CLASS_ROW.onsetRate + VIOLIN)).toBeCloseTo(Math.log1p(1.5) / 3, 6);
    }
    // The tuba sounds in the sampled seconds 4, 5, 7 (steps 2-4) only.
    expect([0, 1].map((t) => at(t, CLASS_ROW.level + TUBA))).toEqual([0, 0]);
    for (const t of [2, 3, 4]) {
      expect(at(t, CLASS_ROW.level + TUBA)).toBeLessThan(at(t, CLASS_ROW.level + VIOLIN));
      expect(at(t, CLASS_ROW.onsetRate + TUBA)).toBeGreaterThan(
        at(t, CLASS_ROW.onsetRate + VIOLIN),
      );
    }
    const silent = INSTRUMENT_CLASSES.map((_, c) => c).filter((c) => c !== VIOLIN && c !== TUBA);
    for (let t = 0; t < steps; t++) {
      for (const c of silent) {
        expect(at(t, CLASS_ROW.level + c)).toBe(0);
        expect(at(t, CLASS_ROW.onsetRate + c)).toBe(0);
      }
    }
  });
});

describe('the per-class head', () => {
  /** One sample of 2 steps x 2 tokens; the class sounds in step 1 only. */
  function oneSample(level: number) {
    const audioSteps = new Float32Array(2 * AUDIO_TARGETS);
    audioSteps[AUDIO_TARGETS + VIOLIN] = 1;
    const classSteps = new Float32Array(2 * CLASS_TARGETS);
    classSteps[CLASS_TARGETS + CLASS_ROW.level + VIOLIN] = level;
    return {
      targets: { videoClasses: new Int32Array(4), audioSteps, classSteps },
      geometry: { videoTokens: 4, audioTimeSteps: 2, audioTokensPerStep: 2 },
    };
  }
  const streams = (tokens: tf.Tensor3D) => ({
    video: { tokens, padMask: null, keepIndices: null },
    audio: { tokens, padMask: null, keepIndices: null },
  });

  it('adds to the old loss exactly its masked squared error, over sounding sources only', () => {
    const width = 8;
    const tokens = tf.randomNormal([1, 4, width], 0, 1, 'float32', 3) as tf.Tensor3D;
    const old = new PerceptionHeads(new ParameterStore(5), width);
    const store = new ParameterStore(5);
    const heads = new PerceptionHeads(store, width, { classTargets: true });
    // Zero weights, bias 0.25 everywhere: each token predicts 0.25 for every class.
    heads.classWeight!.assign(tf.zeros(heads.classWeight!.shape));
    heads.classBias!.assign(tf.fill([CLASS_TARGETS], 0.25));
    const { targets, geometry } = oneSample(0.75);
    const none = { video: null, audio: null };
    const before = old.loss(streams(tokens), targets, geometry, none).loss.dataSync()[0]!;
    const after = heads.loss(streams(tokens), targets, geometry, none).loss.dataSync()[0]!;
    // Tokens 2 and 3 (step 1) each add (0.25 - 0.75)^2 for the level and (0.25 - 0)^2 for
    // the rate of the sounding class; the mean over 4 tokens of the audio loss.
    expect(after - before).toBeCloseTo((2 * (0.25 + 0.0625)) / 4, 5);
    // Merged: one token holding a silent source (step 0) and a sounding one (step 1) learns the
    // sounding source's level, weighted by the fraction that sounds.
    const merged = {
      video: null,
      audio: [[Int32Array.of(0, 3), Int32Array.of(1), Int32Array.of(2)]],
    };
    const three = tf.slice(tokens, [0, 0, 0], [1, 3, width]) as tf.Tensor3D;
    const oldMerged = old.loss(
      { video: streams(tokens).video, audio: streams(three).audio },
      targets,
      geometry,
      merged,
    );
    const newMerged = heads.loss(
      { video: streams(tokens).video, audio: streams(three).audio },
      targets,
      geometry,
      merged,
    );
    const expected = (2 * 0.5 * (0.25 + 0.0625) + 0 + 1 * (0.25 + 0.0625)) / 4;
    expect(newMerged.loss.dataSync()[0]! - oldMerged.loss.dataSync()[0]!).toBeCloseTo(expected, 5);
    tf.dispose([tokens, three]);
  });

  it('refuses a batch without per-class targets', () => {
    const heads = new PerceptionHeads(new ParameterStore(1), 8, { classTargets: true });
    const tokens = tf.zeros([1, 4, 8]) as tf.Tensor3D;
    const { targets, geometry } = oneSample(0.5);
    const { classSteps: _, ...without } = targets;
    expect(() =>
      heads.loss(streams(tokens), without, geometry, { video: null, audio: null }),
    ).toThrow(/per-class targets/);
    tokens.dispose();
  });

  it('trains through a masked and merged forward, also on a batch of one', async () => {
    const root = tempDir('class-perception');
    const config = resolveTrainConfig({
      preset: 'sparsify',
      videos: 8,
      cacheDir: join(root, 'cache'),
      auxWeight: 1,
      classPerception: true,
    });
    const dataset = await loadDataset(config.data, silentLogger());
    const model = new SparsifiedAmuse(config, dataset.inputs, {
      perceptionHeads: true,
      classPerception: true,
    });
    for (const indices of [[0, 1, 2, 3], [2]]) {
      const batch = await dataset.train.load(indices);
      expect(batch.inputs.perception!.classSteps!.length).toBe(
        indices.length * dataset.inputs.audio.timeSteps * CLASS_TARGETS,
      );
      const { value, grads } = tf.variableGrads(() => {
        const out = model.forward(
          batch,
          { training: true, epoch: 0, step: 0 },
          { perception: true },
        );
        return out.perception!.loss;
      });
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      const classGradient = grads[model.perception!.classWeight!.name]!;
      expect(tf.max(tf.abs(classGradient)).dataSync()[0]).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
    }
    model.dispose();
  });
});

describe('--class-perception', () => {
  it('is off by default, recorded only when on, and needs --aux-weight', () => {
    expect('classPerception' in resolveTrainConfig({ preset: 'dense', auxWeight: 0.5 })).toBe(
      false,
    );
    const on = resolveTrainConfig({ preset: 'dense', auxWeight: 0.5, classPerception: true });
    expect(on.classPerception).toBe(true);
    expect(() => resolveTrainConfig({ preset: 'dense', classPerception: true })).toThrow(
      ConfigError,
    );
    expect(() => resolveTrainConfig({ preset: 'dense', classPerception: true })).toThrow(
      /--class-perception.*--aux-weight/,
    );
  });

  it('a model without it has no class head; the shipped backbone loads into one with it', () => {
    const config = resolveTrainConfig({ preset: 'dense', auxWeight: 0.5 });
    const plain = new SparsifiedAmuse(config, DEFAULT_INPUTS, { perceptionHeads: true });
    expect([...plain.parameters.keys()].some((name) => name.includes('audioClass'))).toBe(false);
    plain.dispose();
    const model = new SparsifiedAmuse(config, DEFAULT_INPUTS, {
      perceptionHeads: true,
      classPerception: true,
    });
    const { fresh, loaded } = initFromFile(
      join(import.meta.dirname, '..', 'assets', 'backbone-tiny.safetensors'),
      model.parameters,
    );
    expect(fresh).toContain('perception.audioClass.weight');
    expect(fresh).toContain('perception.audioClass.bias');
    expect(loaded).toContain('perception.audio.weight');
    model.dispose();
  });
});
