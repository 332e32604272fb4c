export { type AdditionalVideo, parseAdditionalVideosCsv } from './annotations/additional-videos.js';
export { AnnotationError } from './annotations/annotation-error.js';
export type { AvqaRecord, RawAvqaRecord } from './annotations/avqa-record.js';
export {
  applyDuplicatePolicy,
  type DuplicatePolicy,
  type DuplicateQuestionId,
  findDuplicateQuestionIds,
} from './annotations/duplicate-question-ids.js';
export {
  type AnnotationSet,
  type ParseAnnotationsOptions,
  parseAnnotations,
  type SkippedRecords,
  type UnknownPolicy,
} from './annotations/parse-annotations.js';
export { musicAvqaQuestionType } from './annotations/question-type.js';
export {
  AVQA_TYPES,
  type AvqaType,
  type AvqaTypeInfo,
  findAvqaType,
  MODALITIES,
  type Modality,
  type QuestionKind,
} from './annotations/question-types.js';
export { readAnnotationFile } from './annotations/read-annotation-file.js';
export { fillQuestion, tokenizeQuestion } from './annotations/tokenize-question.js';
export { assertSafeVideoId, isSafeVideoId, videoIdProblem } from './annotations/video-id.js';
export {
  type CacheOutcome,
  cacheEntryPath,
  loadOrBuildCacheEntry,
  readCacheEntry,
  sourceFingerprint,
  writeCacheEntry,
} from './cache/cache-store.js';
export {
  CACHE_FORMAT_VERSION,
  CACHE_MAGIC,
  CacheEntryError,
  type CacheHeader,
  decodeCacheEntry,
  encodeCacheEntry,
} from './cache/entry-format.js';
export {
  type MergeCacheOptions,
  type MergeCacheSummary,
  mergeCache,
} from './cache/merge-cache.js';
export {
  PACKED_FILES,
  type PackedHeader,
  readPackedHeader,
  readPackedInputs,
  writePackedInputs,
} from './cache/packed-inputs.js';
export {
  DEFAULT_FFMPEG_THREADS,
  type PrepareDatasetOptions,
  type PrepareJob,
  type PrepareProgress,
  type PrepareSummary,
  prepareDataset,
} from './cache/prepare-dataset.js';
export { preprocessRendered, preprocessVideo } from './cache/preprocess-video.js';
export {
  DEFAULT_PREPROCESS_SETTINGS,
  type PreprocessSettings,
  type PreprocessSettingsInput,
  resolveSettings,
  settingsHash,
} from './cache/settings.js';
export { inShard, parseShard, type Shard, videoIdHash } from './cache/shard.js';
export type { VideoSample } from './cache/video-sample.js';
export {
  type AccuracyCount,
  type AvqaEvaluation,
  type AvqaPrediction,
  type AvqaPredictions,
  type EvaluateOptions,
  evaluatePredictions,
} from './eval/evaluate.js';
export {
  type FormatResultsOptions,
  formatResultsTable,
  type NamedEvaluation,
  RESULT_COLUMNS,
  type ResultColumn,
  type ResultsTableJson,
  resultsTableJson,
} from './eval/results-table.js';
export {
  clipFrameLayout,
  type FeatureLayout,
  featureFilePath,
  type LoadFeaturesOptions,
  loadFeatures,
  RES18_14X14_LAYOUT,
  VGGISH_LAYOUT,
} from './features/feature-layouts.js';
export { readFeatureSteps } from './features/feature-steps.js';
export { float16ToNumber, numberToFloat16 } from './features/float16.js';
export {
  checkNpyLength,
  decodeNpyValues,
  type EncodeNpyOptions,
  encodeNpy,
  type NpyArray,
  type NpyFloatType,
  type NpyHeader,
  parseNpy,
  parseNpyHeader,
} from './features/npy.js';
export { type NpyTimeSteps, readNpy, readNpyTimeSteps, writeNpy } from './features/npy-file.js';
export { reorderFortran, type ShapedArray, shapeSize } from './features/shaped-array.js';
export {
  keptTimeSteps,
  subsampleTimeSteps,
  type TemporalSampling,
} from './features/temporal-sampling.js';
export {
  type BatchLoader,
  type BatchLoaderOptions,
  createBatchLoader,
  type EpochOptions,
  type EpochOrder,
} from './loader/batch-loader.js';
export {
  type Batch,
  createDataLoader,
  type DataLoader,
  type DataLoaderOptions,
  type LoaderRecord,
} from './loader/data-loader.js';
export {
  createInputStacker,
  type InputBatch,
  type InputStackerOptions,
  type StackRecord,
  type VideoInputs,
  type VideoInputsLookup,
} from './loader/input-batch.js';
export {
  cacheSource,
  memorySource,
  syntheticSource,
  type VideoSampleSource,
} from './loader/sample-sources.js';
export { spreadTimeSteps, uniformTimeSteps } from './loader/time-steps.js';
export {
  datasetClipSeconds,
  datasetMediaFiles,
  MUSIC_AVQA_SECONDS,
} from './media/dataset-media.js';
export {
  type AudioDecodeOptions,
  type DecodedFrames,
  decodeAudio,
  decodeFramesFolder,
  decodeMedia,
  decodeVideoFrames,
  decodeWavFile,
  type MediaFiles,
  mediaSeconds,
  padAudio,
  padFrames,
  type VideoDecodeOptions,
} from './media/decode.js';
export {
  analysisWindow,
  DEFAULT_FBANK_OPTIONS,
  type Fbank,
  type FbankOptions,
  fbankFrameCount,
  fbankPerSecond,
  kaldiFbank,
  type WindowType,
} from './media/fbank.js';
export { resolveFfmpeg, runFfmpeg } from './media/ffmpeg.js';
export { inverseMelScale, melFilterBank, melScale } from './media/mel.js';
export { encodePng } from './media/png.js';
export { encodeWav, parseWav, toMono, type WavAudio } from './media/wav.js';
export {
  type DatasetStats,
  type DatasetStatsOptions,
  datasetStats,
  formatDatasetStats,
  type VideoOverlap,
} from './stats/dataset-stats.js';
export {
  normaliseValues,
  type ValueStatistics,
  valueStatistics,
} from './stats/value-statistics.js';
export { majorityAnswerBaseline, questionOnlyBaseline } from './synth/baselines.js';
export {
  DEFAULT_SYNTHETIC_OPTIONS,
  frameDims,
  generateSyntheticBenchmark,
  readSyntheticScenes,
  renderSceneMedia,
  type SyntheticBenchmark,
  type SyntheticBenchmarkOptions,
  synthesizeAnnotations,
  synthesizeHeldoutTest,
} from './synth/generate.js';
export {
  COUNT_WORDS,
  countWord,
  INSTRUMENT_CLASSES,
  INSTRUMENTS,
  type InstrumentClass,
  type InstrumentLook,
  type InstrumentSpec,
  type InstrumentTimbre,
  type Shape,
} from './synth/instruments.js';
export {
  SPLITS,
  type SplitName,
  SYNTH_LAYOUT,
  type SyntheticMedia,
  syntheticMediaFiles,
} from './synth/layout.js';
export {
  PERCEPTION_CLASSES,
  type PerceptionTargetOptions,
  type PerceptionTargets,
  perceptionTargets,
  SILENT_LEVEL_DB,
} from './synth/perception.js';
export { type QuestionCandidate, questionsForScene } from './synth/questions.js';
export { createRandom, deriveSeed, type Random } from './synth/random.js';
export { renderAudio, renderStem } from './synth/render-audio.js';
export {
  forEachInstrumentPixel,
  type RenderedFrames,
  renderFrames,
} from './synth/render-frames.js';
export {
  isSounding,
  onsetOf,
  type Position,
  playingSeconds,
  positionOf,
  randomScene,
  type Scene,
  type SceneInstrument,
  type SceneOptions,
} from './synth/scene.js';
export {
  SYNTHETIC_FEATURE_SEED,
  syntheticClip,
  syntheticResnet18,
  syntheticVggish,
} from './synth/synthetic-features.js';
export {
  QUESTION_TEMPLATES,
  type QuestionTemplate,
  type TemplateType,
  templateById,
} from './synth/templates.js';
export {
  ANSWER_VOCABULARY,
  MAX_QUESTION_TOKENS,
  PAD_TOKEN,
  QUESTION_VOCABULARY,
} from './vocab/official-vocabulary.js';
export {
  type AvqaVocabularies,
  buildVocabularies,
  decodeQuestion,
  encodeQuestion,
  OFFICIAL_VOCABULARIES,
  padTokens,
  Vocabulary,
} from './vocab/vocabulary.js';
