import {
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

/** A finished (or interrupted) run's model with a checkpoint's weights, and its data. */
export async function loadRun(
  runDir: string,
  checkpoint: CheckpointChoice,
  logger: Logger,
  dataset?: LoadedDataset,
): Promise<LoadedRun> {
  const folder = new RunFolder(runDir);
  const config = folder.readJson<TrainConfig>(folder.configPath);
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
