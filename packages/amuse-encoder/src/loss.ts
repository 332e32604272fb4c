import * as tf from '@tensorflow/tfjs-core';

/**
 * Cross-entropy per sample, [B, C] logits and int32 [B] labels -> [B]. Per sample, not
 * averaged, because InfoBatch scores and reweights samples by their own loss.
 */
export function perSampleCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const [b, classes] = logits.shape;
  if (labels.rank !== 1 || labels.shape[0] !== b || labels.dtype !== 'int32') {
    throw new Error(
      `perSampleCrossEntropy: labels must be int32 [${b}], got ${labels.dtype} [${labels.shape.join(', ')}]`,
    );
  }
  const values = labels.dataSync();
  const bad = values.findIndex((label) => label < 0 || label >= classes);
  if (bad >= 0) {
    throw new Error(
      `perSampleCrossEntropy: labels[${bad}] = ${values[bad]} is outside [0, ${classes})`,
    );
  }
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(logits);
    const target = tf.oneHot(labels, classes);
    return tf.neg(tf.sum(tf.mul(logProbabilities, target), 1)) as tf.Tensor1D;
  });
}
