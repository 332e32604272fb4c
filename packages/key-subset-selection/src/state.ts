import { base64ToFloat32, base64ToUint32, float32ToBase64, uint32ToBase64 } from './base64.js';
import { bitsetWords } from './bitset.js';
import {
  type InfoBatchOptions,
  type ResolvedInfoBatchOptions,
  resolveInfoBatchOptions,
} from './options.js';

export const STATE_FORMAT = '@sparsify/key-subset-selection/infobatch-sampler';
export const STATE_VERSION = 1;

/**
 * The sampler's saved state. Typed arrays are base64 of their little-endian bytes: scores
 * as float32, bitsets as uint32 words (bit i of the set = bit i % 32 of word i / 32).
 */
export interface SamplerStateJSON {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  options: ResolvedInfoBatchOptions;
  /** Last planned epoch, -1 before the first plan. */
  plannedEpoch: number;
  /** The current epoch's mean score (null before the first plan). */
  plannedMeanScore: number | null;
  scores: string;
  /** Kept easy samples of the current epoch (they weigh 1 / (1 - pruneRatio)). */
  upweighted: string;
  /** One bitset per planned epoch. */
  kept: string[];
  /** One bitset per planned epoch when options.recordHard, else empty. */
  hard: string[];
}

/** What the loading side knows: the dataset size it trains on, and optionally other options. */
export type StateExpectation = { size: number } & Partial<InfoBatchOptions>;

/** The decoded state, ready to be put back into a sampler. */
export interface SamplerSnapshot {
  options: ResolvedInfoBatchOptions;
  plannedEpoch: number;
  plannedMeanScore: number;
  scores: Float32Array;
  upweighted: Uint32Array;
  kept: Uint32Array[];
  hard: Uint32Array[];
}

export function encodeSamplerState(snapshot: SamplerSnapshot): SamplerStateJSON {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    options: { ...snapshot.options },
    plannedEpoch: snapshot.plannedEpoch,
    plannedMeanScore: Number.isNaN(snapshot.plannedMeanScore) ? null : snapshot.plannedMeanScore,
    scores: float32ToBase64(snapshot.scores),
    upweighted: uint32ToBase64(snapshot.upweighted),
    kept: snapshot.kept.map(uint32ToBase64),
    hard: snapshot.hard.map(uint32ToBase64),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new Error(`sampler state: field '${field}' must be a list of base64 strings`);
  }
  return value;
}

function base64Field(state: Record<string, unknown>, field: string): string {
  const value = state[field];
  if (typeof value !== 'string')
    throw new Error(`sampler state: field '${field}' must be a base64 string`);
  return value;
}

/** Validates a parsed state against what the loading side expects and decodes it. */
export function decodeSamplerState(state: unknown, expect: StateExpectation): SamplerSnapshot {
  if (!isRecord(state)) throw new Error('sampler state: expected a JSON object');
  if (state['format'] !== STATE_FORMAT) {
    throw new Error(
      `sampler state: format is ${JSON.stringify(state['format'])}, expected "${STATE_FORMAT}"`,
    );
  }
  if (state['version'] !== STATE_VERSION) {
    throw new Error(
      `sampler state: version ${JSON.stringify(state['version'])} is not supported (expected ${STATE_VERSION})`,
    );
  }
  if (!isRecord(state['options']))
    throw new Error("sampler state: field 'options' must be an object");
  let options: ResolvedInfoBatchOptions;
  try {
    options = resolveInfoBatchOptions(state['options'] as unknown as InfoBatchOptions);
  } catch (error) {
    throw new Error(`sampler state: ${(error as Error).message}`);
  }

  if (options.size !== expect.size) {
    throw new Error(
      `sampler state: saved for a dataset of ${options.size} samples, but this dataset has ${expect.size}; ` +
        'the state belongs to another training set',
    );
  }
  for (const [field, expected] of Object.entries(expect)) {
    const saved = (options as Record<string, unknown>)[field];
    if (expected !== undefined && saved !== expected) {
      throw new Error(
        `sampler state: option ${field} was ${JSON.stringify(saved)} when saved, expected ${JSON.stringify(expected)}`,
      );
    }
  }

  const plannedEpoch = state['plannedEpoch'];
  if (
    typeof plannedEpoch !== 'number' ||
    !Number.isInteger(plannedEpoch) ||
    plannedEpoch < -1 ||
    plannedEpoch >= options.epochs
  ) {
    throw new Error(
      `sampler state: plannedEpoch ${JSON.stringify(plannedEpoch)} is not in [-1, ${options.epochs - 1}]`,
    );
  }
  const meanField = state['plannedMeanScore'];
  const plannedMeanScore = meanField === null ? Number.NaN : meanField;
  if (
    typeof plannedMeanScore !== 'number' ||
    (plannedEpoch >= 0 && !Number.isFinite(plannedMeanScore))
  ) {
    throw new Error(
      `sampler state: plannedMeanScore ${JSON.stringify(meanField)} is not a finite number`,
    );
  }

  const words = bitsetWords(options.size);
  const scores = base64ToFloat32(
    base64Field(state, 'scores'),
    options.size,
    "sampler state: field 'scores'",
  );
  const badScore = scores.findIndex((score) => !Number.isFinite(score));
  if (badScore >= 0)
    throw new Error(`sampler state: scores[${badScore}] = ${scores[badScore]} is not finite`);
  const upweighted = base64ToUint32(
    base64Field(state, 'upweighted'),
    words,
    "sampler state: field 'upweighted'",
  );

  const keptText = stringList(state['kept'], 'kept');
  const hardText = stringList(state['hard'], 'hard');
  const epochsRecorded = plannedEpoch + 1;
  if (keptText.length !== epochsRecorded) {
    throw new Error(
      `sampler state: 'kept' holds ${keptText.length} epochs, expected ${epochsRecorded}`,
    );
  }
  const hardExpected = options.recordHard ? epochsRecorded : 0;
  if (hardText.length !== hardExpected) {
    throw new Error(
      `sampler state: 'hard' holds ${hardText.length} epochs, expected ${hardExpected}`,
    );
  }
  const kept = keptText.map((text, epoch) =>
    base64ToUint32(text, words, `sampler state: kept[${epoch}]`),
  );
  const hard = hardText.map((text, epoch) =>
    base64ToUint32(text, words, `sampler state: hard[${epoch}]`),
  );
  return { options, plannedEpoch, plannedMeanScore, scores, upweighted, kept, hard };
}
