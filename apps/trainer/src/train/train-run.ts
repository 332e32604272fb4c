import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import type { TrainConfig } from '../config/train-config.js';
import { optimisationOf, timeStepsOf, validateTrainConfig } from '../config/train-config.js';
import type { Logger } from '../log/logger.js';
import { SparsifiedAmuse } from '../pipeline/amuse-model.js';
import { type LoadedDataset, loadDataset } from '../pipeline/dataset.js';
import { applySubset } from '../pipeline/subset.js';
import type { EpochSampler } from '../pipeline/types.js';
import { blindBaselineColumns } from '../report/blind-baselines.js';
import { type RunResults, summariseRun, writeRunResults } from '../report/run-results.js';
import { Rng } from '../rng.js';
import { RunFolder } from '../run/run-folder.js';
import { RunLock } from '../run/run-lock.js';
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
  /**
   * With `resume`: continue with this learning rate instead of the saved one (after a NaN
   * stop); config.json records it. The run then no longer equals an uninterrupted one.
   */
  resumeLearningRate?: number;
  /** Replace a run already in runDir; without it (and without `resume`) such a folder is refused. */
  overwrite?: boolean;
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
  let config = options.resume ? resumedConfig(folder, options.resumeLearningRate) : options.config;
  validateTrainConfig(config);
  if (!options.resume && !options.overwrite) refuseExistingRun(folder);
  // Everything a bad config or missing data can fail on runs before the folder is touched.
  const name = options.name ?? config.preset;
  const dataset = options.dataset ?? (await loadDataset(config.data, logger, timeStepsOf(config)));
  const train = await applySubset(dataset.train, config.subset, config.seed);
  if (dataset.val.records.length === 0) {
    // The best checkpoint is chosen on validation; "val accuracy 0" would look measured.
    throw new ConfigError(
      '--data',
      `the validation split of ${describeData(config)} has no questions, so no epoch can be chosen as best; use more videos (--videos) or a dataset with a validation split`,
    );
  }
  const model = new SparsifiedAmuse(config, dataset.inputs, {
    perceptionHeads: optimisationOf(config).auxWeight > 0,
    classPerception: config.classPerception === true,
  });
  let lock: RunLock | null = null;
  try {
    // Before the folder is touched, so that a bad --init-from file leaves nothing behind.
    const resuming = options.resume === true && existsSync(folder.lastCheckpointPath);
    if (config.initFrom && !resuming) {
      // A resumed run that never reached a checkpoint loads the file again: it must be the same.
      const init = initFromFile(
        config.initFrom,
        model.parameters,
        options.resume ? config.initFromSha256 : undefined,
      );
      config = { ...config, initFromSha256: init.sha256, initFromData: init.pretrainingData };
      logger.event(
        'init-from',
        { file: config.initFrom, loaded: init.loaded.length, fresh: init.fresh },
        `${name}: ${init.loaded.length} of ${model.parameters.size} parameters from ${config.initFrom}`,
      );
    }
    folder.create();
    lock = RunLock.acquire(folder.dir, (text) => logger.warn(text));
    if (!options.resume && folder.holdsRun()) {
      // Checked again under the lock: another run may have finished into it meanwhile.
      if (!options.overwrite) refuseExistingRun(folder);
      logger.warn(`replacing the run in ${folder.dir}`);
      folder.removeRunFiles();
      folder.create();
    }
    const abandoned = folder.removeAbandonedTempFiles();
    if (abandoned.length > 0) {
      logger.warn(
        `removed ${abandoned.length} unfinished temp file(s) a killed run left: ${abandoned.join(', ')}`,
      );
    }
    if (options.resume && options.resumeLearningRate !== undefined) {
      logger.warn(
        `resuming with --lr ${config.lr} (config.json updated): the run no longer equals an uninterrupted one`,
      );
    }
    if (!options.resume || options.resumeLearningRate !== undefined) {
      folder.writeJson(folder.configPath, config);
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

    await loadCheckpoint(folder.bestCheckpointPath, model.parameters, null, (text) =>
      logger.warn(text),
    );
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
    // Blind baselines fitted on the whole training split, as `demo` shows them.
    await writeRunResults(folder, results, loop.state.metrics, {
      baselines: blindBaselineColumns(dataset.train.records, dataset.test.records),
    });
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
    lock?.release();
  }
}

function describeData(config: TrainConfig): string {
  return config.data.kind === 'synthetic'
    ? `the synthetic benchmark of ${config.data.videos} videos (${config.data.dir})`
    : config.data.root;
}

/** Run folders beside `dir`, to suggest when `--resume` names one that is not there. */
function runFoldersBeside(dir: string): string[] {
  const parent = dirname(dir);
  if (!existsSync(parent)) return [];
  return readdirSync(parent, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== basename(dir))
    .filter((entry) => existsSync(join(parent, entry.name, 'config.json')))
    .map((entry) => join(parent, entry.name))
    .slice(0, 8);
}

/** The config a resumed run continues with; refuses a folder that holds no run. */
function resumedConfig(folder: RunFolder, learningRate: number | undefined): TrainConfig {
  if (!existsSync(folder.configPath)) {
    const nearby = runFoldersBeside(folder.dir);
    throw new ConfigError(
      '--resume',
      `${folder.dir} ${existsSync(folder.dir) ? 'is not a run folder (no config.json)' : 'does not exist'}; nothing to resume` +
        (nearby.length > 0 ? ` (run folders beside it: ${nearby.join(', ')})` : ''),
    );
  }
  const saved = folder.readJson<TrainConfig>(folder.configPath);
  return learningRate === undefined ? saved : { ...saved, lr: learningRate };
}

function refuseExistingRun(folder: RunFolder): void {
  if (!folder.holdsRun()) return;
  throw new ConfigError(
    '--out',
    `${folder.dir} already holds a run; continue it with --resume ${folder.dir}, replace it with --overwrite, or choose another --out`,
  );
}
