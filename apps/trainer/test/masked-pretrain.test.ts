import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAmuseModel, decodeSafetensors, type InputSpec } from '@sparsify/amuse-encoder';
import { generateSyntheticBenchmark } from '@sparsify/avqa-datasets';
import { createInputMasker } from '@sparsify/sparse-masking';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import { MaskedPatchDecoder, maskedPositions } from '../src/pipeline/masked-patch-decoder.js';
import { buildProgram } from '../src/program.js';
import { trainingOptimizer } from '../src/train/flat-adam.js';
import { initFromFile } from '../src/train/init-from.js';
import { MaskedPatchObjective, pretrainMaskedPatches } from '../src/train/masked-pretrain.js';
import { trainRun } from '../src/train/train-run.js';
import { runCli, silentLogger, tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

const INPUTS: InputSpec = {
  video: { kind: 'frames', timeSteps: 2, height: 32, width: 32 },
  audio: { kind: 'fbank', timeSteps: 2, frames: 16, melBins: 64 },
};

describe('maskedPositions', () => {
  it('is the ascending complement of what the masker kept, per sample', () => {
    const masked = maskedPositions([Int32Array.of(0, 3), Int32Array.of(1, 4)], 5);
    expect(masked.map((m) => Array.from(m))).toEqual([
      [1, 2, 4],
      [0, 2, 3],
    ]);
  });

  it('refuses unequal counts, nothing masked, and positions outside the stream', () => {
    expect(() => maskedPositions([Int32Array.of(0), Int32Array.of(0, 1)], 4)).toThrow(
      /dropped 3, 2 tokens/,
    );
    expect(() => maskedPositions([Int32Array.of(0, 1, 2)], 3)).toThrow(/dropped no token/);
    expect(() => maskedPositions([Int32Array.of(7)], 3)).toThrow(/outside 0\.\.2/);
  });
});

describe('the masked-patch decoder', () => {
  it('is scored on the masked patches only, and its gradient reaches the encoder', () => {
    const encoder = createAmuseModel({
      preset: 'tiny',
      width: 32,
      heads: 2,
      depth: 2,
      questionAdapterBlocks: 1,
      inputs: INPUTS,
      seed: 3,
    });
    const decoder = new MaskedPatchDecoder(encoder);
    const masker = createInputMasker({ activeEpochs: 1, ratio: 0.5, seed: 9 });
    const b = 2;
    const values = (n: number, seed: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
    const question = tf.tensor2d(
      Int32Array.from({ length: b * 14 }, (_, i) => (i % 14 === 0 ? 1 : 0)),
      [b, 14],
      'int32',
    );
    const frames = tf.tensor4d(values(b * 2 * 32 * 32 * 3, 1), [b * 2, 32, 32, 3]);
    const fbank = tf.tensor4d(values(b * 2 * 16 * 64, 2), [b, 2, 16, 64]);
    const batch = {
      question,
      video: { kind: 'frames' as const, frames },
      audio: { kind: 'fbank' as const, fbank },
    };
    const ctx = { epoch: 0, step: 0 };
    const out = encoder.forward(batch, { training: true, masker, ctx, returnStreams: true });
    const streams = out.streams!;
    const patches = encoder.inputPatches(batch, b);
    const lossWith = (video: tf.Tensor3D) =>
      decoder.loss(streams, { video, audio: patches.audio }).loss.dataSync()[0] as number;
    const base = lossWith(patches.video);

    // Change one patch the masker kept, then one it dropped, in sample 1.
    const kept = streams.video.keepIndices![1]![0] as number;
    const dropped = maskedPositions(streams.video.keepIndices!, 8)[1]![0] as number;
    const bumped = (n: number) => {
      const data = patches.video.arraySync();
      data[1]![n] = data[1]![n]!.map((v, i) => v + (i % 2 === 0 ? 0.5 : -0.3));
      return tf.tensor3d(data);
    };
    expect(lossWith(bumped(kept))).toBe(base);
    expect(lossWith(bumped(dropped))).not.toBe(base);

    // The gradient of the loss (forward on the tape) reaches the first block and the patch embedding.
    const names = [
      'backbone.blocks.0.attn.qkv.weight',
      'video.embed.weight',
      'maskedPatchDecoder.video.maskToken',
    ];
    const variables = names.map((n) => encoder.parameters().get(n)!);
    const { grads } = tf.variableGrads(() => {
      const o = encoder.forward(batch, { training: true, masker, ctx, returnStreams: true });
      return decoder.loss(o.streams!, encoder.inputPatches(batch, b)).loss;
    }, variables);
    for (const [i, name] of names.entries()) {
      const grad = grads[(variables[i] as tf.Variable).name] as tf.Tensor;
      expect(tf.norm(grad).dataSync()[0], name).toBeGreaterThan(0);
    }
    tf.dispose([question, frames, fbank, out.logits, patches.video, patches.audio]);
    encoder.dispose();
  });
});

describe('masked-patch pretraining', () => {
  it('learns: steps on one batch (the same masks each time) bring its loss well down', async () => {
    const root = tempDir('mae-fit');
    const config = resolveTrainConfig({
      preset: 'dense',
      videos: 8,
      dataSeed: 1007,
      cacheDir: join(root, 'cache'),
      epochs: 1,
      batchSize: 4,
      lr: 3e-3,
    });
    const dataset = await loadDataset(config.data, silentLogger());
    const model = new SparsifiedAmuse(config, dataset.inputs);
    const objective = new MaskedPatchObjective(model, 0.75, 1, 5);
    const optimizer = trainingOptimizer(config, model.parameters);
    const batch = await dataset.train.load([0, 1, 2, 3]);
    const first = objective.step(optimizer, batch, 0, 0);
    const tensors = tf.memory().numTensors;
    const losses = [
      first,
      ...Array.from({ length: 39 }, () => objective.step(optimizer, batch, 0, 0)),
    ];
    // Nothing a step makes outlives it (the optimizer's moments exist from the first step).
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[39]).toBeLessThan(0.6 * (losses[0] as number));
    optimizer.dispose();
    model.dispose();
  }, 60_000);

  it('writes the backbone without the decoder, byte for byte from a seed, and a QA run starts from it', async () => {
    const root = tempDir('mae');
    const logger = silentLogger();
    const config = resolveTrainConfig({
      preset: 'dense',
      videos: 8,
      dataSeed: 1007,
      cacheDir: join(root, 'cache'),
      epochs: 1,
      batchSize: 4,
      lrSchedule: 'cosine',
      warmupSteps: 1,
    });
    const first = join(root, 'a.safetensors');
    const second = join(root, 'b.safetensors');
    await pretrainMaskedPatches(config, first, logger, 'cmd', 0.5);
    const outcome = await pretrainMaskedPatches(config, second, logger, 'cmd', 0.5);
    expect(readFileSync(first).equals(readFileSync(second))).toBe(true);
    const names = [...outcome.arrays.keys()];
    expect(
      names.filter((n) => /^(question|fusion|perception|maskedPatchDecoder)\./.test(n)),
    ).toEqual([]);
    expect(names).toContain('backbone.blocks.0.attn.qkv.weight');
    expect(outcome.trainVideos).toBe(7);
    expect(outcome.val.loss).toBeGreaterThan(0);
    expect(outcome.val.zeroPredictorLoss).toBeGreaterThan(0);
    const { metadata } = decodeSafetensors(new Uint8Array(readFileSync(first)));
    expect(metadata).toMatchObject({ objective: 'masked-patches', patchMaskRatio: '0.5' });

    const run = resolveTrainConfig({
      preset: 'sparsify',
      videos: 8,
      cacheDir: join(root, 'cache'),
      epochs: 1,
      batchSize: 4,
      initFrom: first,
    });
    const dataset = await loadDataset(run.data, logger);
    const model = new SparsifiedAmuse(run, dataset.inputs);
    expect(initFromFile(first, model.parameters).loaded.sort()).toEqual(names.sort());
    model.dispose();
    const trained = await trainRun({ config: run, runDir: join(root, 'run'), logger, dataset });
    expect(trained.results?.evaluation.overall.total).toBeGreaterThan(0);
  }, 120_000);
});

describe('masked-patch pretraining on released-feature data (no labels read)', () => {
  it('pretrains on the videos of the train split only and writes a backbone', async () => {
    const root = tempDir('mae-features');
    const benchmark = await generateSyntheticBenchmark({
      out: root,
      videos: 8,
      seconds: 6,
      seed: 11,
      media: 'features',
    });
    const out = join(root, 'backbone.safetensors');
    const { events, exitCode } = await runCli([
      '--backend',
      'wasm',
      'pretrain',
      '--objective',
      'masked-patches',
      '--patch-mask-ratio',
      '0.5',
      '--data',
      'music-avqa',
      '--root',
      root,
      '--video-features',
      'clip',
      '--audio-features',
      'vggish',
      '--epochs',
      '1',
      '--batch-size',
      '4',
      '--out',
      out,
    ]);
    expect(exitCode).toBeUndefined();
    const start = events.find((e) => e.event === 'pretrain-start');
    const dataset = await loadDataset(
      { kind: 'music-avqa', root, videoFeatures: 'clip', audioFeatures: 'vggish' },
      silentLogger(),
    );
    const trainVideos = new Set(dataset.train.records.map((r) => r.videoId));
    expect(start?.videos).toBe(trainVideos.size);
    expect(trainVideos.size).toBeLessThan(benchmark.scenes.length);
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(out)));
    expect(tensors.get('video.embed.weight')?.shape).toEqual([768, 64]);
  }, 120_000);
});

describe('sparsify pretrain --objective', () => {
  const refused = (...argv: string[]) =>
    buildProgram()
      .exitOverride()
      .parseAsync(['node', 'sparsify', 'pretrain', '--out', 'x.safetensors', ...argv]);

  it.each([
    [['--objective', 'mae'], '--objective: expected perception or masked-patches, got "mae"'],
    [
      ['--patch-mask-ratio', '0.5'],
      '--patch-mask-ratio: applies to --objective masked-patches only',
    ],
    [
      ['--objective', 'masked-patches', '--patch-mask-ratio', '1'],
      '--patch-mask-ratio: expected a number in (0, 1), got 1',
    ],
    [
      ['--objective', 'masked-patches', '--patch-mask-ratio', 'half'],
      '--patch-mask-ratio: expected a number, got "half"',
    ],
    [
      ['--objective', 'masked-patches', '--class-perception'],
      '--class-perception: masked-patch pretraining reads no perception target',
    ],
  ])('%j is refused, naming the flag', async (argv, message) => {
    await expect(refused(...argv)).rejects.toThrow(message);
  });
});
