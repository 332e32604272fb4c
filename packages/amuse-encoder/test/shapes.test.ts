import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmuseModel, describeModel, type InputSpec } from '../src/index.js';
import { resnetCells } from '../src/stream-embedding.js';
import { TEST_MODEL } from './config.js';
import { BACKENDS, disposeBatch, randomBatch, useBackend } from './fixtures.js';

const KINDS: { name: string; inputs: InputSpec; tokens: [number, number] }[] = [
  {
    name: 'frames + fbank',
    inputs: {
      video: { kind: 'frames', timeSteps: 3, height: 32, width: 48 },
      audio: { kind: 'fbank', timeSteps: 3, frames: 16, melBins: 32 },
    },
    tokens: [3 * 2 * 3, 3 * 1 * 2],
  },
  {
    name: 'resnet18 + vggish',
    inputs: { video: { kind: 'resnet18', timeSteps: 2 }, audio: { kind: 'vggish', timeSteps: 4 } },
    tokens: [2 * 196, 4],
  },
  {
    name: 'resnet18 pooled to 7x7 + fbank',
    inputs: {
      video: { kind: 'resnet18', timeSteps: 2, grid: 7 },
      audio: { kind: 'fbank', timeSteps: 2, frames: 16, melBins: 16 },
    },
    tokens: [2 * 49, 2],
  },
  {
    name: 'clip + vggish',
    inputs: { video: { kind: 'clip', timeSteps: 6 }, audio: { kind: 'vggish', timeSteps: 6 } },
    tokens: [6, 6],
  },
];

describe.each(BACKENDS)('output shapes on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  for (const kind of KINDS) {
    it(`${kind.name}: logits [B, 42], tokens ${kind.tokens.join(' / ')}`, () => {
      const model = createAmuseModel({ ...TEST_MODEL, inputs: kind.inputs, width: 16 });
      const batch = randomBatch(kind.inputs, 2);
      const { logits, diagnostics } = model.forward(batch, { training: false });
      expect(logits.shape).toEqual([2, 42]);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      expect(diagnostics.video.inputTokens).toBe(kind.tokens[0]);
      expect(diagnostics.audio.inputTokens).toBe(kind.tokens[1]);
      expect(diagnostics.video.keptTokens).toEqual([kind.tokens[0], kind.tokens[0]]);
      expect(describeModel({ ...TEST_MODEL, width: 16 }, kind.inputs).parameters.total).toBe(
        model.parameterCount(),
      );
      tf.dispose(logits);
      disposeBatch(batch);
      model.dispose();
    });
  }

  it('a batch of one', () => {
    const model = createAmuseModel(TEST_MODEL);
    const batch = randomBatch(model.config.inputs, 1);
    const { logits } = model.forward(batch, { training: false });
    expect(logits.shape).toEqual([1, 42]);
    tf.dispose(logits);
    disposeBatch(batch);
    model.dispose();
  });
});

describe('input checks', () => {
  beforeAll(() => useBackend('cpu'));
  let model: ReturnType<typeof createAmuseModel>;
  beforeAll(() => {
    model = createAmuseModel(TEST_MODEL);
  });
  afterAll(() => model.dispose());

  it('names the input, its shape and the expected shape', () => {
    const batch = randomBatch(model.config.inputs, 2);
    const wrong = {
      ...batch,
      video: { kind: 'frames' as const, frames: tf.zeros([2, 32, 32, 3]) as tf.Tensor4D },
    };
    expect(() => model.forward(wrong, { training: false })).toThrow(
      /batch\.video\.frames has shape \[2, 32, 32, 3\], expected \[6, 32, 32, 3\]/,
    );
    const otherKind = {
      ...batch,
      audio: { kind: 'vggish' as const, features: tf.zeros([2, 3, 128]) as tf.Tensor3D },
    };
    expect(() => model.forward(otherKind, { training: false })).toThrow(
      /batch\.audio\.kind is "vggish"/,
    );
    const floatQuestion = { ...batch, question: tf.zeros([2, 14]) as tf.Tensor2D };
    expect(() => model.forward(floatQuestion, { training: false })).toThrow(
      /batch\.question must be int32/,
    );
    disposeBatch(batch);
  });

  it('rejects configs that cannot be patchified or split into heads', () => {
    expect(() => createAmuseModel({ ...TEST_MODEL, width: 30, heads: 4 })).toThrow(
      /divisible by config.heads/,
    );
    expect(() =>
      createAmuseModel({
        ...TEST_MODEL,
        inputs: {
          ...TEST_MODEL.inputs!,
          video: { kind: 'frames', timeSteps: 3, height: 30, width: 32 },
        },
      }),
    ).toThrow(/not divisible by patchSize 16/);
    expect(() => createAmuseModel({ ...TEST_MODEL, reduceAfterBlock: 3 })).toThrow(
      /reduceAfterBlock/,
    );
  });
});

describe('resnet18 pooling', () => {
  beforeAll(() => useBackend('cpu'));

  it('a 7x7 grid averages each 2x2 block of cells', () => {
    const maps = tf.tensor3d(
      Array.from({ length: 512 * 196 }, (_, i) => i % 196),
      [1, 512, 196],
    );
    const pooled = resnetCells(maps, 7).arraySync();
    // cell (r, c) holds 14 r + c; block (0, 0) averages cells 0, 1, 14, 15; block (1, 2) cells 32, 33, 46, 47
    expect(pooled[0]![0]).toBeCloseTo(7.5, 5);
    expect(pooled[7 + 2]![511]).toBeCloseTo(39.5, 5);
    expect(pooled).toHaveLength(49);
  });
});

describe('backends agree', () => {
  it('the same seed gives the same weights and (to float error) the same logits on cpu and wasm', async () => {
    const logitsOn = async (backend: (typeof BACKENDS)[number]) => {
      await useBackend(backend);
      const model = createAmuseModel(TEST_MODEL);
      const batch = randomBatch(model.config.inputs, 2);
      const { logits } = model.forward(batch, { training: false });
      const values = Array.from(logits.dataSync());
      const firstWeight = Array.from(
        model.parameters().get('video.embed.weight')!.dataSync().slice(0, 8),
      );
      tf.dispose(logits);
      disposeBatch(batch);
      model.dispose();
      return { values, firstWeight };
    };
    const cpu = await logitsOn('cpu');
    const wasm = await logitsOn('wasm');
    expect(wasm.firstWeight).toEqual(cpu.firstWeight);
    for (let i = 0; i < cpu.values.length; i++)
      expect(wasm.values[i]).toBeCloseTo(cpu.values[i]!, 4);
  });
});
