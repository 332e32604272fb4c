/**
 * The basic layers. Products with weights always fold the batch into rows
 * ([B*N, D] x [D, E]): 2-D untransposed matmuls are the fast path on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  affine,
  affineOfData,
  FUSED_KERNELS,
  gelu,
  hasFusedKernel,
  matMulPlainGrad,
  type NormalizeScaleShift,
  normalizeScaleShift,
} from './fused-ops.js';
import { glorotNormal, normal, ones, type Scope, zeros } from './module.js';

export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    scope: Scope,
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {
    this.weight = scope.param(
      'weight',
      [inFeatures, outFeatures],
      glorotNormal(inFeatures, outFeatures),
    );
    this.bias = scope.param('bias', [outFeatures], zeros);
  }

  /** [R, in] -> [R, out]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return affine(x, this.weight as tf.Tensor2D, this.bias as tf.Tensor1D);
  }

  /** [R, in] -> [R, out] for data x (inputs, not activations): no gradient is computed for x. */
  applyToData(x: tf.Tensor2D): tf.Tensor2D {
    return affineOfData(x, this.weight as tf.Tensor2D, this.bias as tf.Tensor1D);
  }

  /** [B, N, in] -> [B, N, out], through one 2-D product. */
  apply3d(x: tf.Tensor3D): tf.Tensor3D {
    const [b, n, d] = x.shape;
    return tf.reshape(this.apply(tf.reshape(x, [b * n, d])), [b, n, this.outFeatures]);
  }
}

export class LayerNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  private readonly scaleAndShift: NormalizeScaleShift;

  constructor(
    scope: Scope,
    readonly features: number,
    readonly epsilon = 1e-5,
  ) {
    this.weight = scope.param('weight', [features], ones);
    this.bias = scope.param('bias', [features], zeros);
    this.scaleAndShift = normalizeScaleShift(epsilon);
  }

  /** Normalises the last axis. */
  apply<T extends tf.Tensor>(x: T): T {
    if (hasFusedKernel(FUSED_KERNELS.layerNorm)) {
      return tf
        .engine()
        .runKernel(
          FUSED_KERNELS.layerNorm,
          { x, gamma: this.weight, beta: this.bias },
          { epsilon: this.epsilon },
        ) as T;
    }
    const { mean, variance } = tf.moments(x, -1, true);
    // x also feeds the mean, the variance and (in a block) the residual: its gradient sums
    // contributions in tape order, so only the part after x - mean can be one tape node.
    return this.scaleAndShift(tf.sub(x, mean), variance, this.weight, this.bias) as T;
  }
}

/** Two-layer perceptron, GELU between: [R, D] -> [R, out]. */
export class Mlp {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(scope: Scope, inFeatures: number, hidden: number, outFeatures: number) {
    this.fc1 = new Linear(scope.child('fc1'), inFeatures, hidden);
    this.fc2 = new Linear(scope.child('fc2'), hidden, outFeatures);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.fc2.apply(gelu(this.fc1.apply(x)));
  }

  apply3d(x: tf.Tensor3D): tf.Tensor3D {
    const [b, n, d] = x.shape;
    return tf.reshape(this.apply(tf.reshape(x, [b * n, d])), [b, n, this.fc2.outFeatures]);
  }
}

/**
 * Token embedding as a one-hot product: tf.gather's gradient (UnsortedSegmentSum) is missing
 * on stock wasm, and with a 93-word vocabulary the product costs nothing.
 */
export class Embedding {
  readonly weight: tf.Variable;

  constructor(
    scope: Scope,
    readonly vocabularySize: number,
    readonly features: number,
  ) {
    this.weight = scope.param('weight', [vocabularySize, features], normal());
  }

  /** int32 [B, L] -> [B, L, D]. */
  apply(ids: tf.Tensor2D): tf.Tensor3D {
    const [b, l] = ids.shape;
    const oneHot = tf.cast(
      tf.oneHot(tf.reshape(ids, [b * l]), this.vocabularySize),
      'float32',
    ) as tf.Tensor2D;
    return tf.reshape(matMulPlainGrad(oneHot, this.weight as tf.Tensor2D), [b, l, this.features]);
  }
}
