/**
 * Step 3 of the merge plan: every non-key token joins the key token j that maximises
 * Sim(i, j) = k_i . k_j (or the cosine). Ties go to the lower key position.
 *
 * For cosine only the key side is normalised: dividing every Sim(i, .) by |k_i| > 0
 * does not change the argmax. The loop scores four keys per pass over k_i, which is
 * what makes this CPU step cheap next to a transformer block (see the benchmark).
 */

/**
 * For each token in `tokens`, the index into `keyTokens` of its most similar key.
 * `keys` holds row-major vectors of length `dim`, token t at offset `(rowOffset + t) * dim`.
 */
export function nearestKeys(
  keys: ArrayLike<number>,
  rowOffset: number,
  dim: number,
  keyTokens: ArrayLike<number>,
  tokens: ArrayLike<number>,
  cosine: boolean,
): Int32Array {
  const keyCount = keyTokens.length;
  const keyRows = new Float32Array(keyCount * dim);
  for (let j = 0; j < keyCount; j++) {
    const offset = (rowOffset + keyTokens[j]!) * dim;
    let squaredNorm = 0;
    for (let d = 0; d < dim; d++) {
      const value = keys[offset + d]!;
      keyRows[j * dim + d] = value;
      squaredNorm += value * value;
    }
    if (cosine) {
      const scale = 1 / Math.max(Math.sqrt(squaredNorm), 1e-12);
      for (let d = 0; d < dim; d++) keyRows[j * dim + d]! *= scale;
    }
  }

  const nearest = new Int32Array(tokens.length);
  const vector = new Float32Array(dim);
  const similarities = new Float64Array(keyCount);
  for (let t = 0; t < tokens.length; t++) {
    const offset = (rowOffset + tokens[t]!) * dim;
    for (let d = 0; d < dim; d++) vector[d] = keys[offset + d]!;
    let j = 0;
    for (; j + 4 <= keyCount; j += 4) {
      const r0 = j * dim;
      const r1 = r0 + dim;
      const r2 = r1 + dim;
      const r3 = r2 + dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let d = 0; d < dim; d++) {
        const v = vector[d]!;
        s0 += v * keyRows[r0 + d]!;
        s1 += v * keyRows[r1 + d]!;
        s2 += v * keyRows[r2 + d]!;
        s3 += v * keyRows[r3 + d]!;
      }
      similarities[j] = s0;
      similarities[j + 1] = s1;
      similarities[j + 2] = s2;
      similarities[j + 3] = s3;
    }
    for (; j < keyCount; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += vector[d]! * keyRows[j * dim + d]!;
      similarities[j] = s;
    }
    let best = 0;
    for (let k = 1; k < keyCount; k++) if (similarities[k]! > similarities[best]!) best = k;
    nearest[t] = best;
  }
  return nearest;
}
