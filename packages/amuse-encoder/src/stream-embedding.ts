/**
 * From raw inputs to tokens with positions, per stream. Every input is patchified with
 * reshapes and one rank-4 transpose, then embedded by a single 2-D matmul (no convolution:
 * its filter gradient is missing on wasm; no rank-5 tensor: slow on wasm). Each stream has
 * its own patch embedding into the shared width (AMUSE instead repeats the spectrogram to
 * 3 channels and reuses the frame embedding of its shared Swin; with separate embeddings
 * the backbone is still shared), normalised by a LayerNorm so its scale is known, then
 * learned time and space embeddings (starting from sin-cos tables of amplitude
 * `positionScale`) are added, before the input masker sees the tokens, so a kept token
 * keeps its position.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AudioInputSpec, VideoInputSpec } from './config.js';
import type { StreamLayout } from './hooks.js';
import { LayerNorm, Linear } from './layers.js';
import { type Scope, zeros } from './module.js';
import { sinCosGrid, sinCosTable } from './positions.js';

export type VideoBatch =
  /** int or float [B*T, H, W, 3], the memory of [B, T, H, W, 3]. */
  | { kind: 'frames'; frames: tf.Tensor4D }
  /** [B*T, 512, 196], the memory of ResNet-18's [B, T, 512, 14, 14]. */
  | { kind: 'resnet18'; maps: tf.Tensor3D }
  /** [B, T, 768] */
  | { kind: 'clip'; features: tf.Tensor3D };

export type AudioBatch =
  /** [B, T, frames, melBins] */
  | { kind: 'fbank'; fbank: tf.Tensor4D }
  /** [B, T, 128] */
  | { kind: 'vggish'; features: tf.Tensor3D };

const RESNET_CHANNELS = 512;
const RESNET_GRID = 14;
const RESNET_CELLS = RESNET_GRID * RESNET_GRID;
const CLIP_FEATURES = 768;
const VGGISH_FEATURES = 128;
const RGB = 3;
/** Added to the variance before the log, as the LayerNorm's own epsilon. */
const LEVEL_EPSILON = 1e-5;

/** How one input kind becomes tokens: values per token and tokens per time step. */
export interface TokenGeometry {
  /** Values in one patch (or feature vector): the patch embedding's input width. */
  patchValues: number;
  tokensPerStep: number;
  frequencyBands?: number;
}

export function tokenGeometry(spec: VideoInputSpec | AudioInputSpec, patch: number): TokenGeometry {
  switch (spec.kind) {
    case 'frames':
      return {
        patchValues: patch * patch * RGB,
        tokensPerStep: (spec.height / patch) * (spec.width / patch),
      };
    case 'fbank':
      return {
        patchValues: patch * patch,
        tokensPerStep: (spec.frames / patch) * (spec.melBins / patch),
        frequencyBands: spec.melBins / patch,
      };
    case 'resnet18': {
      const grid = spec.grid ?? RESNET_GRID;
      return { patchValues: RESNET_CHANNELS, tokensPerStep: grid * grid };
    }
    case 'clip':
      return { patchValues: CLIP_FEATURES, tokensPerStep: 1 };
    case 'vggish':
      return { patchValues: VGGISH_FEATURES, tokensPerStep: 1 };
  }
}

/** The rows x cols grid of a step's tokens (row-major), for the 2-D space table. */
function spatialGrid(
  spec: VideoInputSpec | AudioInputSpec,
  patch: number,
  tokensPerStep: number,
): [number, number] {
  if (spec.kind === 'frames') return [spec.height / patch, spec.width / patch];
  if (spec.kind === 'fbank') return [spec.frames / patch, spec.melBins / patch];
  const side = Math.round(Math.sqrt(tokensPerStep));
  return side * side === tokensPerStep ? [side, side] : [1, tokensPerStep];
}

function expectShape(what: string, actual: number[], expected: number[], why: string): void {
  if (actual.length !== expected.length || actual.some((size, i) => size !== expected[i])) {
    throw new Error(
      `${what} has shape [${actual.join(', ')}], expected [${expected.join(', ')}] (${why})`,
    );
  }
}

/**
 * Square patches of side p, row-major over the patch grid:
 * [R, H, W, C] -> [R * (H/p) * (W/p), p * p * C]. Also used for fbank ([B*T, F, M, 1]).
 */
