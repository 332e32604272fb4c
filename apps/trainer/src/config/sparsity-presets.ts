import type { SparsitySettings } from './train-config.js';

/**
 * The paper's settings: masking 50% of visual and audio patches in the first 3 epochs,
 * IQR merging with the authors' fence c = 1.5, and InfoBatch pruning half of the
 * well-learned samples until 87.5% of the epochs.
 */
export const PAPER_MASK = { ratio: 0.5, epochs: 3 } as const;
export const PAPER_MERGE = { fence: 1.5 } as const;
export const PAPER_INFOBATCH = { pruneRatio: 0.5, delta: 0.875 } as const;

/**
 * What this project adds to the paper's level 2, which fixes only the fence:
 * - `block: 1`: merge after this encoder's block 1 (the paper's backbone is not this one);
 * - `minKeep: 0.25`: keep at least a quarter of the tokens, because early in training
 *   attention is nearly flat and the fence alone keeps 1-2 of 80 tokens per stream
 *   (measured on the synthetic benchmark).
 */
export const PROJECT_MERGE_ADDITIONS = { block: 1, minKeep: 0.25 } as const;

/** Level 2 as the presets run it: the paper's fence and this project's additions. */
export const PRESET_MERGE = { ...PAPER_MERGE, ...PROJECT_MERGE_ADDITIONS } as const;

export const SPARSITY_PRESETS = {
  dense: { mask: null, merge: null, infobatch: null },
  sparsify: { mask: PAPER_MASK, merge: PRESET_MERGE, infobatch: PAPER_INFOBATCH },
  'mask-only': { mask: PAPER_MASK, merge: null, infobatch: null },
  'merge-only': { mask: null, merge: PRESET_MERGE, infobatch: null },
  'infobatch-only': { mask: null, merge: null, infobatch: PAPER_INFOBATCH },
} as const satisfies Record<string, SparsitySettings>;

export type SparsityPresetName = keyof typeof SPARSITY_PRESETS;

export const SPARSITY_PRESET_NAMES = Object.keys(SPARSITY_PRESETS) as SparsityPresetName[];

export function isSparsityPreset(name: string): name is SparsityPresetName {
  return Object.hasOwn(SPARSITY_PRESETS, name);
}
