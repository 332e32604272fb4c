/**
 * The layers' hot paths as single tape nodes, with the gradients autodiff would compute, bit
 * for bit (the attention core, the same way, is `multiHeadAttention` in attention.ts).
 *
 * Recording an op on tfjs's tape costs a kernel launch per saved input (a clone), a tape
 * node, and in the backward pass casts and reshapes that change no value: a fifth of the
 * kernels of a training step of the demo's model. Each is cheap (they share buffers), so a
 * dense step gains little without them (measured in docs/benchmarks/trainer.md); a step
 * with little arithmetic left (after token merging) gains more. Each function below runs its forward ops off the
 * tape (inside `customGrad`) and its backward pass as the stock gradients' own ops, in the
 * order tfjs's backprop runs them, minus the casts and reshapes. Same ops on the same values
 * give the same floats; the tests compare every output and gradient bit for bit with the
 * plain composition.
 *
 * Only subgraphs whose inner tensors have no other consumer can be fused this way: a
 * tensor's gradient is a sum in tape order of its consumers' contributions, and a fused op
 * could not interleave its own contributions with outside ones.
 *
 * Where @sparsify/tfjs-fast-kernels' fused kernels are registered (FUSED_KERNELS below),
 * LayerNorm, GELU, the attention's softmax and the bias gradients run as those kernels
 * instead: far fewer kernels, within documented error bounds rather than bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';

type Saved = tf.Tensor[];

/**
 * Kernels @sparsify/tfjs-fast-kernels registers (its `FusedKernelName`) when the application
 * enables it: each replaces one of the compositions below by one kernel forward and one
 * backward, within the error bounds its README documents (not bit for bit). This package
 * does not import that one: it looks the kernels up by name on the active backend and keeps
 * its own composition wherever they are not registered (plain cpu, stock wasm).
 */
export const FUSED_KERNELS = {
  layerNorm: 'SparsifyLayerNorm',
  gelu: 'SparsifyGelu',
  softmax: 'SparsifySoftmax',
  softmaxGrad: 'SparsifySoftmaxGrad',
  columnSum: 'SparsifyColumnSum',
  splitHeads: 'SparsifySplitHeads',
  mergeHeads: 'SparsifyMergeHeads',
  transposedMatMul: 'SparsifyMatMul',
  biasMatMul: 'SparsifyBiasMatMul',
  weightBiasGrad: 'SparsifyWeightBiasGrad',
  attention: 'SparsifyAttention',
  attentionGrad: 'SparsifyAttentionGrad',
} as const;

/** Whether a fused kernel runs on the active backend (with its gradient, when it is an op). */
export function hasFusedKernel(name: string, needsGradient = true): boolean {
  return (
    tf.getKernel(name, tf.getBackend()) != null && (!needsGradient || tf.getGradient(name) != null)
  );
}

/** dy summed over its rows: a bias's gradient, one kernel where the fused one is registered. */
function biasGrad(dy: tf.Tensor): tf.Tensor {
  return hasFusedKernel(FUSED_KERNELS.columnSum, false)
    ? (tf.engine().runKernel(FUSED_KERNELS.columnSum, { x: dy }) as tf.Tensor)
    : tf.sum(dy, 0);
}

/**
 * op(a) op(b) for the gradients of x W: from untransposed products on stock wasm, which runs
 * transposed matmuls (what matMul's own gradient uses) through a much slower path than plain
 * ones, while a 2-D transpose costs little; as one product reading the operand transposed
 * in place where tfjs-fast-kernels registers that (FUSED_KERNELS.transposedMatMul), which
 * saves the transpose kernel and gives the same floats.
 */
