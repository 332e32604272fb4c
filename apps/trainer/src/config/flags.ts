import { ConfigError } from './config-error.js';
import { PAPER_INFOBATCH, PRESET_MERGE } from './sparsity-presets.js';
import type { InfoBatchSettings, MaskSettings, MergeSettings, SubsetSpec } from './train-config.js';

/** Parses `--mask ratio,epochs` (e.g. `0.5,3`); `off` turns masking off. */
export function parseMaskFlag(text: string): MaskSettings | null {
  if (text === 'off') return null;
  const [ratio, epochs] = parseNumberPair('--mask', text, 'ratio,epochs (e.g. 0.5,3)');
  return { ratio, epochs };
}

/**
 * Parses `--merge fence,block[,minKeep[,epochs]]` (e.g. `1.5,1,0.25`); `off` turns merging off.
 */
export function parseMergeFlag(text: string): MergeSettings | null {
  if (text === 'off') return null;
  const parts = text.split(',');
  const usage = `fence,block[,minKeep[,epochs]] (e.g. 1.5,1,0.25 or 1.5,1,0.25,7)`;
  const [fence, block] = parseNumberPair('--merge', parts.slice(0, 2).join(','), usage);
  const minKeep = parts.length > 2 ? Number(parts[2]) : PRESET_MERGE.minKeep;
  const epochs = parts.length > 3 ? Number(parts[3]) : undefined;
  if (
    parts.length > 4 ||
    parts.slice(2).some((part) => part.trim() === '') ||
    !Number.isFinite(minKeep) ||
    (epochs !== undefined && !Number.isFinite(epochs))
  ) {
    throw new ConfigError('--merge', `expected ${usage}, got "${text}"`);
  }
  return epochs === undefined ? { fence, block, minKeep } : { fence, block, minKeep, epochs };
}

/**
 * Parses a list of streams, `audio`, `video` or `audio,video` (any order, canonical order
 * out); `off` is none.
 */
export function parseStreamListFlag(option: string) {
  return (text: string): ('video' | 'audio')[] => {
    if (text === 'off') return [];
    const names = text.split(',').map((name) => name.trim());
    const unknown = names.find((name) => name !== 'video' && name !== 'audio');
    if (unknown !== undefined) {
      throw new ConfigError(option, `expected audio, video, audio,video or off, got "${text}"`);
    }
    return (['video', 'audio'] as const).filter((stream) => names.includes(stream));
  };
}

/** Parses `--subset FILE|fraction`: a number in (0, 1] is a random subset of that size. */
export function parseSubsetFlag(text: string): SubsetSpec {
  if (text.trim() === '') throw new ConfigError('--subset', 'expected a file or a fraction');
  const fraction = Number(text);
  if (Number.isFinite(fraction) && /^[\d.eE+-]+$/.test(text)) {
    return { kind: 'random', fraction };
  }
  return { kind: 'file', file: text };
}

/** Parses a number flag, naming the flag when the text is not a number. */
export function parseNumberFlag(option: string) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      throw new ConfigError(option, `expected a number, got "${text}"`);
    }
    return value;
  };
}

/** Parses an integer flag (a count, a seed): 2.5 is refused, naming the flag. */
export function parseIntegerFlag(option: string) {
  const parseNumber = parseNumberFlag(option);
  return (text: string): number => {
    const value = parseNumber(text);
    if (!Number.isInteger(value)) {
      throw new ConfigError(option, `expected an integer, got "${text}"`);
    }
    return value;
  };
}

/**
 * Parses `--infobatch [prune,delta]`: alone it is the paper's setting, `off` turns pruning
 * off, and undefined (not given) leaves the preset's.
 */
export function parseInfoBatchFlag(
  value: string | boolean | undefined,
): InfoBatchSettings | null | undefined {
  if (value === undefined) return undefined;
  if (value === true) return { ...PAPER_INFOBATCH };
  if (value === false || value === 'off') return null;
  const parts = String(value).split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite)) {
    throw new ConfigError(
      '--infobatch',
      `expected prune,delta (e.g. 0.5,0.875) or off, got "${value}"`,
    );
  }
  return { pruneRatio: parts[0] as number, delta: parts[1] as number };
}

/** Parses a positive integer flag (a count), naming the flag otherwise. */
export function parsePositiveIntegerFlag(option: string) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < 1) {
      throw new ConfigError(option, `expected a positive integer, got "${text}"`);
    }
    return value;
  };
}

/** Parses a non-negative integer flag (an index), naming the flag otherwise. */
export function parseNonNegativeIntegerFlag(option: string) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < 0) {
      throw new ConfigError(option, `expected a non-negative integer, got "${text}"`);
    }
    return value;
  };
}

function parseNumberPair(option: string, text: string, expected: string): [number, number] {
  const parts = text.split(',').map((part) => part.trim());
  const numbers = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || !numbers.every(Number.isFinite)) {
    throw new ConfigError(option, `expected ${expected}, got "${text}"`);
  }
  return [numbers[0] as number, numbers[1] as number];
}
