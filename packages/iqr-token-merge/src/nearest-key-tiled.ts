/**
 * Speed only: `nearestKeys` of merge-plan.ts (step 4, argmax_j Sim(i, j)) computed in tiles.
 * The loop scores a 4 x 4 tile (four tokens against four keys) per pass over d: 8 loads
 * feed 16 multiply-adds, where a plain dot product needs 2 loads per multiply-add. Each
 * Sim is still one float64 sum over d in ascending order (a product of two float32 is
 * exact in float64), so the result is bit-identical to `nearestKeys` (test/nearest-key.test.ts checks).
 */

/**
 * For each token in `tokens`, the index into `keyTokens` of its most similar key.
 * `keys` holds row-major vectors of length `dim`, token t at offset `(rowOffset + t) * dim`.
 */
export function nearestKeysTiled(
  keys: ArrayLike<number>,
  rowOffset: number,
  dim: number,
  keyTokens: ArrayLike<number>,
  tokens: ArrayLike<number>,
  cosine: boolean,
): Int32Array {
  const keyCount = keyTokens.length;
  const tokenCount = tokens.length;
  const keyRows = gatherKeyRows(keys, rowOffset, dim, keyTokens, cosine);
  const tokenRows = gatherRows(keys, rowOffset, dim, tokens);
  const nearest = new Int32Array(tokenCount);
  const best = new Float64Array(tokenCount).fill(Number.NEGATIVE_INFINITY);
  // keys in ascending order with a strict '>' keep the first maximum, as `nearestKeys` does
  const consider = (t: number, j: number, similarity: number) => {
    if (similarity > best[t]! || j === 0) {
      best[t] = similarity;
      nearest[t] = j;
    }
  };

  let t = 0;
  for (; t + 4 <= tokenCount; t += 4) {
    const a0 = t * dim;
    const a1 = a0 + dim;
    const a2 = a1 + dim;
    const a3 = a2 + dim;
    let j = 0;
    for (; j + 4 <= keyCount; j += 4) {
      const b0 = j * dim;
      const b1 = b0 + dim;
      const b2 = b1 + dim;
      const b3 = b2 + dim;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0;
      let s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0;
      let s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let d = 0; d < dim; d++) {
        const v0 = tokenRows[a0 + d]!;
        const v1 = tokenRows[a1 + d]!;
        const v2 = tokenRows[a2 + d]!;
        const v3 = tokenRows[a3 + d]!;
        const k0 = keyRows[b0 + d]!;
        const k1 = keyRows[b1 + d]!;
        const k2 = keyRows[b2 + d]!;
        const k3 = keyRows[b3 + d]!;
        s00 += v0 * k0;
        s01 += v0 * k1;
        s02 += v0 * k2;
        s03 += v0 * k3;
        s10 += v1 * k0;
        s11 += v1 * k1;
        s12 += v1 * k2;
        s13 += v1 * k3;
        s20 += v2 * k0;
        s21 += v2 * k1;
        s22 += v2 * k2;
        s23 += v2 * k3;
        s30 += v3 * k0;
        s31 += v3 * k1;
        s32 += v3 * k2;
        s33 += v3 * k3;
      }
      consider(t, j, s00);
      consider(t, j + 1, s01);
      consider(t, j + 2, s02);
      consider(t, j + 3, s03);
      consider(t + 1, j, s10);
      consider(t + 1, j + 1, s11);
      consider(t + 1, j + 2, s12);
      consider(t + 1, j + 3, s13);
      consider(t + 2, j, s20);
      consider(t + 2, j + 1, s21);
      consider(t + 2, j + 2, s22);
      consider(t + 2, j + 3, s23);
      consider(t + 3, j, s30);
      consider(t + 3, j + 1, s31);
      consider(t + 3, j + 2, s32);
      consider(t + 3, j + 3, s33);
    }
    for (; j < keyCount; j++) {
      for (let r = 0; r < 4; r++)
        consider(t + r, j, dot(tokenRows, (t + r) * dim, keyRows, j * dim, dim));
    }
  }
  for (; t < tokenCount; t++) {
    for (let j = 0; j < keyCount; j++)
      consider(t, j, dot(tokenRows, t * dim, keyRows, j * dim, dim));
  }
  return nearest;
}

function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number) {
  let sum = 0;
  for (let d = 0; d < dim; d++) sum += a[aOffset + d]! * b[bOffset + d]!;
  return sum;
}

/** Rows `indices` of `keys` as float32, contiguous; the float32 values every Sim is built from. */
function gatherRows(
  keys: ArrayLike<number>,
  rowOffset: number,
  dim: number,
  indices: ArrayLike<number>,
): Float32Array {
  const rows = new Float32Array(indices.length * dim);
  if (keys instanceof Float32Array) {
    // A typed-array row copy is a memcpy; the element loop below costs ~3 ns an element.
    for (let r = 0; r < indices.length; r++) {
      const offset = (rowOffset + indices[r]!) * dim;
      rows.set(keys.subarray(offset, offset + dim), r * dim);
    }
    return rows;
  }
  for (let r = 0; r < indices.length; r++) {
    const offset = (rowOffset + indices[r]!) * dim;
    for (let d = 0; d < dim; d++) rows[r * dim + d] = keys[offset + d]!;
  }
  return rows;
}

function gatherKeyRows(
  keys: ArrayLike<number>,
  rowOffset: number,
  dim: number,
  keyTokens: ArrayLike<number>,
  cosine: boolean,
): Float32Array {
  const rows = gatherRows(keys, rowOffset, dim, keyTokens);
  if (!cosine) return rows;
  // The norms from the gathered copy: the same float32 values, summed in the same order.
  for (let j = 0; j < keyTokens.length; j++) {
    const offset = j * dim;
    let squaredNorm = 0;
    for (let d = 0; d < dim; d++) squaredNorm += rows[offset + d]! * rows[offset + d]!;
    const scale = 1 / Math.max(Math.sqrt(squaredNorm), 1e-12);
    for (let d = 0; d < dim; d++) rows[j * dim + d]! *= scale;
  }
  return rows;
}
