import type { SparsitySettings } from './train-config.js';

/**
 * The paper's settings: masking 50% of visual and audio patches in the first 3 epochs,
 * IQR merging with the authors' fence c = 1.5, and InfoBatch pruning half of the
 * well-learned samples until 87.5% of the epochs. One addition: merging keeps at least a
 * quarter of the tokens, because early in training attention is nearly flat and the
 * fence alone keeps 1-2 of 80 tokens per stream (measured on the synthetic benchmark).
 */
export const PAPER_MASK = { ratio: 0.5, epochs: 3 } as const;
export const PAPER_MERGE = { fence: 1.5, block: 1, minKeep: 0.25 } as const;
export const PAPER_INFOBATCH = { pruneRatio: 0.5, delta: 0.875 } as const;

export const SPARSITY_PRESETS = {
  dense: { mask: null, merge: null, infobatch: null },
  sparsify: { mask: PAPER_MASK, merge: PAPER_MERGE, infobatch: PAPER_INFOBATCH },
  'mask-only': { mask: PAPER_MASK, merge: null, infobatch: null },
  'merge-only': { mask: null, merge: PAPER_MERGE, infobatch: null },
  'infobatch-only': { mask: null, merge: null, infobatch: PAPER_INFOBATCH },
} as const satisfies Record<string, SparsitySettings>;

export type SparsityPresetName = keyof typeof SPARSITY_PRESETS;

export const SPARSITY_PRESET_NAMES = Object.keys(SPARSITY_PRESETS) as SparsityPresetName[];

export function isSparsityPreset(name: string): name is SparsityPresetName {
  return Object.hasOwn(SPARSITY_PRESETS, name);
}
