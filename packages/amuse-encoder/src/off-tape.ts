import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `compute` without recording its ops for gradients, for values no gradient flows
 * through: scores a token reducer reads on the CPU, biases built from constants. Inside a
 * gradient computation tfjs records every op, clones the inputs its gradient would need and
 * later scans each record; ops run inside a custom gradient's forward pass are not recorded.
 * The result is a constant to the gradient (as tf.stop_gradient would make it).
 */
export function offTape<T extends tf.Tensor>(compute: () => T): T {
  return tf.customGrad(() => ({ value: compute(), gradFunc: () => [] }))() as T;
}
