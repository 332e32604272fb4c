export { majorityAnswerBaseline, questionOnlyBaseline } from './baselines.js';
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
} from './generate.js';
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
} from './instruments.js';
export {
  SPLITS,
  type SplitName,
  SYNTH_LAYOUT,
  type SyntheticMedia,
  syntheticMediaFiles,
} from './layout.js';
export {
  PERCEPTION_CLASSES,
  type PerceptionTargetOptions,
  type PerceptionTargets,
  perceptionTargets,
  SILENT_LEVEL_DB,
} from './perception.js';
export { type QuestionCandidate, questionsForScene } from './questions.js';
export { createRandom, deriveSeed, type Random } from './random.js';
export { renderAudio, renderStem } from './renderAudio.js';
export { forEachInstrumentPixel, type RenderedFrames, renderFrames } from './renderFrames.js';
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
} from './scene.js';
export {
  SYNTHETIC_FEATURE_SEED,
  syntheticClip,
  syntheticResnet18,
  syntheticVggish,
} from './syntheticFeatures.js';
export {
  QUESTION_TEMPLATES,
  type QuestionTemplate,
  type TemplateType,
  templateById,
} from './templates.js';
