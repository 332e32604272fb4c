import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import {
  parseMaskFlag,
  parseMergeFlag,
  parseNumberFlag,
  parseSubsetFlag,
} from '../src/config/flags.js';
import {
  PAPER_MERGE,
  PRESET_MERGE,
  PROJECT_MERGE_ADDITIONS,
  SPARSITY_PRESET_NAMES,
  SPARSITY_PRESETS,
} from '../src/config/sparsity-presets.js';
import { mergesAtInference, resolveTrainConfig } from '../src/config/train-config.js';
import type { TrainOptions } from '../src/config/train-flags.js';
import { buildProgram } from '../src/program.js';

function configError(options: TrainOptions): ConfigError {
  try {
    resolveTrainConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(options)}`);
}

describe('train config', () => {
  it("defaults to the authors' optimiser settings and the paper's sparsity", () => {
    const config = resolveTrainConfig({});
    expect(config.lr).toBe(1e-3);
    expect(config.lrDecay).toEqual({ factor: 0.1, every: 8 });
    expect(config.seed).toBe(42);
    expect(config.preset).toBe('sparsify');
    expect(config.mask).toEqual({ ratio: 0.5, epochs: 3 });
    expect(config.merge?.fence).toBe(1.5);
    expect(config.infobatch).toEqual({ pruneRatio: 0.5, delta: 0.875 });
  });

  it('the recipe flags default to the old behaviour, and another clip sampling is another cache', () => {
    const config = resolveTrainConfig({});
    expect([config.lrSchedule, config.warmupSteps, config.weightDecay, config.clipNorm]).toEqual([
      'step',
      0,
      0,
      0,
    ]);
    expect([config.timeSteps, config.auxWeight, config.initFrom]).toEqual([5, 0, null]);
    const all = resolveTrainConfig({ timeSteps: 8 });
    expect(all.data.kind === 'synthetic' && all.data.dir).toMatch(/synthetic-v240-s7-t8$/);
    expect(config.data.kind === 'synthetic' && config.data.dir).toMatch(/synthetic-v240-s7$/);
  });

  it('each ablation preset turns on exactly its level', () => {
    const on = (name: string) => {
      const c = resolveTrainConfig({ preset: name });
      return [c.mask !== null, c.merge !== null, c.infobatch !== null];
    };
    expect(on('dense')).toEqual([false, false, false]);
    expect(on('mask-only')).toEqual([true, false, false]);
    expect(on('merge-only')).toEqual([false, true, false]);
    expect(on('infobatch-only')).toEqual([false, false, true]);
    expect(on('sparsify')).toEqual([true, true, true]);
    expect(SPARSITY_PRESET_NAMES).toEqual(Object.keys(SPARSITY_PRESETS));
  });

  it('a flag that changes a level makes the preset custom', () => {
    expect(
      resolveTrainConfig({ preset: 'dense', merge: { fence: 0, block: 1, minKeep: 2 } }).preset,
    ).toBe('custom');
    expect(resolveTrainConfig({ preset: 'dense', epochs: 3 }).preset).toBe('dense');
  });

  it.each([
    [{ preset: 'fast' }, '--preset', 'unknown preset "fast"'],
    [{ epochs: 0 }, '--epochs', 'integer >= 1, got 0'],
    [{ epochs: 2.5 }, '--epochs', 'got 2.5'],
    [{ lr: -1 }, '--lr', 'in (0, 10]'],
    [{ lr: Number.NaN }, '--lr', 'got NaN'],
    [{ batchSize: 0 }, '--batch-size', 'got 0'],
    [{ lrDecayFactor: 2 }, '--lr-decay', 'in (0, 1]'],
    [{ mask: { ratio: 1, epochs: 3 } }, '--mask ratio', 'in [0, 1)'],
    [{ merge: { fence: 1.5, block: -1, minKeep: 0.25 } }, '--merge block', 'got -1'],
    [{ merge: { fence: 1.5, block: 1, minKeep: 1.5 } }, '--merge minKeep', 'got 1.5'],
    [{ infobatch: { pruneRatio: 1, delta: 0.875 } }, '--infobatch prune ratio', 'got 1'],
    [{ subset: { kind: 'random', fraction: 0 } }, '--subset', 'got 0'],
    [{ data: 'imagenet' }, '--data', 'unknown data "imagenet"'],
    [{ data: 'music-avqa' }, '--root', 'needs --root'],
    [{ lrSchedule: 'linear' }, '--lr-schedule', 'expected step or cosine'],
    [{ warmupSteps: -1 }, '--warmup-steps', 'got -1'],
    [{ weightDecay: 2 }, '--weight-decay', 'in [0, 1]'],
    [{ clipNorm: -1 }, '--clip-norm', 'got -1'],
    [{ timeSteps: 0 }, '--time-steps', 'got 0'],
    [{ auxWeight: -0.5 }, '--aux-weight', 'got -0.5'],
    [{ data: 'music-avqa', root: 'x', auxWeight: 1 }, '--aux-weight', 'synthetic'],
  ] as [TrainOptions, string, string][])('%j fails naming %s', (options, option, message) => {
    const error = configError(options);
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
    expect(error.message).toContain(message);
  });

  it('every valid learning rate and epoch count resolves unchanged', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (lr, epochs) => {
          const config = resolveTrainConfig({ lr, epochs });
          expect(config.lr).toBe(lr);
          expect(config.epochs).toBe(epochs);
        },
      ),
    );
  });
});

describe('flags', () => {
  it('parse the sparsity switches', () => {
    expect(parseMaskFlag('0.5,3')).toEqual({ ratio: 0.5, epochs: 3 });
    expect(parseMaskFlag('off')).toBeNull();
    expect(parseMergeFlag('1.5,2')).toEqual({ fence: 1.5, block: 2, minKeep: 0.25 });
    expect(parseMergeFlag('0,1,4')).toEqual({ fence: 0, block: 1, minKeep: 4 });
    expect(parseMergeFlag('1.5,1,0.25,7')).toEqual({
      fence: 1.5,
      block: 1,
      minKeep: 0.25,
      epochs: 7,
    });
    expect(parseSubsetFlag('0.25')).toEqual({ kind: 'random', fraction: 0.25 });
    expect(parseSubsetFlag('runs/key-subset.json')).toEqual({
      kind: 'file',
      file: 'runs/key-subset.json',
    });
  });

  it.each(['0.5', '0.5,x', ',3', '0.5,3,1'])(
    '--mask %s is rejected with the expected form',
    (text) => {
      expect(() => parseMaskFlag(text)).toThrow(/--mask: expected ratio,epochs/);
    },
  );

  it.each(['1.5', '1.5,1,', '1.5,1,,7', '1.5,1,0.25,x', '1.5,1,0.25,7,2'])(
    '--merge %s is rejected with the expected form',
    (text) => {
      expect(() => parseMergeFlag(text)).toThrow(
        /--merge: expected fence,block\[,minKeep\[,epochs\]\]/,
      );
    },
  );

  it('--merge epochs must be a whole number of epochs >= 1', () => {
    for (const epochs of [0, 2.5]) {
      expect(() =>
        resolveTrainConfig({ merge: { fence: 1.5, block: 1, minKeep: 0.25, epochs } }),
      ).toThrow(/--merge epochs/);
    }
    const config = resolveTrainConfig({
      epochs: 8,
      merge: { fence: 1.5, block: 1, minKeep: 0.25, epochs: 7 },
    });
    expect(config.merge).toEqual({ fence: 1.5, block: 1, minKeep: 0.25, epochs: 7 });
    expect(config.preset).toBe('custom');
    expect(mergesAtInference(config)).toBe(false);
    expect(mergesAtInference({ ...config, epochs: 7 })).toBe(true);
    expect(mergesAtInference(resolveTrainConfig({ preset: 'sparsify' }))).toBe(true);
    expect(mergesAtInference(resolveTrainConfig({ preset: 'dense' }))).toBe(false);
  });

  it('--epochs abc is rejected by the command line before anything runs', async () => {
    const program = buildProgram().exitOverride();
    for (const command of program.commands) command.exitOverride();
    await expect(
      program.parseAsync(['node', 'sparsify', 'train', '--epochs', 'abc']),
    ).rejects.toThrow(/--epochs: expected a number, got "abc"/);
    expect(() => parseNumberFlag('--lr')('')).toThrow(ConfigError);
  });
});

describe('sparsity presets', () => {
  it("name the paper's level-2 setting apart from this project's additions, and run as before", () => {
    expect(PAPER_MERGE).toEqual({ fence: 1.5 });
    expect(PROJECT_MERGE_ADDITIONS).toEqual({ block: 1, minKeep: 0.25 });
    // What the presets ran before the split (0adb5bb): fence 1.5 after block 1, a quarter kept.
    expect(SPARSITY_PRESETS.sparsify.merge).toEqual({ fence: 1.5, block: 1, minKeep: 0.25 });
    expect(SPARSITY_PRESETS['merge-only'].merge).toEqual({ fence: 1.5, block: 1, minKeep: 0.25 });
    expect(resolveTrainConfig({ preset: 'merge-only' }).merge).toEqual(PRESET_MERGE);
  });
});
