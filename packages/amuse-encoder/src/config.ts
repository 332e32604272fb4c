/**
 * Model configuration: an architecture preset plus the input geometry. Presets are flat
 * (isotropic) transformers. AMUSE uses Swin-V2 tiny, a hierarchical net whose width grows
 * 96 -> 768; `base` (width 384, 12 blocks) is the flat transformer of similar cost.
 */

/** Video frames [B*T, H, W, 3] (the memory of [B, T, H, W, 3]); or pre-extracted features. */
export type VideoInputSpec =
  | { kind: 'frames'; timeSteps: number; height: number; width: number }
  /**
   * ResNet-18 14x14 maps [B*T, 512, 196] (the memory of [B, T, 512, 14, 14]), average-pooled
   * to grid x grid tokens per step (default 14; 7 quarters the tokens).
   */
  | { kind: 'resnet18'; timeSteps: number; grid?: 1 | 2 | 7 | 14 }
  /** CLIP frame features [B, T, 768]. */
  | { kind: 'clip'; timeSteps: number };

/** Kaldi fbank windows [B, T, frames, melBins]; or VGGish features [B, T, 128]. */
export type AudioInputSpec =
  | { kind: 'fbank'; timeSteps: number; frames: number; melBins: number }
  | { kind: 'vggish'; timeSteps: number };

export interface InputSpec {
  video: VideoInputSpec;
  audio: AudioInputSpec;
}

export interface Architecture {
  /** Token width D, shared by both streams, the backbone and the question encoder. */
  width: number;
  /** Shared backbone blocks. */
  depth: number;
  heads: number;
  /** MLP hidden width = mlpRatio * width. */
  mlpRatio: number;
  /** Blocks [0, questionAdapterBlocks) carry question adapters, the rest audio<->video ones. */
  questionAdapterBlocks: number;
  /** Transformer layers of the question encoder. */
  questionLayers: number;
  /** Square patch side for frames and fbank windows. */
  patchSize: number;
  /** The token reducer runs after this block (0-based). */
  reduceAfterBlock: number;
  /**
   * Initial value of every cross-modal adapter's gate. At 0 (LLaMA-Adapter's zero gating,
   * meant to protect a pretrained backbone) the adapters' own weights get no gradient until
   * the gate has moved, and trained from scratch the audio<->video gates stayed at ~0.000
   * for 5,376 steps: a small non-zero gate lets both learn from the first step.
   */
  adapterGateInit: number;
  /**
   * Amplitude of the sin-cos tables the time and space embeddings start from; they are added
   * after a LayerNorm of the patch embeddings (per-value RMS 1), so at 0.5 position is about
   * half of a token's norm. At std 0.02 beside unnormalised patch embeddings position ended
   * training at a small fraction of a token's norm.
   */
  positionScale: number;
  /**
   * How the question's word tokens become the one vector the fusion gates with. 'mean' (AMUSE)
   * averages them: the residual stream carries each word's embedding plus its position, and a
   * sum is blind to their order, so "Is the A louder than the B?" and "Is the B louder than
   * the A?" pooled to nearly the same vector and got the same answer (issue 21i: a trained run
   * changed P(yes) by 0.001 on average when the operands swapped, while the truth always
   * flips). 'ordered' adds a learned per-position weighting of the tokens (zero at the start,
   * so it starts as 'mean'), a linear read-out that can tell which word stands where.
   */
  questionPooling: QuestionPooling;
  /**
   * Whether the answer head also reads the pooled question through its own linear map
   * (zero at the start, so the model starts as AMUSE's). In AMUSE the question reaches the
   * head only as sigmoid gates on the two streams' means, so a question-only prior (e.g.
   * which instrument tends to be "more rhythmic") and anything that depends on which operand
   * is named first must pass through those gates; issue 21i found the trained model gave the
   * same answer to "Is A louder than B?" and "Is B louder than A?".
   */
  questionInHead: boolean;
  /**
   * Whether the answer logits also get a low-rank bilinear term of the pooled question and
   * the pooled streams, V((A q + a) * (C_a s_a + C_v s_v + c)), V zero at the start (so the
   * model starts as AMUSE's). A comparison ("Is the A louder than the B?") needs a signed
   * difference of two instruments' levels chosen by the question: a product of question and
   * stream, which sigmoid gates on the stream means cannot form. Use with
   * questionPooling 'ordered', or the question cannot tell which operand is first.
   */
  comparisonHead: boolean;
  /**
   * Whether each audio token also gets back the two numbers its patch embedding's LayerNorm
   * removes: the embedding's mean and log RMS over the width, projected to the width by a
   * learned [2, D] table (zero at the start, so the model starts as without it) and added
   * after the norm. The norm makes every token the same size, so how loud a patch is
   * survives only as a direction: issue 21m's per-class read-out of "Is A louder than B?"
   * lost 3-5 points at the norm and got them back with this table (a small loss: most of
   * the level is lost in the mix itself and at the answer head). The shipped backbone has
   * no such table: it loads with the table at zero.
   */
  audioTokenLevel: boolean;
}

