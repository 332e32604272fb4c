/**
 * Realistic cross-modal attention for the benchmark, two ways:
 *  - structured: a grid of patch tokens holding a background and 1-4 rectangular
 *    "instruments" (each a shared embedding plus noise), a question of 5-14 tokens (the
 *    rest padding) that mentions one instrument, and a random-init cross-attention with a
 *    shared query/key projection (so matching content attends to itself, as trained
 *    cross-attention does; independent random Wq, Wk would score content at random);
 *  - peaked: a few salient tokens per sample plus log-normal noise.
 */

import { mulberry32 } from '@sparsify/internal-random';
import * as tf from '@tensorflow/tfjs-core';

export interface CrossAttention {
  tokens: tf.Tensor3D; // [B, N, D]
  attention: tf.Tensor4D; // [B, H, Nq, N]
  queryPadMask: tf.Tensor2D; // [B, Nq]
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const QUESTION_LENGTH = 14;

export function structuredAttention(
  batch: number,
  side: number,
  dim: number,
  heads: number,
  seed: number,
): CrossAttention {
  const random = mulberry32(seed);
  const tokens = side * side;
  const vector = (scale: number) => Array.from({ length: dim }, () => scale * gaussian(random));
  const patches = new Float32Array(batch * tokens * dim);
  const question = new Float32Array(batch * QUESTION_LENGTH * dim);
  const queryPadding = new Float32Array(batch * QUESTION_LENGTH);
  for (let b = 0; b < batch; b++) {
    const background = vector(1);
    const label = new Int32Array(tokens).fill(-1);
    const instruments = Array.from({ length: 1 + Math.floor(random() * 4) }, () => vector(1));
    instruments.forEach((_, k) => {
      const height = 2 + Math.floor(random() * (side / 3));
      const width = 2 + Math.floor(random() * (side / 3));
      const top = Math.floor(random() * (side - height));
      const left = Math.floor(random() * (side - width));
      for (let r = top; r < top + height; r++)
        for (let c = left; c < left + width; c++) label[r * side + c] = k;
    });
    for (let n = 0; n < tokens; n++) {
      const base = label[n]! >= 0 ? instruments[label[n]!]! : background;
      for (let d = 0; d < dim; d++)
        patches[(b * tokens + n) * dim + d] = base[d]! + 0.5 * gaussian(random);
    }
    const asked = instruments[Math.floor(random() * instruments.length)]!;
    const length = 5 + Math.floor(random() * (QUESTION_LENGTH - 4));
    for (let q = 0; q < QUESTION_LENGTH; q++) {
      if (q >= length) {
        queryPadding[b * QUESTION_LENGTH + q] = 1;
        continue;
      }
      // a few question words name the instrument; the others are generic words
      const word = vector(1);
      const mention = random() < 0.3 ? 1 : 0.1;
      for (let d = 0; d < dim; d++)
        question[(b * QUESTION_LENGTH + q) * dim + d] = word[d]! + mention * asked[d]!;
    }
  }
  return tf.tidy(() => {
    const x = tf.tensor3d(patches, [batch, tokens, dim]);
    const q = tf.tensor3d(question, [batch, QUESTION_LENGTH, dim]);
    const projection = tf.randomNormal([dim, dim], 0, 1 / Math.sqrt(dim), 'float32', seed);
    const headDim = dim / heads;
    const project = (t: tf.Tensor3D, length: number) =>
      tf.transpose(
        tf.reshape(tf.matMul(tf.reshape(t, [-1, dim]), projection), [
          batch,
          length,
          heads,
          headDim,
        ]),
        [0, 2, 1, 3],
      );
    const logits = tf.mul(
      tf.matMul(project(q, QUESTION_LENGTH), project(x, tokens), false, true),
      1 / Math.sqrt(headDim),
    );
    return {
      tokens: x,
      attention: tf.softmax(logits) as tf.Tensor4D,
      queryPadMask: tf.tensor2d(queryPadding, [batch, QUESTION_LENGTH]),
    };
  });
}

export function peakedAttention(
  batch: number,
  tokens: number,
  heads: number,
  seed: number,
): tf.Tensor4D {
  const random = mulberry32(seed);
  const logits = new Float32Array(batch * heads * QUESTION_LENGTH * tokens);
  for (let b = 0; b < batch; b++) {
    const salient = Array.from({ length: 1 + Math.floor(random() * 8) }, () =>
      Math.floor(random() * tokens),
    );
    for (let h = 0; h < heads; h++) {
      for (let q = 0; q < QUESTION_LENGTH; q++) {
        const row = ((b * heads + h) * QUESTION_LENGTH + q) * tokens;
        for (let n = 0; n < tokens; n++) logits[row + n] = 0.5 * gaussian(random);
        for (const token of salient) logits[row + token]! += 2 + random() * 2;
      }
    }
  }
  return tf.tidy(
    () => tf.softmax(tf.tensor4d(logits, [batch, heads, QUESTION_LENGTH, tokens])) as tf.Tensor4D,
  );
}
