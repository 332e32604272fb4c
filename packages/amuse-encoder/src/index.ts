export { keyBias, PADDING_BIAS } from './attention.js';
export {
  type AmuseConfig,
  type AmuseOptions,
  type Architecture,
  type AudioInputSpec,
  DEFAULT_INPUTS,
  type InputSpec,
  NUM_ANSWERS,
  PRESETS,
  type PresetName,
  QUESTION_LENGTH,
  QUESTION_POOLINGS,
  QUESTION_VOCABULARY_SIZE,
  type QuestionPooling,
  resolveConfig,
  type VideoInputSpec,
} from './config.js';
export { type DescribeOptions, describeModel, type ModelDescription } from './describe.js';
export type {
  HookContext,
  InputMasker,
  MaskedStream,
  ReducedTokens,
  ReducerInput,
  StreamLayout,
  TokenReducer,
} from './hooks.js';
export { perSampleCrossEntropy } from './loss.js';
export {
  type AmuseBatch,
  AmuseModel,
  createAmuseModel,
  type ForwardDiagnostics,
  type ForwardOptions,
  type ForwardResult,
  type StreamDiagnostics,
  type StreamName,
  type StreamOutput,
} from './model.js';
export { type Initializer, ParameterStore, Scope } from './module.js';
export { sinCosGrid, sinCosTable } from './positions.js';
export { PAD_ID } from './question-encoder.js';
export {
  assignParameters,
  CHECKSUM_METADATA_KEY,
  type DecodedSafetensors,
  decodeSafetensors,
  type EncodeOptions,
  encodeSafetensors,
  type HasParameters,
  loadSafetensors,
  type NamedArray,
  parametersToArrays,
  type SafetensorsDtype,
  saveSafetensors,
} from './safetensors.js';
export { sha256Hex } from './sha256.js';
export type { AudioBatch, VideoBatch } from './stream-embedding.js';
