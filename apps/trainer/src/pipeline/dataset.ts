import { DEFAULT_INPUTS, type InputSpec } from '@sparsify/amuse-encoder';
import { ConfigError } from '../config/config-error.js';
import type { DataSpec } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { loadSyntheticDataset } from './synthetic-data.js';
import type { BatchSource } from './types.js';

/** Three splits ready to batch, and the input geometry the model must be built for. */
export interface LoadedDataset {
  train: BatchSource;
  val: BatchSource;
  test: BatchSource;
  inputs: InputSpec;
  /** The MUSIC-AVQA-format file the training records came from (key subsets copy from it). */
  trainAnnotationFile: string;
}

/** Loads (generating on first use) the data a config names. */
export async function loadDataset(spec: DataSpec, logger: Logger): Promise<LoadedDataset> {
  const inputs = DEFAULT_INPUTS;
  if (spec.kind === 'synthetic') {
    return { ...(await loadSyntheticDataset(spec, inputs, logger)), inputs };
  }
  throw new ConfigError(
    '--data',
    'music-avqa training needs the media preprocessing cache of @sparsify/avqa-datasets, which is not wired into the trainer yet',
  );
}
