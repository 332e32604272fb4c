import { join } from 'node:path';
import { decodeSafetensors } from '@sparsify/amuse-encoder';
import { PERCEPTION_CLASSES } from '@sparsify/avqa-datasets';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import {
  AUDIO,
  AUDIO_TARGETS,
  followAudioTargets,
  followVideoTargets,
  tokenSources,
} from '../src/pipeline/perception-targets.js';
import { RunFolder } from '../src/run/run-folder.js';
import { initFromFile } from '../src/train/init-from.js';
import { pretrainBackbone } from '../src/train/pretrain.js';
import { trainRun } from '../src/train/train-run.js';
import { silentLogger, tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

describe('perception targets follow the sparsifiers', () => {
  it("a masked run keeps its kept tokens' labels", () => {
    // 2 samples, 6 original tokens, the masker kept 3 of each.
    const keep = [Int32Array.of(0, 2, 5), Int32Array.of(1, 3, 4)];
    const classes = Int32Array.of(...[1, 2, 3, 4, 5, 6], ...[7, 8, 9, 10, 11, 12]);
    const sources = tokenSources(2, 3, keep, null);
    const { distribution, sizes } = followVideoTargets(classes, 6, sources);
    const argmax = (i: number) => {
      const row = distribution.subarray(i * PERCEPTION_CLASSES, (i + 1) * PERCEPTION_CLASSES);
      return row.indexOf(1);
    };
    expect([0, 1, 2, 3, 4, 5].map(argmax)).toEqual([1, 3, 6, 8, 10, 11]);
    expect(Array.from(sizes)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("a merged token's target is the distribution of its sources, through the mask", () => {
    const keep = [Int32Array.of(0, 1, 2, 3)];
    const classes = Int32Array.of(0, 5, 5, 7, 9);
    // Merge output 0 holds masked positions 0, 1, 2; output 1 holds 3; slot 2 is padding.
    const merge = [[Int32Array.of(0, 1, 2), Int32Array.of(3)]];
    const sources = tokenSources(1, 3, keep, merge);
    expect(sources[0]?.[2]).toBeNull();
    const { distribution, sizes } = followVideoTargets(classes, 5, sources);
    expect(Array.from(sizes)).toEqual([3, 1, 0]);
    expect(distribution[0]).toBeCloseTo(1 / 3, 6);
    expect(distribution[5]).toBeCloseTo(2 / 3, 6);
    expect(distribution[PERCEPTION_CLASSES + 7]).toBe(1);
    expect(distribution.subarray(2 * PERCEPTION_CLASSES).every((v) => v === 0)).toBe(true);
  });

  it("an audio token takes its second's targets; a merged one their mean", () => {
    // 2 seconds, 2 tokens per second: tokens 0-1 are second 0, tokens 2-3 second 1.
    const steps = new Float32Array(2 * AUDIO_TARGETS);
    steps[AUDIO.level] = 0.2;
    steps[AUDIO_TARGETS + AUDIO.level] = 0.6;
    steps[AUDIO_TARGETS + 3] = 1; // class 3 sounds in second 1 only
    const sources = tokenSources(1, 2, null, [[Int32Array.of(0, 3), Int32Array.of(2)]]);
    const { targets, sizes } = followAudioTargets(steps, 2, 2, sources);
    expect(Array.from(sizes)).toEqual([2, 1]);
    expect(targets[AUDIO.level]).toBeCloseTo(0.4, 6);
    expect(targets[3]).toBeCloseTo(0.5, 6);
    expect(targets[AUDIO_TARGETS + AUDIO.level]).toBeCloseTo(0.6, 6);
    expect(targets[AUDIO_TARGETS + 3]).toBe(1);
  });

  it('a masked and merged forward scores exactly the tokens that reach the heads', async () => {
    const root = tempDir('perception-forward');
    const config = resolveTrainConfig({
      preset: 'sparsify',
      videos: 8,
      cacheDir: join(root, 'cache'),
      auxWeight: 1,
    });
    const dataset = await loadDataset(config.data, silentLogger());
    const model = new SparsifiedAmuse(config, dataset.inputs, { perceptionHeads: true });
    const batch = await dataset.train.load([0, 1, 2, 3]);
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(batch, { training: true, epoch: 0, step: 0 }, { perception: true });
      expect(out.tokens.videoKept).toBeLessThan(out.tokens.videoTotal / 2);
      return out.perception!.loss;
    });
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const headGradient = grads[model.perception!.videoWeight.name]!;
    expect(tf.max(tf.abs(headGradient)).dataSync()[0]).toBeGreaterThan(0);
    // The merge plan and the masker's kept positions covered every kept original token once.
    const plan = model.reducer!.lastPlan('video')!;
    const covered = plan.sources.map((row) => row.reduce((n, s) => n + s.length, 0));
    expect(covered).toEqual(new Array(4).fill(model.encoder.video.tokenCount / 2));
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('pretrain and --init-from', () => {
  it('pretraining twice from one seed writes identical weights, and a run starts from them', async () => {
    const root = tempDir('pretrain');
    const logger = silentLogger();
    const config = resolveTrainConfig({
      preset: 'dense',
      videos: 8,
      dataSeed: 1007,
      cacheDir: join(root, 'cache'),
      epochs: 1,
      batchSize: 4,
      auxWeight: 1,
      lrSchedule: 'cosine',
      warmupSteps: 1,
      weightDecay: 0.05,
      clipNorm: 1,
    });
    const first = join(root, 'a.safetensors');
    const second = join(root, 'b.safetensors');
    await pretrainBackbone(config, first, logger);
    const outcome = await pretrainBackbone(config, second, logger);
    expect(readFileSync(first).equals(readFileSync(second))).toBe(true);
    const names = [...outcome.arrays.keys()];
    expect(names.some((n) => n.startsWith('question.') || n.startsWith('fusion.'))).toBe(false);
    expect(names).toContain('perception.video.weight');
    expect(outcome.val.patchAccuracy).toBeGreaterThan(0);

    // A QA run from the file: every backbone parameter is the file's before the first step.
    const run = resolveTrainConfig({
      preset: 'dense',
      videos: 8,
      cacheDir: join(root, 'cache'),
      epochs: 1,
      batchSize: 4,
      auxWeight: 0.5,
      initFrom: first,
    });
    const dataset = await loadDataset(run.data, logger);
    const model = new SparsifiedAmuse(run, dataset.inputs, { perceptionHeads: true });
    const init = initFromFile(first, model.parameters);
    expect(init.loaded.sort()).toEqual(names.sort());
    expect(init.fresh.every((n) => n.startsWith('question.') || n.startsWith('fusion.'))).toBe(
      true,
    );
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(first)));
    const stored = tensors.get('backbone.blocks.0.attn.qkv.weight')!.data;
    expect(
      Array.from(model.parameters.get('backbone.blocks.0.attn.qkv.weight')!.dataSync()),
    ).toEqual(Array.from(stored));
    model.dispose();

    const wrong = join(root, 'wrong.safetensors');
    writeFileSync(wrong, Buffer.from(readFileSync(first)).subarray(0, 4));
    const other = new SparsifiedAmuse(run, dataset.inputs);
    expect(() => initFromFile(wrong, other.parameters)).toThrow(/wrong\.safetensors/);
    other.dispose();

    // End to end: dense with the auxiliary loss on, from the pretrained file.
    const outcomeRun = await trainRun({ config: run, runDir: join(root, 'run'), logger, dataset });
    const metrics = new RunFolder(join(root, 'run')).readMetrics();
    expect(metrics[0]?.perceptionLoss).toBeGreaterThan(0);
    expect(Object.keys(metrics[0]?.gates ?? {})).toHaveLength(4);
    expect(outcomeRun.results?.gates).toBeDefined();
    expect(outcomeRun.results?.byTemplate?.length).toBeGreaterThan(0);
    for (const row of outcomeRun.results?.byTemplate ?? []) {
      expect(row.questionOnly).toBeGreaterThanOrEqual(0);
      expect(row.questionOnly).toBeLessThanOrEqual(1);
    }
  }, 120_000);
});
