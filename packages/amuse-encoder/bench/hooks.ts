/**
 * Stand-ins for the real sparsifiers, doing the same amount of token work with no selection
 * cost, so the benchmark isolates what the encoder saves: a masker keeping half of each
 * stream, and a reducer merging token pairs (N -> N/2) with sizes.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  InputMasker,
  MaskedStream,
  ReducedTokens,
  ReducerInput,
  TokenReducer,
} from '../src/index.js';

export const keepHalf: InputMasker = {
  maskInputs(streams) {
    const half = (tokens: tf.Tensor3D): MaskedStream => {
      const [b, n, d] = tokens.shape;
      const keep = Math.floor(n / 2);
      const keepIndices = tf.tile(tf.reshape(tf.range(0, keep, 1, 'int32'), [1, keep]), [
        b,
        1,
      ]) as tf.Tensor2D;
      return { tokens: tf.slice(tokens, [0, 0, 0], [b, keep, d]), keepIndices };
    };
    return { video: half(streams.video.tokens), audio: half(streams.audio.tokens) };
  },
};

export const mergePairs: TokenReducer = {
  reduceTokens(input: ReducerInput): ReducedTokens {
    const [b, n, d] = input.tokens.shape;
    const m = Math.floor(n / 2);
    const pairs = tf.reshape(tf.slice(input.tokens, [0, 0, 0], [b, 2 * m, d]), [b, m, 2, d]);
    const sizes =
      input.sizes === null
        ? tf.fill([b, m], 2)
        : tf.reshape(tf.sum(tf.reshape(tf.slice(input.sizes, [0, 0], [b, 2 * m]), [b, m, 2]), 2), [
            b,
            m,
          ]);
    return {
      tokens: tf.mean(pairs, 2) as tf.Tensor3D,
      sizes: sizes as tf.Tensor2D,
      padMask: tf.zeros([b, m]),
    };
  },
};