export type QuestionPooling = 'mean' | 'ordered';
export const QUESTION_POOLINGS: readonly QuestionPooling[] = ['mean', 'ordered'];

export type PresetName = 'tiny' | 'small' | 'base';

export const PRESETS: Readonly<Record<PresetName, Readonly<Architecture>>> = {
  /** Trains an epoch of the synthetic benchmark in minutes on 2 CPU cores (wasm). */
  tiny: {
    width: 64,
    depth: 4,
    heads: 4,
    mlpRatio: 2,
    questionAdapterBlocks: 2,
    questionLayers: 2,
    patchSize: 16,
    reduceAfterBlock: 1,
    adapterGateInit: 0.1,
    positionScale: 0.5,
    questionPooling: 'mean',
    questionInHead: false,
    comparisonHead: false,
    audioTokenLevel: false,
  },
  small: {
    width: 192,
    depth: 6,
    heads: 4,
    mlpRatio: 4,
    questionAdapterBlocks: 3,
    questionLayers: 2,
    patchSize: 16,
    reduceAfterBlock: 2,
    adapterGateInit: 0.1,
    positionScale: 0.5,
    questionPooling: 'mean',
    questionInHead: false,
    comparisonHead: false,
    audioTokenLevel: false,
  },
  /** Swin-tiny-like cost, flat: width 384, 12 blocks. */
  base: {
    width: 384,
    depth: 12,
    heads: 6,
    mlpRatio: 4,
    questionAdapterBlocks: 6,
    questionLayers: 2,
    patchSize: 16,
    reduceAfterBlock: 3,
    adapterGateInit: 0.1,
    positionScale: 0.5,
    questionPooling: 'mean',
    questionInHead: false,
    comparisonHead: false,
    audioTokenLevel: false,
  },
};

/** The official MUSIC-AVQA vocabularies: 93 question words (id 0 = '<pad>'), 42 answers. */
export const QUESTION_VOCABULARY_SIZE = 93;
export const QUESTION_LENGTH = 14;
export const NUM_ANSWERS = 42;

/** 5 frames of 64x64 and 5 fbank windows of 64 frames x 64 mel bins. */
export const DEFAULT_INPUTS: InputSpec = {
  video: { kind: 'frames', timeSteps: 5, height: 64, width: 64 },
  audio: { kind: 'fbank', timeSteps: 5, frames: 64, melBins: 64 },
};

export interface AmuseConfig extends Architecture {
  preset: PresetName | 'custom';
  inputs: InputSpec;
  vocabularySize: number;
  questionLength: number;
  numAnswers: number;
  seed: number;
}

/** What createAmuseModel accepts: a preset, overrides of any field, inputs and seed. */
export interface AmuseOptions extends Partial<Architecture> {
  preset?: PresetName;
  inputs?: InputSpec;
  vocabularySize?: number;
  questionLength?: number;
  numAnswers?: number;
  seed?: number;
}

