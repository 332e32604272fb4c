/**
 * Perception heads on the shared backbone's final tokens, and their losses: a per-token
 * instrument classifier on video tokens (22 classes + background, soft targets where
 * tokens merged) and, on audio tokens, which classes sound in the token's second, whether
 * one starts, the onset rate, the level and the pitch. With `classTargets` a third head on
 * audio tokens says how loud and how dense each sounding class is (the mix's level and the
 * summed onset rate cannot say which instrument is the louder). Their parameters live in the
 * encoder's store under `perception.*`, so checkpoints and the optimizer see them.
 */
import {
  type ParameterStore,
  Scope,
  type StreamName,
  type StreamOutput,
} from '@sparsify/amuse-encoder';
import { INSTRUMENT_CLASSES, PERCEPTION_CLASSES } from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import {
  AUDIO,
  AUDIO_TARGETS,
  CLASS_TARGETS,
  followAudioTargets,
  followVideoTargets,
  type PerceptionBatch,
  tokenSources,
} from './perception-targets.js';

/** Head outputs per audio token: class logits, start logit, onset rate, level, pitch. */
const AUDIO_OUTPUTS = AUDIO_TARGETS - 1;
/**
 * Weight of the positive term of the audio binary losses. About 1.5 of 22 classes sound in
 * a second: unweighted, the first pretraining (15 epochs, 429 videos) settled on "nothing
 * sounds" (93% of decisions right, 0% of sounding classes found).
 */
export const AUDIO_POSITIVE_WEIGHT = 5;
/**
 * Extra weight of video tokens whose target is an instrument: 85% of patches are background,
 * and unweighted the same run found 31% of instrument patches on validation videos.
 */
export const INSTRUMENT_PATCH_WEIGHT = 3;

/** What the heads need to know of a stream: its original token count and layout. */
export interface PerceptionGeometry {
  videoTokens: number;
  audioTimeSteps: number;
  audioTokensPerStep: number;
}

/** Counts to score perception with (summed over a split by the caller). */
export interface PerceptionCounts {
  /** Video tokens scored, and those whose predicted class is the target's majority class. */
  patches: number;
  patchesCorrect: number;
  /** The same over tokens whose majority target is an instrument (not background). */
  instrumentPatches: number;
  instrumentPatchesCorrect: number;
  /** Audio (token, class) decisions at 0.5, and the correct ones. */
  audioDecisions: number;
  audioCorrect: number;
  /** Of those, the (token, class) pairs where the class sounds, and the ones detected. */
  sounding: number;
  soundingDetected: number;
}

export function emptyPerceptionCounts(): PerceptionCounts {
  return {
    patches: 0,
    patchesCorrect: 0,
    instrumentPatches: 0,
    instrumentPatchesCorrect: 0,
    audioDecisions: 0,
    audioCorrect: 0,
    sounding: 0,
    soundingDetected: 0,
  };
}

export function addPerceptionCounts(total: PerceptionCounts, add: PerceptionCounts): void {
  for (const key of Object.keys(total) as (keyof PerceptionCounts)[]) total[key] += add[key];
}

export interface PerceptionOutcome {
  /** Video loss + audio loss, each a size-weighted mean over real tokens. */
  loss: tf.Scalar;
  /** Filled only when asked (it reads the outputs back). */
  counts?: PerceptionCounts;
}

export class PerceptionHeads {
  readonly videoWeight: tf.Variable;
  readonly videoBias: tf.Variable;
  readonly audioWeight: tf.Variable;
  readonly audioBias: tf.Variable;
  /** The per-class level and onset-rate head [D, CLASS_TARGETS]; null without `classTargets`. */
  readonly classWeight: tf.Variable | null;
  readonly classBias: tf.Variable | null;

  constructor(store: ParameterStore, width: number, options: { classTargets?: boolean } = {}) {
    const scope = new Scope(store, 'perception');
    const std = Math.sqrt(2 / (width + PERCEPTION_CLASSES));
    this.videoWeight = scope.param('video.weight', [width, PERCEPTION_CLASSES], {
      kind: 'normal',
      std,
    });
    this.videoBias = scope.param('video.bias', [PERCEPTION_CLASSES], { kind: 'zeros' });
    this.audioWeight = scope.param('audio.weight', [width, AUDIO_OUTPUTS], {
      kind: 'normal',
      std: Math.sqrt(2 / (width + AUDIO_OUTPUTS)),
    });
    this.audioBias = scope.param('audio.bias', [AUDIO_OUTPUTS], { kind: 'zeros' });
    // Own names (not a wider audio head): a backbone pretrained without it still loads.
    this.classWeight = options.classTargets
      ? scope.param('audioClass.weight', [width, CLASS_TARGETS], {
          kind: 'normal',
          std: Math.sqrt(2 / (width + CLASS_TARGETS)),
        })
      : null;
    this.classBias = options.classTargets
      ? scope.param('audioClass.bias', [CLASS_TARGETS], { kind: 'zeros' })
      : null;
  }

