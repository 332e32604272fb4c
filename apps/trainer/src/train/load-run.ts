import {
  type MergeSettings,
  optimisationOf,
  type TrainConfig,
  timeStepsOf,
  validateTrainConfig,
} from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { SparsifiedAmuse } from '../pipeline/amuse-model.js';
import { type LoadedDataset, loadDataset } from '../pipeline/dataset.js';
import { RunFolder } from '../run/run-folder.js';
import { loadCheckpoint } from './checkpoint.js';

export type CheckpointChoice = 'best' | 'last';

export interface LoadedRun {
  folder: RunFolder;
  config: TrainConfig;
  dataset: LoadedDataset;
  model: SparsifiedAmuse;
}

/** What an evaluation may run differently from training; the weights are the same. */
export interface InferenceOverrides {
  /** Level-2 merging at inference instead of the run's own (null: none). */
  merge?: MergeSettings | null;
}

/**
 * A finished (or interrupted) run's model with a checkpoint's weights, and its data. The
 * returned config is the run's with `overrides` applied, so it describes the model built.
 */
export async function loadRun(
  runDir: string,
  checkpoint: CheckpointChoice,
  logger: Logger,
  dataset?: LoadedDataset,
  overrides: InferenceOverrides = {},
): Promise<LoadedRun> {
  const folder = new RunFolder(runDir);
  const trained = folder.readJson<TrainConfig>(folder.configPath);
  const config = overrides.merge === undefined ? trained : withMerge(trained, overrides.merge);
  validateTrainConfig(config);
  const data = dataset ?? (await loadDataset(config.data, logger, timeStepsOf(config)));
  const model = new SparsifiedAmuse(config, data.inputs, {
    perceptionHeads: optimisationOf(config).auxWeight > 0,
    classPerception: config.classPerception === true,
  });
  try {
    await loadCheckpoint(
      checkpoint === 'best' ? folder.bestCheckpointPath : folder.lastCheckpointPath,
      model.parameters,
      null,
      (text) => logger.warn(text),
    );
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { folder, config, dataset: data, model };
}

/**
 * The run's config with another merge at inference. With none, the options that only qualify
 * merging (where tokens may merge, where the perception loss is taken) go with it: they
 * would refuse a config that does not merge.
 */
function withMerge(config: TrainConfig, merge: MergeSettings | null): TrainConfig {
  if (merge !== null) return { ...config, merge };
  const { mergeSameTimeStep: _sameTimeStep, perceptionBeforeMerge: _beforeMerge, ...rest } = config;
  return { ...rest, merge: null };
}
