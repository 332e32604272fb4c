/**
 * Token importance for Sparsify's level 2: how much attention each token receives from
 * the question or the other modality. High importance marks a key token.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Importance [B, Nk] from attention probabilities [B, H, Nq, Nk]: the attention each key
 * token receives, averaged over heads and over the queries that are not padding.
 * `queryPadMask` [B, Nq] (1 = padded query) removes e.g. question `<pad>` tokens, which
 * would otherwise dilute the score; a sample whose queries are all padding gets zeros.
 */
export function importanceFromAttention(
  attention: tf.Tensor4D,
  queryPadMask: tf.Tensor2D | null = null,
): tf.Tensor2D {
  if (attention.rank !== 4) {
    throw new Error(
      `importanceFromAttention: attention must be [B, H, Nq, Nk], got [${attention.shape}]`,
    );
  }
  const [batch, , queries] = attention.shape;
  return tf.tidy(() => {
    const overHeads = tf.mean(attention, 1) as tf.Tensor3D; // [B, Nq, Nk]
    if (queryPadMask === null) return tf.mean(overHeads, 1) as tf.Tensor2D;
    checkQueryMask(queryPadMask, batch, queries, 'importanceFromAttention');
    return meanOverRealQueries(overHeads, queryPadMask);
  });
}

/**
 * Importance [B, N] computed from a query [B, Nq, D] (e.g. question tokens, or the other
 * modality's tokens) and the tokens' keys [B, N, D]: softmax(Q K^T / sqrt(D)) over the
 * N tokens, averaged over the non-padded queries. `keyPadMask` [B, N] (1 = padding slot)
 * keeps padding slots out of the softmax.
 */
export function importanceFromQueryKeys(
  query: tf.Tensor3D,
  keys: tf.Tensor3D,
  queryPadMask: tf.Tensor2D | null = null,
  keyPadMask: tf.Tensor2D | null = null,
): tf.Tensor2D {
  if (query.rank !== 3 || keys.rank !== 3) {
    throw new Error(
      `importanceFromQueryKeys: query must be [B, Nq, D] and keys [B, N, D], got [${query.shape}] and [${keys.shape}]`,
    );
  }
  const [batch, queries, depth] = query.shape;
  const [keyBatch, tokens, keyDepth] = keys.shape;
  if (keyBatch !== batch || keyDepth !== depth) {
    throw new Error(
      `importanceFromQueryKeys: query [${query.shape}] and keys [${keys.shape}] must share B and D`,
    );
  }
  return tf.tidy(() => {
    let logits = tf.mul(tf.matMul(query, keys, false, true), 1 / Math.sqrt(depth)); // [B, Nq, N]
    if (keyPadMask !== null) {
      if (keyPadMask.shape[0] !== batch || keyPadMask.shape[1] !== tokens) {
        throw new Error(
          `importanceFromQueryKeys: keyPadMask must be [${batch}, ${tokens}], got [${keyPadMask.shape}]`,
        );
      }
      logits = tf.add(logits, tf.mul(tf.reshape(keyPadMask, [batch, 1, tokens]), -1e9));
    }
    const probabilities = tf.softmax(logits) as tf.Tensor3D;
    if (queryPadMask === null) return tf.mean(probabilities, 1) as tf.Tensor2D;
    checkQueryMask(queryPadMask, batch, queries, 'importanceFromQueryKeys');
    return meanOverRealQueries(probabilities, queryPadMask);
  });
}

function meanOverRealQueries(perQuery: tf.Tensor3D, queryPadMask: tf.Tensor2D): tf.Tensor2D {
  const [batch, queries] = queryPadMask.shape;
  const realQueries = tf.sub(1, queryPadMask); // [B, Nq]
  const realCount = tf.maximum(tf.sum(realQueries, 1, true), 1); // [B, 1]
  const weights = tf.reshape(tf.div(realQueries, realCount), [batch, queries, 1]);
  return tf.sum(tf.mul(perQuery, weights), 1) as tf.Tensor2D;
}

function checkQueryMask(mask: tf.Tensor2D, batch: number, queries: number, caller: string): void {
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== queries) {
    throw new Error(`${caller}: queryPadMask must be [${batch}, ${queries}], got [${mask.shape}]`);
  }
}