  /**
   * The loss of one forward pass's streams against the batch's targets. `mergeSources`
   * holds, per stream, the merge plan's source map when a reducer ran on this pass.
   */
  loss(
    streams: Record<StreamName, StreamOutput>,
    targets: PerceptionBatch,
    geometry: PerceptionGeometry,
    mergeSources: Record<StreamName, readonly (readonly Int32Array[])[] | null>,
    withCounts = false,
  ): PerceptionOutcome {
    const counts = withCounts ? emptyPerceptionCounts() : undefined;
    const video = this.videoLoss(streams.video, targets, geometry, mergeSources.video, counts);
    const audio = this.audioLoss(streams.audio, targets, geometry, mergeSources.audio, counts);
    return { loss: tf.add(video, audio) as tf.Scalar, counts };
  }

  private videoLoss(
    stream: StreamOutput,
    targets: PerceptionBatch,
    geometry: PerceptionGeometry,
    merge: readonly (readonly Int32Array[])[] | null,
    counts: PerceptionCounts | undefined,
  ): tf.Scalar {
    const {
      b,
      m,
      sources,
      outputs: logits,
    } = linearHead(stream, merge, this.videoWeight, this.videoBias);
    const { distribution, sizes } = followVideoTargets(
      targets.videoClasses,
      geometry.videoTokens,
      sources,
    );
    const target = tf.tensor2d(distribution, [b * m, PERCEPTION_CLASSES]);
    const crossEntropy = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1));
    if (counts) {
      const predicted = tf.argMax(logits, 1).dataSync();
      for (let i = 0; i < b * m; i++) {
        if (!(sizes[i]! > 0)) continue;
        const row = distribution.subarray(i * PERCEPTION_CLASSES, (i + 1) * PERCEPTION_CLASSES);
        let majority = 0;
        for (let c = 1; c < PERCEPTION_CLASSES; c++) if (row[c]! > row[majority]!) majority = c;
        const hit = predicted[i] === majority ? 1 : 0;
        counts.patches++;
        counts.patchesCorrect += hit;
        if (majority !== 0) {
          counts.instrumentPatches++;
          counts.instrumentPatchesCorrect += hit;
        }
      }
    }
    const weights = new Float32Array(sizes.length);
    for (let i = 0; i < sizes.length; i++) {
      const instrument = 1 - (distribution[i * PERCEPTION_CLASSES] as number);
      weights[i] = (sizes[i] as number) * (1 + (INSTRUMENT_PATCH_WEIGHT - 1) * instrument);
    }
    return weightedMean(crossEntropy, weights);
  }

  private audioLoss(
    stream: StreamOutput,
    targets: PerceptionBatch,
    geometry: PerceptionGeometry,
    merge: readonly (readonly Int32Array[])[] | null,
    counts: PerceptionCounts | undefined,
  ): tf.Scalar {
    const { b, m, sources, outputs } = linearHead(stream, merge, this.audioWeight, this.audioBias);

    const followed = followAudioTargets(
      targets.audioSteps,
      geometry.audioTimeSteps,
      geometry.audioTokensPerStep,
      sources,
    );
    const target = tf.tensor2d(followed.targets, [b * m, AUDIO_TARGETS]);
    const binary = AUDIO.start + 1;
    const logits = tf.slice(outputs, [0, 0], [b * m, binary]);
    const labels = tf.slice(target, [0, 0], [b * m, binary]);
    // Binary cross-entropy with soft labels and weighted positives, stable form:
    // (1 - y) softplus(z) + w y softplus(-z).
    const bce = tf.mean(
      tf.add(
        tf.mul(tf.sub(1, labels), tf.softplus(logits)),
        tf.mul(tf.mul(labels, AUDIO_POSITIVE_WEIGHT), tf.softplus(tf.neg(logits))),
      ),
      1,
    );
    const regressions = tf.slice(outputs, [0, binary], [b * m, 3]);
    const wanted = tf.slice(target, [0, AUDIO.onsetRate], [b * m, 3]);
    const pitchMask = tf.slice(target, [0, AUDIO.pitchMask], [b * m, 1]);
    // onset rate and level always count; pitch only where something sounds.
    const mask = tf.concat([tf.onesLike(pitchMask), tf.onesLike(pitchMask), pitchMask], 1);
    const squared = tf.sum(tf.mul(tf.square(tf.sub(regressions, wanted)), mask), 1);
    if (counts) {
      const classes = INSTRUMENT_CLASSES.length;
      const z = logits.dataSync();
      for (let i = 0; i < b * m; i++) {
        if (!(followed.sizes[i]! > 0)) continue;
        for (let c = 0; c < classes; c++) {
          const truth = followed.targets[i * AUDIO_TARGETS + c]! >= 0.5;
          const said = z[i * binary + c]! > 0;
          counts.audioDecisions++;
          if (truth === said) counts.audioCorrect++;
          if (truth) {
            counts.sounding++;
            if (said) counts.soundingDetected++;
          }
        }
      }
    }
    const perToken = this.classWeight
      ? tf.add(tf.add(bce, squared), this.classLoss(stream, targets, geometry, sources, followed))
      : tf.add(bce, squared);
    return weightedMean(perToken as tf.Tensor1D, followed.sizes);
  }

  /**
   * Per token, sum over classes of m (level - l)^2 + m (rate - r)^2: m the fraction of the
   * token's sources in which the class sounds, l and r the mean over those sources. A silent
   * class has no level to learn, so it adds nothing.
   */
  private classLoss(
    stream: StreamOutput,
    targets: PerceptionBatch,
    geometry: PerceptionGeometry,
    sources: (Int32Array | null)[][],
    followed: { targets: Float32Array },
  ): tf.Tensor1D {
    if (!targets.classSteps || targets.classSteps.length === 0) {
      throw new Error(
        'the per-class perception head needs per-class targets (PerceptionBatch.classSteps)',
      );
    }
    const [b, m, d] = stream.tokens.shape;
    const classes = INSTRUMENT_CLASSES.length;
    const values = followAudioTargets(
      targets.classSteps,
      geometry.audioTimeSteps,
      geometry.audioTokensPerStep,
      sources,
      CLASS_TARGETS,
    ).targets;
    // The mean over a token's sources of a masked value, divided by the mask's mean, is the
    // mean over the sources where the class sounds.
    const mask = new Float32Array(b * m * CLASS_TARGETS);
    for (let i = 0; i < b * m; i++) {
      for (let c = 0; c < classes; c++) {
        const sounding = followed.targets[i * AUDIO_TARGETS + c] as number;
        for (const at of [i * CLASS_TARGETS + c, i * CLASS_TARGETS + classes + c]) {
          mask[at] = sounding;
          if (sounding > 0) values[at] = (values[at] as number) / sounding;
        }
      }
    }
    const outputs = tf.add(
      tf.matMul(tf.reshape(stream.tokens, [b * m, d]), this.classWeight as tf.Tensor2D),
      this.classBias as tf.Tensor1D,
    );
    const error = tf.sub(outputs, tf.tensor2d(values, [b * m, CLASS_TARGETS]));
    return tf.sum(
      tf.mul(tf.square(error), tf.tensor2d(mask, [b * m, CLASS_TARGETS])),
      1,
    ) as tf.Tensor1D;
  }
}

/** sum(w x) / sum(w) over tokens, w = sizes (0 at padding). */
function weightedMean(values: tf.Tensor, sizes: Float32Array): tf.Scalar {
  let total = 0;
  for (const s of sizes) total += s;
  return tf.div(tf.sum(tf.mul(values, tf.tensor1d(sizes))), Math.max(1, total)) as tf.Scalar;
}

/**
 * A stream's tokens through one linear head, as [b * m, out] rows, with the original patches
 * each token holds (after the mask's kept positions and the merge's sources).
 */
function linearHead(
  stream: StreamOutput,
  merge: readonly (readonly Int32Array[])[] | null,
  weight: tf.Tensor,
  bias: tf.Tensor,
) {
  const [b, m, d] = stream.tokens.shape;
  const sources = tokenSources(b, m, stream.keepIndices, merge);
  const outputs = tf.add(
    tf.matMul(tf.reshape(stream.tokens, [b * m, d]), weight),
    bias,
  ) as tf.Tensor2D;
  return { b, m, sources, outputs };
}