export function patchify(images: tf.Tensor4D, patch: number): tf.Tensor2D {
  const [rows, height, width, channels] = images.shape;
  const gridH = height / patch;
  const gridW = width / patch;
  // [R*gridH, p, gridW, p*C] -> [R*gridH, gridW, p, p*C]: one rank-4 transpose.
  const strips = tf.reshape(images, [rows * gridH, patch, gridW, patch * channels]);
  const patches = tf.transpose(strips, [0, 2, 1, 3]);
  return tf.reshape(patches, [rows * gridH * gridW, patch * patch * channels]);
}

/**
 * Channels-first ResNet maps [R, 512, 196] -> one token per cell of a grid x grid average
 * pooling, row-major: [R * grid * grid, 512].
 */
export function resnetCells(maps: tf.Tensor3D, grid: number): tf.Tensor2D {
  const rows = maps.shape[0];
  const cells = tf.transpose(maps, [0, 2, 1]);
  if (grid === RESNET_GRID) return tf.reshape(cells, [rows * RESNET_CELLS, RESNET_CHANNELS]);
  // Average f x f cells at rank <= 4: first over cell rows, then over cell columns.
  const f = RESNET_GRID / grid;
  const cellRows = tf.mean(tf.reshape(cells, [rows * grid, f, grid, f * RESNET_CHANNELS]), 1);
  return tf.mean(tf.reshape(cellRows, [rows * grid * grid, f, RESNET_CHANNELS]), 1);
}

export class StreamEmbedding {
  readonly geometry: TokenGeometry;
  readonly embed: Linear;
  /** Normalises the patch embeddings, so positions keep a known share of a token. */
  readonly embedNorm: LayerNorm;
  /** [T, D] */
  readonly timeEmbedding: tf.Variable;
  /** [tokensPerStep, D] */
  readonly spaceEmbedding: tf.Variable;
  /**
   * [2, D], zero at the start, or null: maps each token's pre-norm mean and log RMS (what
   * embedNorm removes) to the width, added after the norm (`keepLevel`, config
   * `audioTokenLevel`): with it the token is again a lossless function of its embedding.
   */
  readonly levelEmbedding: tf.Variable | null;

  constructor(
    scope: Scope,
    readonly stream: 'video' | 'audio',
    readonly spec: VideoInputSpec | AudioInputSpec,
    readonly width: number,
    readonly patchSize: number,
    positionScale = 0.5,
    keepLevel = false,
  ) {
    this.geometry = tokenGeometry(spec, patchSize);
    this.embed = new Linear(scope.child('embed'), this.geometry.patchValues, width);
    this.embedNorm = new LayerNorm(scope.child('embedNorm'), width);
    this.levelEmbedding = keepLevel ? scope.param('levelEmbedding', [2, width], zeros) : null;
    this.timeEmbedding = scope.param('timeEmbedding', [spec.timeSteps, width], {
      kind: 'values',
      values: sinCosTable(spec.timeSteps, width, positionScale),
    });
    const [rows, cols] = spatialGrid(spec, patchSize, this.geometry.tokensPerStep);
    this.spaceEmbedding = scope.param('spaceEmbedding', [this.geometry.tokensPerStep, width], {
      kind: 'values',
      values: sinCosGrid(rows, cols, width, positionScale),
    });
  }

  get layout(): StreamLayout {
    const layout: StreamLayout = {
      stream: this.stream,
      timeSteps: this.spec.timeSteps,
      tokensPerStep: this.geometry.tokensPerStep,
    };
    if (this.geometry.frequencyBands !== undefined) {
      layout.frequencyBands = this.geometry.frequencyBands;
    }
    return layout;
  }

  /** Number of tokens N = T * tokensPerStep. */
  get tokenCount(): number {
    return this.spec.timeSteps * this.geometry.tokensPerStep;
  }

  /** The stream's input -> [B, N, D] tokens with time + space positions added. */
  apply(input: VideoBatch | AudioBatch, batch: number): tf.Tensor3D {
    const values = this.patchValues(input, batch);
    // The patches are data: the embedding's gradient skips them (Linear.applyToData).
    const embedded = this.embed.applyToData(values);
    let normed = this.embedNorm.apply(embedded);
    if (this.levelEmbedding !== null) normed = tf.add(normed, this.level(embedded));
    const tokens = tf.reshape(normed, [batch, this.tokenCount, this.width]);
    return tf.add(tokens, this.positions());
  }