/** Fills defaults from the preset (tiny when none) and checks every field. */
export function resolveConfig(options: AmuseOptions = {}): AmuseConfig {
  const presetName = options.preset ?? 'tiny';
  const preset = PRESETS[presetName];
  if (preset === undefined) {
    throw new Error(`unknown preset "${presetName}" (expected ${Object.keys(PRESETS).join(', ')})`);
  }
  const { preset: _preset, ...overrides } = options;
  const config: AmuseConfig = {
    ...preset,
    inputs: DEFAULT_INPUTS,
    vocabularySize: QUESTION_VOCABULARY_SIZE,
    questionLength: QUESTION_LENGTH,
    numAnswers: NUM_ANSWERS,
    seed: 42,
    ...stripUndefined(overrides),
    preset: Object.keys(stripUndefined(overrides)).some((k) => k in preset) ? 'custom' : presetName,
  };
  validateConfig(config);
  return config;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`config.${name} must be a positive integer, got ${value}`);
  }
}

function validateConfig(config: AmuseConfig): void {
  for (const key of [
    'width',
    'depth',
    'heads',
    'questionLayers',
    'patchSize',
    'vocabularySize',
    'questionLength',
    'numAnswers',
  ] as const) {
    positiveInteger(key, config[key]);
  }
  if (config.width % config.heads !== 0) {
    throw new Error(
      `config.width (${config.width}) must be divisible by config.heads (${config.heads})`,
    );
  }
  for (const key of ['adapterGateInit', 'positionScale'] as const) {
    if (!Number.isFinite(config[key]) || config[key] < 0) {
      throw new Error(`config.${key} must be a finite number >= 0, got ${config[key]}`);
    }
  }
  for (const key of ['questionInHead', 'comparisonHead', 'audioTokenLevel'] as const) {
    if (typeof config[key] !== 'boolean') {
      throw new Error(`config.${key} must be true or false, got ${String(config[key])}`);
    }
  }
  if (!QUESTION_POOLINGS.includes(config.questionPooling)) {
    throw new Error(
      `config.questionPooling must be ${QUESTION_POOLINGS.join(' or ')}, got ${String(config.questionPooling)}`,
    );
  }
  if (!(config.mlpRatio > 0))
    throw new Error(`config.mlpRatio must be > 0, got ${config.mlpRatio}`);
  if (!Number.isInteger(config.questionAdapterBlocks) || config.questionAdapterBlocks < 0) {
    throw new Error(`config.questionAdapterBlocks must be an integer >= 0`);
  }
  if (config.questionAdapterBlocks > config.depth) {
    throw new Error(
      `config.questionAdapterBlocks (${config.questionAdapterBlocks}) exceeds config.depth (${config.depth})`,
    );
  }
  if (
    !Number.isInteger(config.reduceAfterBlock) ||
    config.reduceAfterBlock < 0 ||
    config.reduceAfterBlock >= config.depth
  ) {
    throw new Error(
      `config.reduceAfterBlock must be a block index in [0, ${config.depth - 1}], got ${config.reduceAfterBlock}`,
    );
  }
  const { video, audio } = config.inputs;
  positiveInteger('inputs.video.timeSteps', video.timeSteps);
  positiveInteger('inputs.audio.timeSteps', audio.timeSteps);
  const p = config.patchSize;
  if (video.kind === 'frames' && (video.height % p !== 0 || video.width % p !== 0)) {
    throw new Error(
      `config.inputs.video frames ${video.height}x${video.width} are not divisible by patchSize ${p}`,
    );
  }
  if (
    video.kind === 'resnet18' &&
    video.grid !== undefined &&
    ![1, 2, 7, 14].includes(video.grid)
  ) {
    throw new Error(`config.inputs.video.grid must divide 14 (1, 2, 7 or 14), got ${video.grid}`);
  }
  if (audio.kind === 'fbank' && (audio.frames % p !== 0 || audio.melBins % p !== 0)) {
    throw new Error(
      `config.inputs.audio fbank ${audio.frames}x${audio.melBins} is not divisible by patchSize ${p}`,
    );
  }
}
