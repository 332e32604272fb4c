// The block bench's block written the way the encoder (and PyTorch's idiomatic anchor,
// ../shared/anchors/torch_block.py) writes it, through this package's kernels:
//   - linear layers as one product with the bias added inside it (_FusedMatMul, the bias
//     fused into the GEMM), whose backward pass is two products reading their operands
//     transposed in place (SparsifyMatMul) and the bias's column sum (SparsifyColumnSum) --
//     the encoder's `affine`, where the block of test/transformer-block.ts adds its biases
//     with tf.add (whose gradient wasm computes as a Transpose and a Sum);
//   - the attention core as `packedSelfAttention` over the packed q|k|v projection: with the
//     addon, one native call each way (native/attention-core.c); on wasm alone one tape node
//     splitting the heads straight out of qkv, the fused softmax, and q's, k's and v's
//     gradients written back as one packed matrix by one mergeHeads (as the encoder's
//     packedMultiHeadAttention), where the test block's three splitHeads each pad their
//     gradient back to 3D columns;
//   - LayerNorm and GELU as the fused kernels.
// Same arithmetic as blockForward (same products, same FLOP count); its values match it
// within the fused kernels' bounds (test/idiomatic-block.test.ts).
import type * as tfType from '@tensorflow/tfjs';
import { FusedKernelName } from '../src/fused-kernel-names.js';
import {
  columnSum,
  gelu,
  layerNorm,
  packedSelfAttention,
  packedSelfAttentionComposition,
} from '../src/index.js';
import type { BlockShape, BlockWeights } from '../test/transformer-block.js';

type Tf = typeof tfType;
type GradSave = (tensors: tfType.Tensor[]) => void;

function w(weights: BlockWeights, name: string): tfType.Tensor {
  const v = weights[name];
  if (v == null) throw new Error(`idiomatic-block: missing weight ${name}`);
  return v;
}

/** op(a) op(b) as one kernel reading transposed operands in place. */
function product(
  tf: Tf,
  a: tfType.Tensor,
  b: tfType.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tfType.Tensor {
  return tf
    .engine()
    .runKernel(
      FusedKernelName.transposedMatMul,
      { a, b },
      { transposeA, transposeB },
    ) as tfType.Tensor;
}

/** x W + b: one GEMM with the bias inside; gradients dy W^T, x^T dy and columnSum(dy). */
export function linear(
  tf: Tf,
  x: tfType.Tensor2D,
  weight: tfType.Tensor,
  bias: tfType.Tensor,
): tfType.Tensor2D {
  return tf.customGrad((...args: (tfType.Tensor | GradSave)[]) => {
    const [input, wt, b, save] = args as [
      tfType.Tensor2D,
      tfType.Tensor2D,
      tfType.Tensor1D,
      GradSave,
    ];
    save([input, wt]);
    return {
      value: tf.fused.matMul({ a: input, b: wt, bias: b }),
      gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => {
        const [xs, ws] = saved as [tfType.Tensor2D, tfType.Tensor2D];
        return [product(tf, dy, ws, false, true), product(tf, xs, dy, true, false), columnSum(dy)];
      },
    };
  })(x, weight, bias) as tfType.Tensor2D;
}

/** The block (pre-norm LayerNorm, 4-head attention, 4x GELU MLP) through the kernels above. */
export function idiomaticBlockForward(
  tf: Tf,
  shape: BlockShape,
  weights: BlockWeights,
  x: tfType.Tensor3D,
  attentionCore: 'auto' | 'composition' = 'auto',
): tfType.Tensor3D {
  const { batch: b, tokens: n, width: d } = shape;
  const attention = attentionCore === 'auto' ? packedSelfAttention : packedSelfAttentionComposition;
  const rows = tf.reshape(x, [b * n, d]) as tfType.Tensor2D;
  const normed = layerNorm(rows, w(weights, 'ln1Gain'), w(weights, 'ln1Bias'));
  const qkv = linear(tf, normed, w(weights, 'qkv'), w(weights, 'qkvBias'));
  const attended = tf.add(
    rows,
    linear(tf, attention(qkv, shape), w(weights, 'proj'), w(weights, 'projBias')),
  ) as tfType.Tensor2D;
  const normed2 = layerNorm(attended, w(weights, 'ln2Gain'), w(weights, 'ln2Bias'));
  const hidden = gelu(linear(tf, normed2, w(weights, 'fc1'), w(weights, 'fc1Bias')));
  const out = tf.add(attended, linear(tf, hidden, w(weights, 'fc2'), w(weights, 'fc2Bias')));
  return tf.reshape(out, [b, n, d]);
}

/** One training step's work on the idiomatic block: the loss and every weight's gradient. */
export function idiomaticBlockGradients(
  tf: Tf,
  shape: BlockShape,
  weights: BlockWeights,
  x: tfType.Tensor3D,
  attentionCore: 'auto' | 'composition' = 'auto',
): { value: tfType.Scalar; grads: Record<string, tfType.Tensor> } {
  return tf.variableGrads(
    () =>
      tf.mean(
        tf.square(idiomaticBlockForward(tf, shape, weights, x, attentionCore)),
      ) as tfType.Scalar,
  );
}
