import { type Command, Option } from 'commander';
import {
  commanderFlags,
  type FlagSpec,
  TRAIN_FLAGS,
  type TrainFlagKey,
  type TrainFlags,
  type TrainOptions,
} from '../config/train-flags.js';

/** A command's own take on a shared flag: another default, or help that fits it better. */
export interface FlagOverrides {
  defaults?: Partial<Record<TrainFlagKey, unknown>>;
  help?: Partial<Record<TrainFlagKey, string>>;
}

const specOf = (key: TrainFlagKey): FlagSpec => TRAIN_FLAGS[key];

/**
 * What a parser's `null` ("off") travels as through commander, which would otherwise rewrite
 * it: to `''` for a `<value>` argument, and to `true` when the argument's name holds a `[`, as
 * `--merge <fence,block[,minKeep[,epochs]]>` does. trainOptionsFrom turns it back into `null`.
 */
const OFF = Symbol('off');

/** Commander's option for one row of TRAIN_FLAGS. */
export function flagOption(key: TrainFlagKey, overrides: FlagOverrides = {}): Option {
  const spec = specOf(key);
  const option = new Option(commanderFlags(spec), overrides.help?.[key] ?? spec.help);
  const parse = spec.parse?.(`--${spec.name}`);
  if (parse) option.argParser((text: string) => parse(text) ?? OFF);
  const fallback = overrides.defaults?.[key] ?? spec.default;
  // A --no-x switch is true unless given; commander would print "(default: true)" beside it.
  if (fallback !== undefined && !spec.negate) option.default(fallback);
  return option;
}

/** Adds these rows of TRAIN_FLAGS to a command, in this order. */
export function addFlags(
  command: Command,
  keys: readonly TrainFlagKey[],
  overrides: FlagOverrides = {},
): Command {
  for (const key of keys) command.addOption(flagOption(key, overrides));
  return command;
}

/** Adds the data, model, sparsity and optimisation flags to a command. */
export function addTrainFlags(
  command: Command,
  options: { sparsity?: boolean; subset?: boolean } & FlagOverrides = {},
): Command {
  const keys = (Object.keys(TRAIN_FLAGS) as TrainFlagKey[]).filter((key) => {
    const group = specOf(key).group;
    return (
      (group !== 'sparsity' || options.sparsity !== false) &&
      (group !== 'subset' || options.subset !== false)
    );
  });
  return addFlags(command, keys, options);
}

/** Commander's flags -> the options resolveTrainConfig validates. */
export function trainOptionsFrom(flags: TrainFlags): TrainOptions {
  const options: Record<string, unknown> = {};
  const given = flags as Record<string, unknown>;
  for (const key of Object.keys(TRAIN_FLAGS) as TrainFlagKey[]) {
    const spec = specOf(key);
    if (spec.output) continue;
    const parsed = given[new Option(commanderFlags(spec)).attributeName()];
    const value = parsed === OFF ? null : parsed;
    options[key] = spec.toOption ? spec.toOption(value as string | boolean | undefined) : value;
  }
  return options as TrainOptions;
}
