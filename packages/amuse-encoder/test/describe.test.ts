import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWithRealData, musicAvqaFile } from '../../../vitest.real-data.js';
import {
  createAmuseModel,
  DEFAULT_INPUTS,
  describeModel,
  NUM_ANSWERS,
  PAD_ID,
  PRESETS,
  QUESTION_VOCABULARY_SIZE,
} from '../src/index.js';
import { useBackend } from './fixtures.js';

beforeAll(() => useBackend('cpu'));

describe('describeModel', () => {
  it.each(['tiny', 'small'] as const)('counts exactly the parameters %s allocates', (preset) => {
    const model = createAmuseModel({ preset });
    expect(describeModel(preset).parameters.total).toBe(model.parameterCount());
    model.dispose();
  });

  it('splits parameters and FLOPs into parts that add up, and prints them', () => {
    for (const preset of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) {
      const { parameters, flops, text } = describeModel(preset);
      expect(
        parameters.streamEmbeddings + parameters.question + parameters.backbone + parameters.fusion,
      ).toBe(parameters.total);
      expect(parameters.adapters).toBeLessThan(parameters.backbone);
      expect(flops.streamEmbeddings + flops.question + flops.backbone + flops.fusion).toBe(
        flops.total,
      );
      expect(text).toContain(`amuse-encoder ${preset}`);
    }
  });

  it('FLOPs grow with input size and preset, and fall with masking and reduction', () => {
    const big = {
      ...DEFAULT_INPUTS,
      video: { kind: 'frames' as const, timeSteps: 5, height: 128, width: 128 },
    };
    const tiny = describeModel('tiny').flops.total;
    expect(describeModel('tiny', big).flops.total).toBeGreaterThan(tiny);
    expect(describeModel('small').flops.total).toBeGreaterThan(tiny);
    expect(describeModel('base').flops.total).toBeGreaterThan(describeModel('small').flops.total);
    const dense = describeModel('small').flops.backbone;
    const masked = describeModel('small', undefined, { keepFraction: 0.5 }).flops.backbone;
    const reduced = describeModel('small', undefined, { reducedFraction: 0.5 }).flops.backbone;
    expect(masked).toBeLessThan(0.6 * dense);
    expect(reduced).toBeLessThan(dense);
    expect(reduced).toBeGreaterThan(masked);
  });
});

describeWithRealData('vocabulary constants match the official MUSIC-AVQA files', () => {
  it('93 question words with <pad> at PAD_ID, 42 answers', async () => {
    const words = (await readFile(musicAvqaFile('vocab/ques_vocab.txt'), 'utf8'))
      .split('\n')
      .filter(Boolean);
    // the file lists the train-order vocabulary twice
    const unique = [...new Set(words)];
    expect(unique).toHaveLength(QUESTION_VOCABULARY_SIZE);
    expect(unique[PAD_ID]).toBe('<pad>');
    const answers = (await readFile(musicAvqaFile('vocab/ans_vocab.txt'), 'utf8'))
      .split('\n')
      .filter(Boolean);
    expect(answers).toHaveLength(NUM_ANSWERS);
  });
});
