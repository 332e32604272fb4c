/**
 * Speed only: y = A x, the same as `tf.matMul(A, x)` (test/constant-matmul.test.ts), for a constant batch of matrices A [B, P, Q] known on the CPU and a tensor
 * x [B, Q, C], differentiable with respect to x on every backend.
 *
 * Merging and unmerging are one-hot (weighted) products of this form. They are written
 * as one 2-D matmul per sample rather than a batched `tf.matMul`, because stock wasm runs
 * the 2-D untransposed product through XNNPACK while batched and transposed products fall
 * back to a slower loop. For the same reason the gradient
 * A^T dy uses A^T transposed once on the CPU instead of `matMul(a, dy, true)`. Where a
 * fast batched product is registered (FAST_BATCHED_MATMUL) it is one product each way.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The product kernel @sparsify/tfjs-fast-kernels registers (its FusedKernelName
 * .transposedMatMul) where batched and transposed operands are fast: one launch per
 * direction replaces B per-sample products, the unstacks and the stack, and the gradient
 * reads A transposed in place. Looked up by name: this package does not import that one.
 */
export const FAST_BATCHED_MATMUL = 'SparsifyMatMul';

function fastBatchedMatMul(): boolean {
  return tf.getKernel(FAST_BATCHED_MATMUL, tf.getBackend()) != null;
}

function batchedProduct(a: tf.Tensor3D, x: tf.Tensor, transposeA: boolean): tf.Tensor3D {
  const [batch, rows, columns] = a.shape;
  const [outRows, inner] = transposeA ? [columns, rows] : [rows, columns];
  if (inner === 0) return tf.zeros([batch, outRows, x.shape[2] as number]);
  return tf
    .engine()
    .runKernel(FAST_BATCHED_MATMUL, { a, b: x }, { transposeA, transposeB: false }) as tf.Tensor3D;
}

export function constantMatMul(
  matrices: Float32Array,
  shape: readonly [batch: number, rows: number, columns: number],
  x: tf.Tensor3D,
): tf.Tensor3D {
  const [batch, rows, columns] = shape;
  if (matrices.length !== batch * rows * columns) {
    throw new Error(`constantMatMul: ${matrices.length} values do not fill [${shape}]`);
  }
  if (x.shape[0] !== batch || x.shape[1] !== columns) {
    throw new Error(`constantMatMul: x must be [${batch}, ${columns}, C], got [${x.shape}]`);
  }
  // The gradient reads A from the CPU closure, so nothing has to be kept alive on the
  // tape and inference never pays for building A^T.
  if (fastBatchedMatMul()) {
    const product = tf.customGrad((input) => {
      const value = tf.tidy(() =>
        batchedProduct(tf.tensor3d(matrices, [batch, rows, columns]), input as tf.Tensor, false),
      );
      const gradFunc = (dy: tf.Tensor) =>
        tf.tidy(() =>
          batchedProduct(tf.tensor3d(matrices, [batch, rows, columns]), dy as tf.Tensor, true),
        );
      return { value, gradFunc };
    });
    return product(x) as tf.Tensor3D;
  }
  const product = tf.customGrad((input) => {
    const value = tf.tidy(() =>
      perSampleMatMul(tf.tensor3d(matrices, [batch, rows, columns]), input as tf.Tensor3D),
    );
    const gradFunc = (dy: tf.Tensor) =>
      tf.tidy(() =>
        perSampleMatMul(
          tf.tensor3d(transposeEach(matrices, shape), [batch, columns, rows]),
          dy as tf.Tensor3D,
        ),
      );
    return { value, gradFunc };
  });
  return product(x) as tf.Tensor3D;
}

function perSampleMatMul(a: tf.Tensor3D, x: tf.Tensor3D): tf.Tensor3D {
  // An empty sum is 0. Stock wasm hands a product with inner size 0 to XNNPACK, which
  // refuses it ("xnn_create_fully_connected_nc_f32 ... status 2") and leaves the output
  // uninitialised: the gradient of a merge whose every token is padding (no output token)
  // came back as garbage. tfjs' own ops give zeros on cpu.
  if (a.shape[2] === 0) return tf.zeros([a.shape[0], a.shape[1], x.shape[2]]);
  return tf.tidy(() => {
    if (a.shape[0] === 1)
      return tf.expandDims(tf.matMul(tf.squeeze(a, [0]), tf.squeeze(x, [0])), 0);
    const xs = tf.unstack(x) as tf.Tensor2D[];
    return tf.stack(
      tf.unstack(a).map((ab, b) => tf.matMul(ab as tf.Tensor2D, xs[b]!)),
    ) as tf.Tensor3D;
  });
}

function transposeEach(matrices: Float32Array, [batch, rows, columns]: readonly number[]) {
  const transposed = new Float32Array(matrices.length);
  for (let b = 0; b < batch!; b++) {
    const offset = b * rows! * columns!;
    for (let r = 0; r < rows!; r++) {
      for (let c = 0; c < columns!; c++) {
        transposed[offset + c * rows! + r] = matrices[offset + r * columns! + c]!;
      }
    }
  }
  return transposed;
}
