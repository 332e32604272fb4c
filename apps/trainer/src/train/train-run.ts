import { existsSync } from 'node:fs';
import type { TrainConfig } from '../config/train-config.js';
import { optimisationOf, timeStepsOf, validateTrainConfig } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { SparsifiedAmuse } from '../pipeline/amuse-model.js';
import { type LoadedDataset, loadDataset } from '../pipeline/dataset.js';
import { applySubset } from '../pipeline/subset.js';
import type { EpochSampler } from '../pipeline/types.js';
import { type RunResults, summariseRun, writeRunResults } from '../report/run-results.js';
import { Rng } from '../rng.js';
import { RunFolder } from '../run/run-folder.js';
import { loadCheckpoint } from './checkpoint.js';
import { predictSplit } from './evaluate.js';
import { InfoBatchEpochSampler } from './infobatch-sampler.js';
import { adapterGates, initFromFile } from './init-from.js';
import type { RunTurn } from './lockstep-turns.js';
import { runTrainingLoop } from './train-loop.js';
import { isOutOfMemory, OutOfMemoryError } from './training-errors.js';
import { UniformSampler } from './uniform-sampler.js';

export interface TrainRunOptions {
  config: TrainConfig;
  /** The run folder; created if missing. */
  runDir: string;
  logger: Logger;
  /** Continue from runDir's last checkpoint, with the config saved there. */
  resume?: boolean;
  /** A name for tables and the report (default: the preset). */
  name?: string;
  /** Data already loaded (the demo trains several runs on one dataset). */
  dataset?: LoadedDataset;
  shouldStop?: () => boolean;
  stepLimit?: number;
  /** Sees the sampler after training (key-subset reads InfoBatch's kept history). */
  onSampler?: (sampler: EpochSampler) => void;
  /** Advance in lockstep with other runs in this process, a step at a time (the demo's timing). */
  turn?: RunTurn;
}

export interface TrainRunOutcome {
  folder: RunFolder;
  config: TrainConfig;
  /** null when the run was interrupted before its last epoch. */
  results: RunResults | null;
}

const SMALLER_PRESET: Record<string, string | undefined> = { base: 'small', small: 'tiny' };

function outOfMemoryAdvice(config: TrainConfig): OutOfMemoryError {
  const smaller = SMALLER_PRESET[config.model];
  const advice = smaller
    ? `the "${smaller}" preset fits in less memory: use --model ${smaller}`
    : `use a smaller batch: --batch-size ${Math.max(1, Math.floor(config.batchSize / 2))}`;
  return new OutOfMemoryError(
    `out of memory training the "${config.model}" preset at batch size ${config.batchSize}; ${advice} (the "tiny" preset at batch size 8 fits in about 1 GB)`,
  );
}

/**
 * A whole run in its folder: config.json, training with validation each epoch and
 * checkpoints, then the best-on-validation checkpoint evaluated on test, results.md/.json
 * and report.html.
 */
export async function trainRun(options: TrainRunOptions): Promise<TrainRunOutcome> {
  const { logger } = options;
  await options.turn?.wait();
  const folder = new RunFolder(options.runDir);
  let config = options.config;
  if (options.resume && existsSync(folder.configPath)) {
    config = folder.readJson<TrainConfig>(folder.configPath);
    validateTrainConfig(config);
  } else {
    if (options.resume) logger.warn(`${folder.dir} has no config.json: starting a new run`);
    folder.create();
    folder.writeJson(folder.configPath, config);
  }
  const name = options.name ?? config.preset;
  const dataset = options.dataset ?? (await loadDataset(config.data, logger, timeStepsOf(config)));
  const train = await applySubset(dataset.train, config.subset, config.seed);
  const model = new SparsifiedAmuse(config, dataset.inputs, {
    perceptionHeads: optimisationOf(config).auxWeight > 0,
  });
  try {
    const resuming = options.resume === true && existsSync(folder.lastCheckpointPath);
    if (config.initFrom && !resuming) {
      const init = initFromFile(config.initFrom, model.parameters);
      logger.event(
        'init-from',
        { file: config.initFrom, loaded: init.loaded.length, fresh: init.fresh },
        `${name}: ${init.loaded.length} of ${model.parameters.size} parameters from ${config.initFrom}`,
      );
    }
    const rng = new Rng(config.seed);
    const sampler: EpochSampler = config.infobatch
      ? new InfoBatchEpochSampler(
          train.records.length,
          config.epochs,
          config.infobatch,
          config.seed,
        )
      : new UniformSampler(train.records.length, rng);
    logger.event(
      'train-start',
      {
        name,
        dir: folder.dir,
        trainSize: train.records.length,
        valSize: dataset.val.records.length,
        config,
      },
      `${name}: training on ${train.records.length} questions (${dataset.val.records.length} validation) in ${folder.dir}`,
    );
    const loop = await runTrainingLoop({
      config,
      model,
      train,
      val: dataset.val,
      sampler,
      rng,
      folder,
      logger,
      resume: options.resume ?? false,
      shouldStop: options.shouldStop,
      stepLimit: options.stepLimit,
      beforeStep: options.turn?.at,
      label: options.turn ? name : undefined,
    });
    options.onSampler?.(sampler);
    if (loop.interrupted) return { folder, config, results: null };

    await loadCheckpoint(folder.bestCheckpointPath, model.parameters, null);
    const test = await predictSplit(
      model,
      dataset.test,
      config.batchSize,
      logger.progress('  test', dataset.test.records.length),
    );
    const results = summariseRun(
      name,
      config,
      loop.state.metrics,
      {
        source: dataset.test,
        predictions: test.predictions,
        tokensKept: test.tokens.videoKept + test.tokens.audioKept,
      },
      { epoch: loop.state.bestEpoch, valAccuracy: loop.state.bestValAccuracy },
      { train: dataset.train.records, gates: adapterGates(model.parameters) },
    );
    writeRunResults(folder, results, loop.state.metrics);
    logger.event('train-end', {
      name,
      overall: results.evaluation.overall,
      trainSeconds: results.trainSeconds,
      report: folder.reportPath,
    });
    return { folder, config, results };
  } catch (error) {
    if (isOutOfMemory(error)) throw outOfMemoryAdvice(config);
    throw error;
  } finally {
    model.dispose();
  }
}