  /** [N, D]: each token's time + space embedding, in token order (what `apply` adds). */
  positions(): tf.Tensor2D {
    const steps = this.spec.timeSteps;
    const perStep = this.geometry.tokensPerStep;
    // time [T, 1, D] + space [1, S, D] -> [T*S, D], token n at step floor(n / S).
    const grid = tf.add(
      tf.reshape(this.timeEmbedding, [steps, 1, this.width]),
      tf.reshape(this.spaceEmbedding, [1, perStep, this.width]),
    );
    return tf.reshape(grid, [steps * perStep, this.width]);
  }

  /**
   * The stream's input as the patch embedding reads it: [B, N, patchValues], token n of sample
   * b in row n of sample b (frame or spectrogram patches, or feature vectors). What a
   * masked-patch objective reconstructs.
   */
  patches(input: VideoBatch | AudioBatch, batch: number): tf.Tensor3D {
    return tf.tidy(() =>
      tf.reshape(this.patchValues(input, batch), [
        batch,
        this.tokenCount,
        this.geometry.patchValues,
      ]),
    );
  }

  /**
   * [B*N, 2]: each embedding row's mean and log RMS about it, the two numbers a LayerNorm
   * removes. Log, because a level is a ratio: a patch 6 dB louder moves it by the same amount
   * at any level.
   */
  levelFeatures(embedded: tf.Tensor2D): tf.Tensor2D {
    const { mean, variance } = tf.moments(embedded, -1, true);
    const logRms = tf.mul(0.5, tf.log(tf.add(variance, LEVEL_EPSILON)));
    return tf.concat([mean, logRms], 1) as tf.Tensor2D;
  }

  /** [B*N, D]: levelFeatures through levelEmbedding. */
  level(embedded: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(this.levelFeatures(embedded), this.levelEmbedding as tf.Tensor2D);
  }

  /** [B*N, patchValues] in token order, after checking the input against the config. */
  private patchValues(input: VideoBatch | AudioBatch, batch: number): tf.Tensor2D {
    const spec = this.spec;
    const steps = spec.timeSteps;
    const p = this.patchSize;
    const where = `B=${batch} from batch.question, T=${steps} from config.inputs.${this.stream}`;
    if (input.kind !== spec.kind) {
      throw new Error(
        `batch.${this.stream}.kind is "${input.kind}" but the model was built for "${spec.kind}"`,
      );
    }
    switch (input.kind) {
      case 'frames': {
        const frameSpec = spec as Extract<VideoInputSpec, { kind: 'frames' }>;
        const shape = [batch * steps, frameSpec.height, frameSpec.width, RGB];
        expectShape('batch.video.frames', input.frames.shape, shape, `[B*T, H, W, 3], ${where}`);
        return patchify(tf.cast(input.frames, 'float32'), p);
      }
      case 'fbank': {
        const fbankSpec = spec as Extract<AudioInputSpec, { kind: 'fbank' }>;
        const shape = [batch, steps, fbankSpec.frames, fbankSpec.melBins];
        expectShape('batch.audio.fbank', input.fbank.shape, shape, `[B, T, frames, mel], ${where}`);
        const windows: tf.Tensor4D = tf.reshape(input.fbank, [
          batch * steps,
          fbankSpec.frames,
          fbankSpec.melBins,
          1,
        ]);
        return patchify(windows, p);
      }
      case 'resnet18': {
        const shape = [batch * steps, RESNET_CHANNELS, RESNET_CELLS];
        expectShape('batch.video.maps', input.maps.shape, shape, `[B*T, 512, 196], ${where}`);
        const grid = (spec as Extract<VideoInputSpec, { kind: 'resnet18' }>).grid ?? RESNET_GRID;
        return resnetCells(input.maps, grid);
      }
      case 'clip':
      case 'vggish': {
        const features = this.geometry.patchValues;
        const name = `batch.${this.stream}.features`;
        expectShape(name, input.features.shape, [batch, steps, features], `[B, T, F], ${where}`);
        return tf.reshape(input.features, [batch * steps, features]);
      }
    }
  }
}