function gradProduct(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor2D {
  if (hasFusedKernel(FUSED_KERNELS.transposedMatMul, false))
    return tf
      .engine()
      .runKernel(
        FUSED_KERNELS.transposedMatMul,
        { a, b },
        { transposeA, transposeB },
      ) as tf.Tensor2D;
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/**
 * [x^T dy, dy's column sums], the weight and bias gradients of x W + b: one kernel reading dy
 * once where tfjs-fast-kernels registers FUSED_KERNELS.weightBiasGrad (the floats of the two
 * kernels below), else the transposed product and the bias gradient.
 */
function weightAndBiasGrads(x: tf.Tensor2D, dy: tf.Tensor2D): [tf.Tensor2D, tf.Tensor] {
  if (hasFusedKernel(FUSED_KERNELS.weightBiasGrad, false))
    return tf.engine().runKernel(FUSED_KERNELS.weightBiasGrad, { x, dy }) as unknown as [
      tf.Tensor2D,
      tf.Tensor,
    ];
  return [gradProduct(x, dy, true, false), biasGrad(dy)];
}

/** [dy W^T, x^T dy], the gradients of x W. */
function plainProductGrads(dy: tf.Tensor, saved: Saved): [tf.Tensor2D, tf.Tensor2D] {
  const [x, w] = saved as [tf.Tensor2D, tf.Tensor2D];
  const dy2 = dy as tf.Tensor2D;
  return [gradProduct(dy2, w, false, true), gradProduct(x, dy2, true, false)];
}

/** x W for x [R, in], W [in, out], with the gradient of plain products. */
export const matMulPlainGrad = tf.customGrad(
  // customGrad passes the save function after the inputs, in the same rest array.
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, w]);
    return { value: tf.matMul(x, w), gradFunc: plainProductGrads };
  },
) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * x W + b: the product, then b added to each of its sums. One kernel where
 * tfjs-fast-kernels registers FUSED_KERNELS.biasMatMul (the same floats as the two kernels,
 * without the Add's launch and pass over the output), else matMul then add.
 */
function productPlusBias(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return hasFusedKernel(FUSED_KERNELS.biasMatMul, false)
    ? (tf.engine().runKernel(FUSED_KERNELS.biasMatMul, { a: x, b: w, bias: b }) as tf.Tensor2D)
    : tf.add(tf.matMul(x, w), b);
}

/** x W + b for x [R, in], W [in, out], b [out], with the gradient of plain products. */
export const affine = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: productPlusBias(x, w, b),
    gradFunc: (dy: tf.Tensor, saved: Saved) => {
      const [x, w] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [gradProduct(dy2, w, false, true), ...weightAndBiasGrads(x, dy2)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/**
 * x W + b where x is data (patches, features): no gradient reaches x, so none is computed.
 * tfjs skips a kernel's gradient for an input off the path to the variables, but a
 * customGrad returns every input's gradient at once: with x as an input, `affine` would
 * spend a product dy W^T and a transpose of W on a gradient nobody reads. Here x is saved,
 * not an input; W's and b's gradients are `affine`'s, bit for bit.
 */
export function affineOfData(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const product = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [weight, bias, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([x]);
    return {
      value: productPlusBias(x, weight, bias),
      gradFunc: (dy: tf.Tensor, saved: Saved) =>
        weightAndBiasGrads(saved[0] as tf.Tensor2D, dy as tf.Tensor2D),
    };
  });
  return product(w, b) as tf.Tensor2D;
}

const GELU_SCALE = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/**
 * GELU, tanh approximation (tfjs-core has no gelu op):
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). x feeds three of these ops, so the
 * gradient matches the composition's bit for bit only when x has no other consumer (in the
 * MLP it is fc1's output); otherwise it differs in summation order only.
 */
const geluComposition = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const inner = tf.mul(GELU_SCALE, tf.add(x, tf.mul(GELU_CUBIC, tf.pow(x, 3))));
  const half = tf.mul(0.5, x);
  const tanh = tf.tanh(inner);
  const onePlusTanh = tf.add(1, tanh);
  save([x, half, tanh, onePlusTanh]);
  return {
    value: tf.mul(half, onePlusTanh),
    gradFunc: (dy: tf.Tensor, saved: Saved) => {
      const [xSaved, halfSaved, tanhSaved, onePlusTanhSaved] = saved as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];
      // Backprop visits the forward ops last to first: half * (1 + tanh), tanh, 0.5 x,
      // sqrt(2/pi) s, x + 0.044715 p, 0.044715 p, x^3. x's gradient sums its three
      // contributions in that order.
      const dHalf = tf.mul(dy, onePlusTanhSaved);
      const dTanh = tf.mul(dy, halfSaved);
      const dInner = tf.mul(tf.sub(tf.scalar(1), tf.square(tanhSaved)), dTanh);
      const fromHalf = tf.mul(dHalf, 0.5);
      const dSum = tf.mul(dInner, GELU_SCALE);
      const dCube = tf.mul(dSum, GELU_CUBIC);
      const exponent = tf.scalar(3);
      const fromCube = tf.mul(
        dCube,
        tf.mul(exponent, tf.pow(xSaved, tf.sub(exponent, tf.scalar(1)))),
      );
      return tf.add(tf.add(fromHalf, dSum), fromCube);
    },
  };
}) as <T extends tf.Tensor>(x: T) => T;

/** GELU (tanh form): the fused kernel where registered, else the composition above. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return hasFusedKernel(FUSED_KERNELS.gelu)
    ? (tf.engine().runKernel(FUSED_KERNELS.gelu, { x }) as T)
    : geluComposition(x);
}

/** A broadcast input's gradient, as the stock gradients take it: summed over the broadcast axes. */
function sumToShape(grad: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  return axes.length > 0 ? tf.reshape(tf.sum(grad, axes), shape) : grad;
}

/** (x - mean) / sqrt(variance + epsilon) * weight + bias, from x - mean and the variance. */
export type NormalizeScaleShift = (
  centered: tf.Tensor,
  variance: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
) => tf.Tensor;

/** LayerNorm after its moments, for a fixed epsilon. */
export function normalizeScaleShift(epsilon: number): NormalizeScaleShift {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [centered, variance, weight, bias, save] = args as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.GradSaveFunc,
    ];
    const shifted = tf.add(variance, epsilon);
    const inverseStd = tf.rsqrt(shifted);
    const normed = tf.mul(centered, inverseStd);
    save([centered, shifted, inverseStd, normed, weight]);
    return {
      value: tf.add(tf.mul(normed, weight), bias),
      gradFunc: (dy: tf.Tensor, saved: Saved) => {
        const [centeredS, shiftedS, inverseStdS, normedS, weightS] = saved as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const dBias = sumToShape(dy, bias.shape);
        const dNormed = tf.mul(dy, weightS);
        const dWeight = sumToShape(tf.mul(dy, normedS), weightS.shape);
        const dCentered = tf.mul(dNormed, inverseStdS);
        const dInverseStd = sumToShape(tf.mul(dNormed, centeredS), inverseStdS.shape);
        // rsqrt's gradient as tfjs writes it: -dy / (2 x^1.5).
        const dVariance = tf.neg(tf.div(dInverseStd, tf.mul(tf.pow(shiftedS, 1.5), 2)));
        return [dCentered, dVariance, dWeight, dBias];
      },
    };
  }) as NormalizeScaleShift;
}
