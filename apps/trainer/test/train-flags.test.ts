import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { addTrainFlags, trainOptionsFrom } from '../src/commands/train-options.js';
import { ConfigError } from '../src/config/config-error.js';
import { parseIntegerFlag } from '../src/config/flags.js';
import { SPARSITY_PRESETS } from '../src/config/sparsity-presets.js';
import {
  type InfoBatchSettings,
  type MaskSettings,
  type MergeSettings,
  resolveTrainConfig,
  type SubsetSpec,
} from '../src/config/train-config.js';
import {
  type FlagSpec,
  TRAIN_DEFAULTS,
  TRAIN_FLAGS,
  type TrainFlagKey,
  type TrainFlags,
  type TrainOptions,
} from '../src/config/train-flags.js';
import { buildProgram } from '../src/program.js';

const rows = Object.entries(TRAIN_FLAGS) as [TrainFlagKey, FlagSpec][];

/** A valid text for each flag that takes a value, and the option it becomes. */
const SAMPLES: Partial<Record<TrainFlagKey, [string, unknown]>> = {
  model: ['small', 'small'],
  data: ['music-avqa', 'music-avqa'],
  root: ['data/avqa', 'data/avqa'],
  videos: ['16', 16],
  dataSeed: ['3', 3],
  cacheDir: ['cache', 'cache'],
  preset: ['dense', 'dense'],
  mask: ['0.25,2', { ratio: 0.25, epochs: 2 }],
  merge: ['2,3,0.5', { fence: 2, block: 3, minKeep: 0.5 }],
  mergeSameTimeStep: ['audio,video', ['video', 'audio']],
  infobatch: ['0.3,0.9', { pruneRatio: 0.3, delta: 0.9 }],
  subset: ['0.5', { kind: 'random', fraction: 0.5 }],
  epochs: ['3', 3],
  lr: ['2e-4', 2e-4],
  lrDecayEvery: ['4', 4],
  lrDecayFactor: ['0.5', 0.5],
  lrSchedule: ['cosine', 'cosine'],
  warmupSteps: ['100', 100],
  weightDecay: ['0.05', 0.05],
  clipNorm: ['1', 1],
  timeSteps: ['8', 8],
  auxWeight: ['0.5', 0.5],
  questionPooling: ['ordered', 'ordered'],
  initFrom: ['backbone.safetensors', 'backbone.safetensors'],
  batchSize: ['4', 4],
  seed: ['9', 9],
  logFormat: ['json', 'json'],
  videoFeatures: ['clip', 'clip'],
  audioFeatures: ['vggish', 'vggish'],
  resnetGrid: ['2', 2],
  duplicates: ['keep-all', 'keep-all'],
};

function trainCommand(): Command {
  return addTrainFlags(new Command('train'))
    .exitOverride()
    .action(() => {});
}

function parsed(argv: string[]): TrainFlags {
  return trainCommand().parse(argv, { from: 'user' }).opts<TrainFlags>();
}

