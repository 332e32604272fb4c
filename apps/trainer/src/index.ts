/** The encoder owns the hook types; the trainer's forward pass takes its HookContext. */
export type { HookContext } from '@sparsify/amuse-encoder';
export {
  type ActiveBackend,
  BACKEND_NAMES,
  BACKEND_PACKAGES,
  type BackendChoice,
  type BackendEnvironment,
  type BackendName,
  type BackendProbe,
  BackendUnavailableError,
  isBackendChoice,
  nodeEnvironment,
  pickAutoBackend,
  probeBackend,
  probeBackends,
  resolveBackend,
  setupBackend,
} from './backends.js';
export { type AskOutcome, askRun } from './commands/ask.js';
export { backendsReport } from './commands/backends.js';
export {
  type CompareOptions,
  compareExperiments,
  type ExperimentComparison,
  type ExperimentRun,
  experimentRuns,
} from './commands/compare.js';
export {
  DEMO_DEFAULTS,
  type DemoOptions,
  type DemoOutcome,
  type DemoParallel,
  runDemo,
} from './commands/demo.js';
export {
  DEFAULT_HELDOUT_VIDEOS,
  type EvalOutcome,
  type EvalSplit,
  evaluateAndSave,
  evaluateRun,
  mergeOverrideLabel,
  type SavedEvaluation,
  savedEvaluationPath,
} from './commands/eval.js';
export {
  type KeySubsetOutcome,
  type KeySubsetRecipe,
  runKeySubset,
} from './commands/key-subset.js';
export { ConfigError } from './config/config-error.js';
export { parseMaskFlag, parseMergeFlag, parseSubsetFlag } from './config/flags.js';
export {
  PAPER_INFOBATCH,
  PAPER_MASK,
  PAPER_MERGE,
  PRESET_MERGE,
  PROJECT_MERGE_ADDITIONS,
  SPARSITY_PRESET_NAMES,
  SPARSITY_PRESETS,
  type SparsityPresetName,
} from './config/sparsity-presets.js';
export {
  type DataSpec,
  type InfoBatchSettings,
  type MaskSettings,
  type MergeSettings,
  mergesAtInference,
  resolveTrainConfig,
  type SparsitySettings,
  type SubsetSpec,
  type TrainConfig,
  validateTrainConfig,
} from './config/train-config.js';
export {
  BENCHMARK_DATA_SEED,
  TRAIN_DEFAULTS,
  TRAIN_FLAGS,
  type TrainFlags,
  type TrainOptions,
} from './config/train-flags.js';
export {
  type LogFormat,
  Logger,
  type LoggerOptions,
  type Progress,
  type ProgressOptions,
} from './log/logger.js';
export { formatDuration, ProgressBar, type ProgressBarOptions } from './log/progress-bar.js';
export { RunEta } from './log/run-eta.js';
export { type LiveLine, TerminalArea, terminalColumns } from './log/terminal-area.js';
export { SparsifiedAmuse } from './pipeline/amuse-model.js';
export { type LoadedDataset, loadDataset } from './pipeline/dataset.js';
export {
  MaskedPatchDecoder,
  type MaskedPatchLoss,
  maskedPositions,
} from './pipeline/masked-patch-decoder.js';
export type {
  ArrayBatch,
  BatchSource,
  EpochOrder,
  EpochSampler,
  ForwardResult,
  TokenCounts,
  TrainableModel,
} from './pipeline/types.js';
export { shippedBackbonePath, TINY_BACKBONE_FILE } from './pretrained.js';
export { buildProgram, type GlobalOptions } from './program.js';
export { type ComparedRun, comparisonMarkdown, comparisonReport } from './report/comparison.js';
export {
  type AccuracyColumn,
  type ReportBaseline,
  type ReportOptions,
  type ReportRun,
  type RunCost,
  renderReport,
  type TemplateScore,
  type TimeClock,
} from './report/html-report.js';
export { type PairedSummary, pairedSummary, tCriticalValue } from './report/paired-stats.js';
export {
  formatTemplateTable,
  perTemplateAccuracy,
  type TemplateAccuracy,
} from './report/per-template.js';
export { type RunResults, resultsMarkdown } from './report/run-results.js';
export { Rng } from './rng.js';
export { writeFileAtomic } from './run/atomic-write.js';
export { type EpochMetrics, RunFolder } from './run/run-folder.js';
export { type LockHolder, RunFolderLockedError, RunLock } from './run/run-lock.js';
export {
  type LoopState,
  loadCheckpoint,
  readCheckpointState,
  saveCheckpoint,
} from './train/checkpoint.js';
export { predictSplit, type SplitPredictions } from './train/evaluate.js';
export {
  decayedParameterNames,
  FlatAdam,
  type FlatAdamExtras,
  trainingOptimizer,
} from './train/flat-adam.js';
export { InfoBatchEpochSampler } from './train/infobatch-sampler.js';
export {
  adapterGates,
  type InitFromOutcome,
  initFromFile,
  type PretrainingData,
  pretrainingDataOf,
} from './train/init-from.js';
export type { InferenceOverrides } from './train/load-run.js';
export { LockstepTurns, type RunTurn } from './train/lockstep-turns.js';
export {
  type CosineSchedule,
  cosineLearningRate,
  stepDecayLearningRate,
} from './train/lr-schedule.js';
export {
  DEFAULT_PATCH_MASK_RATIO,
  MaskedPatchObjective,
  type MaskedPatchScores,
  type MaskedPretrainOutcome,
  pretrainMaskedPatches,
} from './train/masked-pretrain.js';
export {
  type PerceptionScores,
  type PretrainOutcome,
  perceptionScores,
  pretrainBackbone,
} from './train/pretrain.js';
export {
  runTrainingLoop,
  type TrainLoopOptions,
  type TrainLoopResult,
} from './train/train-loop.js';
export { type TrainRunOptions, type TrainRunOutcome, trainRun } from './train/train-run.js';
export { NonFiniteLossError, OutOfMemoryError } from './train/training-errors.js';
export { UniformSampler } from './train/uniform-sampler.js';