describe('TRAIN_FLAGS', () => {
  it.each(rows.filter(([, spec]) => spec.arg?.startsWith('<')))(
    '%s parses its flag into its option',
    (key, spec) => {
      const sample = SAMPLES[key];
      expect(sample, `a sample for ${key}`).toBeDefined();
      const [text, value] = sample as [string, unknown];
      const flags = parsed([`--${spec.name}`, text]);
      if (spec.output) expect(Object.values(flags)).toContainEqual(value);
      else expect(trainOptionsFrom(flags)[key as keyof TrainOptions]).toEqual(value);
    },
  );

  it('the switches and --infobatch alone parse too', () => {
    expect(trainOptionsFrom(parsed(['--no-fast-kernels'])).fastKernels).toBe(false);
    expect(trainOptionsFrom(parsed([])).fastKernels).toBe(true);
    expect(parsed(['-q']).quiet).toBe(true);
    expect(trainOptionsFrom(parsed(['--infobatch'])).infobatch).toEqual({
      pruneRatio: 0.5,
      delta: 0.875,
    });
    expect(trainOptionsFrom(parsed(['--infobatch', 'off'])).infobatch).toBeNull();
    expect(trainOptionsFrom(parsed([])).infobatch).toBeUndefined();
  });

  // commander rewrites a parser's null: to '' for <value>, and to true when the argument's
  // name holds a '[' as --merge's does, which made `train --merge off` fail on "fence".
  it.each([
    ['--merge', 'merge'],
    ['--mask', 'mask'],
    ['--infobatch', 'infobatch'],
  ] as const)("%s off turns that level off and leaves the preset's others", (flag, key) => {
    const options = trainOptionsFrom(parsed(['--preset', 'sparsify', flag, 'off']));
    expect(options[key]).toBeNull();
    const config = resolveTrainConfig(options);
    expect(config[key]).toBeNull();
    expect(config.preset).toBe('custom');
    for (const other of (['mask', 'merge', 'infobatch'] as const).filter((k) => k !== key)) {
      expect(config[other], other).toEqual(SPARSITY_PRESETS.sparsify[other]);
    }
  });

  it('--merge with epochs keeps merging for that many epochs, then trains and answers unmerged', () => {
    const options = trainOptionsFrom(parsed(['--preset', 'sparsify', '--merge', '1.5,1,0.25,7']));
    const config = resolveTrainConfig({ ...options, epochs: 8 });
    expect(config.merge).toEqual({ ...SPARSITY_PRESETS.sparsify.merge, epochs: 7 });
    expect(config.mask).toEqual(SPARSITY_PRESETS.sparsify.mask);
    expect(config.infobatch).toEqual(SPARSITY_PRESETS.sparsify.infobatch);
  });

  const integers = rows.filter(([, spec]) => spec.parse === parseIntegerFlag);

  it('counts, seeds and sizes are integer flags', () => {
    expect(integers.map(([key]) => key).sort()).toEqual(
      [
        'batchSize',
        'dataSeed',
        'epochs',
        'lrDecayEvery',
        'resnetGrid',
        'seed',
        'timeSteps',
        'videos',
        'warmupSteps',
      ].sort(),
    );
  });

  it.each(integers)('%s refuses 2.5, naming the flag', (_key, spec) => {
    const flag = `--${spec.name}`;
    expect(() => parsed([flag, '2.5'])).toThrow(ConfigError);
    expect(() => parsed([flag, '2.5'])).toThrow(`${flag}: expected an integer, got "2.5"`);
    expect(() => parsed([flag, 'abc'])).toThrow(`${flag}: expected a number, got "abc"`);
  });

  it.each([
    ['data', 'synth', '--out', 'x', '--videos', '2.5'],
    ['data', 'synth', '--out', 'x', '--seed', '2.5'],
    ['data', 'prepare', '--root', 'x', '--workers', '2.5'],
    ['data', 'prepare', '--root', 'x', '--ffmpeg-threads', '2.5'],
    ['key-subset', '--k', '2.5'],
    ['demo', '--epochs', '2.5'],
    ['pretrain', '--out', 'x.safetensors', '--videos', '2.5'],
  ])('the other commands refuse 2.5 for a count too: %s %s', async (...argv) => {
    const program = buildProgram().exitOverride();
    const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
    for (const command of all(program)) command.exitOverride().action(() => {});
    const flag = argv[argv.length - 2] as string;
    await expect(program.parseAsync(['node', 'sparsify', ...argv])).rejects.toThrow(
      `${flag}: expected an integer, got "2.5"`,
    );
  });

  it('the derived defaults are the old TRAIN_DEFAULTS, plus the three that were literals', () => {
    expect(TRAIN_DEFAULTS).toEqual({
      // TRAIN_DEFAULTS before the flag table (0adb5bb).
      preset: 'sparsify',
      model: 'tiny',
      epochs: 10,
      lr: 1e-3,
      lrDecayFactor: 0.1,
      lrDecayEvery: 8,
      batchSize: 8,
      seed: 42,
      videos: 240,
      cacheDir: 'runs/.cache',
      lrSchedule: 'step',
      warmupSteps: 0,
      weightDecay: 0,
      clipNorm: 0,
      timeSteps: 5,
      auxWeight: 0,
      questionPooling: 'mean',
      questionInHead: false,
      comparisonHead: false,
      audioTokenLevel: false,
      classPerception: false,
      perceptionBeforeMerge: false,
      // Written as literals in resolveTrainConfig before.
      data: 'synthetic',
      dataSeed: 7,
      fastKernels: true,
    });
  });

  it('commander fills the same defaults resolveTrainConfig would', () => {
    const options = trainOptionsFrom(parsed([]));
    for (const [key, value] of Object.entries(TRAIN_DEFAULTS)) {
      expect(options[key as keyof TrainOptions], key).toEqual(value);
    }
  });

  it.each(['train', 'pretrain', 'key-subset', 'demo'])('%s --help lists each flag once', (name) => {
    const command = buildProgram().commands.find((c) => c.name() === name) as Command;
    const help = command.helpInformation();
    const longs = command.options.map((option) => option.long);
    expect(new Set(longs).size).toBe(longs.length);
    const lines = help.split('\n').map((line) => line.trimStart());
    for (const option of command.options) {
      const listed = lines.filter(
        (line) => line === option.flags || line.startsWith(`${option.flags} `),
      );
      // Hidden: the flags pretrain refuses (NOT_FOR_PRETRAINING), listed nowhere.
      expect(listed, option.flags).toHaveLength(option.hidden ? 0 : 1);
    }
    const hidden = command.options.filter((option) => option.hidden).map((o) => o.long);
    expect(hidden).toEqual(name === 'pretrain' ? ['--aux-weight', '--init-from'] : []);
  });

  it("the README's options table names every flag of train", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Options of `train`'),
      readme.indexOf('## What a run does'),
    );
    for (const [, spec] of rows) {
      expect(section, spec.name).toContain(`\`--${spec.negate ? 'no-' : ''}${spec.name}`);
    }
  });

  it('the derived types are the hand-written ones they replace', () => {
    expectTypeOf<TrainOptions>().toEqualTypeOf<{
      preset?: string;
      model?: string;
      data?: string;
      root?: string;
      cacheDir?: string;
      videos?: number;
      dataSeed?: number;
      mask?: MaskSettings | null;
      merge?: MergeSettings | null;
      mergeSameTimeStep?: ('video' | 'audio')[];
      perceptionBeforeMerge?: boolean;
      infobatch?: InfoBatchSettings | null;
      subset?: SubsetSpec | null;
      epochs?: number;
      lr?: number;
      lrDecayFactor?: number;
      lrDecayEvery?: number;
      batchSize?: number;
      seed?: number;
      fastKernels?: boolean;
      videoFeatures?: string;
      audioFeatures?: string;
      resnetGrid?: number;
      duplicates?: string;
      lrSchedule?: string;
      warmupSteps?: number;
      weightDecay?: number;
      clipNorm?: number;
      timeSteps?: number;
      auxWeight?: number;
      questionPooling?: string;
      questionInHead?: boolean;
      comparisonHead?: boolean;
      audioTokenLevel?: boolean;
      classPerception?: boolean;
      initFrom?: string | null;
    }>();
    expectTypeOf<TrainFlags>().toEqualTypeOf<{
      preset?: string;
      model?: string;
      data?: string;
      root?: string;
      videos?: number;
      dataSeed?: number;
      cacheDir?: string;
      mask?: MaskSettings | null;
      merge?: MergeSettings | null;
      mergeSameTimeStep?: ('video' | 'audio')[];
      perceptionBeforeMerge?: boolean;
      infobatch?: string | boolean;
      // Commander never hands over null; the old interface said SubsetSpec | null.
      subset?: SubsetSpec;
      epochs?: number;
      lr?: number;
      lrStep?: number;
      lrDecay?: number;
      batchSize?: number;
      seed?: number;
      fastKernels?: boolean;
      lrSchedule?: string;
      warmupSteps?: number;
      weightDecay?: number;
      clipNorm?: number;
      timeSteps?: number;
      auxWeight?: number;
      questionPooling?: string;
      questionInHead?: boolean;
      comparisonHead?: boolean;
      audioTokenLevel?: boolean;
      classPerception?: boolean;
      initFrom?: string;
      quiet?: boolean;
      logFormat?: string;
      videoFeatures?: string;
      audioFeatures?: string;
      resnetGrid?: number;
      duplicates?: string;
    }>();
  });
});
