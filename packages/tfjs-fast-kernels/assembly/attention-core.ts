// The attention core softmax(q k^T scale + bias) v per (batch item, head), forward and
// backward, over q, k and v read in place from their row-major projections (a head is a
// column range of each row): one call each way instead of split-heads, three batched
// products, softmax and merge-heads kernels forward and eight backward. Each (b, h) pair's
// head copies, scores and probabilities stay in the L1 cache between the steps. The steps
// are the module's own products (productStrided, matMulSlice's loop), softmaxRows and
// softmaxGradRows, summing in the separate kernels' order, so the floats are those of the
// separate-kernel path. A product reads an operand that needs no scaling or transposing
// (v forward; k and dy backward) in place, inside its projection's rows, and writes a result
// that needs no scaling (the output forward; dk and dv backward) in place too: only the
// scaled q, the transposed k (forward) or v (backward) and the scaled dq go through copies.
//
// Pointers are byte offsets into tfjs-backend-wasm's heap; q, k, v, dy and the gradient
// pointers already point at their first column (the caller adds the column offset), and
// `columns` is the row length of the matrix each one lives in. Rows are b N + n.
import { productStrided, softmaxGradRows, softmaxRows } from './kernels';

// dst [rows, depth] = scale src[n, 0..depth) (rows `columns` floats apart).
@inline function gatherHead(src: usize, columns: i32, rows: i32, depth: i32, scale: f32, dst: usize): void {
  const vecEnd = depth & ~3;
  const scaleV = f32x4.splat(scale);
  const rowBytes = <usize>columns << 2;
  let to = dst;
  for (let n = 0; n < rows; n++) {
    const from = src + <usize>n * rowBytes;
    let j = 0;
    for (; j < vecEnd; j += 4) v128.store(to + (<usize>j << 2), f32x4.mul(v128.load(from + (<usize>j << 2)), scaleV));
    for (; j < depth; j++) store<f32>(to + (<usize>j << 2), load<f32>(from + (<usize>j << 2)) * scale);
    to += <usize>depth << 2;
  }
}

// dst [depth, rows] = src[n, 0..depth) transposed: 4 x 4 blocks through registers (four
// loads, eight shuffles, four stores), the ragged edges a float at a time. Only moves floats.
@inline function gatherHeadTransposed(src: usize, columns: i32, rows: i32, depth: i32, dst: usize): void {
  const rowBytes = <usize>columns << 2;
  const dstRowBytes = <usize>rows << 2;
  const rows4 = rows & ~3;
  const depth4 = depth & ~3;
  let n = 0;
  for (; n < rows4; n += 4) {
    const from = src + <usize>n * rowBytes;
    const to = dst + (<usize>n << 2);
    let j = 0;
    for (; j < depth4; j += 4) {
      const at = from + (<usize>j << 2);
      const r0 = v128.load(at);
      const r1 = v128.load(at + rowBytes);
      const r2 = v128.load(at + 2 * rowBytes);
      const r3 = v128.load(at + 3 * rowBytes);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const out = to + <usize>j * dstRowBytes;
      v128.store(out, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
      v128.store(out + dstRowBytes, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
      v128.store(out + 2 * dstRowBytes, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
      v128.store(out + 3 * dstRowBytes, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
    }
    for (; j < depth; j++)
      for (let q = 0; q < 4; q++)
        store<f32>(dst + (<usize>(j * rows + n + q) << 2), load<f32>(from + <usize>q * rowBytes + (<usize>j << 2)));
  }
  for (; n < rows; n++) {
    const from = src + <usize>n * rowBytes;
    for (let j = 0; j < depth; j++) store<f32>(dst + (<usize>(j * rows + n) << 2), load<f32>(from + (<usize>j << 2)));
  }
}

// dst[n, 0..depth) = scale head[n, :] (rows of dst `columns` floats apart): dq's scale.
@inline function scatterHead(head: usize, columns: i32, rows: i32, depth: i32, scale: f32, dst: usize): void {
  const vecEnd = depth & ~3;
  const scaleV = f32x4.splat(scale);
  const rowBytes = <usize>columns << 2;
  let from = head;
  for (let n = 0; n < rows; n++) {
    const to = dst + <usize>n * rowBytes;
    let j = 0;
    for (; j < vecEnd; j += 4) v128.store(to + (<usize>j << 2), f32x4.mul(v128.load(from + (<usize>j << 2)), scaleV));
    for (; j < depth; j++) store<f32>(to + (<usize>j << 2), load<f32>(from + (<usize>j << 2)) * scale);
    from += <usize>depth << 2;
  }
}

// Byte offset of head h of batch item b in a matrix of `columns` floats a row, N rows an item.
@inline function headAt(base: usize, b: i32, tokens: i32, columns: i32, h: i32, depth: i32): usize {
  return base + ((<usize>b * <usize>tokens * <usize>columns + <usize>(h * depth)) << 2);
}

/**
 * out [B Nq, H d] and probabilities [B, H, Nq, Nk]: per (b, h), P = softmax((scale q) k^T +
 * bias[b]) (bias 0: none), out head = P v. scratch holds (2 Nq + 2 Nk) d floats (of which
 * (Nq + Nk) d are used now).
 */
export function attentionForward(
  q: usize,
  qColumns: i32,
  k: usize,
  kColumns: i32,
  v: usize,
  vColumns: i32,
  bias: usize,
  out: usize,
  probabilities: usize,
  batch: i32,
  queries: i32,
  keys: i32,
  heads: i32,
  depth: i32,
  scale: f32,
  scratch: usize,
): void {
  const outColumns = heads * depth;
  const qh = scratch;
  const kt = qh + (<usize>(queries * depth) << 2);
  const pairBytes = <usize>queries * <usize>keys << 2;
  let p = probabilities;
  for (let b = 0; b < batch; b++) {
    const biasRow: usize = bias == 0 ? <usize>0 : bias + (<usize>(b * keys) << 2);
    for (let h = 0; h < heads; h++) {
      gatherHead(headAt(q, b, queries, qColumns, h, depth), qColumns, queries, depth, scale, qh);
      gatherHeadTransposed(headAt(k, b, keys, kColumns, h, depth), kColumns, keys, depth, kt);
      productStrided(qh, depth, kt, keys, p, keys, queries, depth, keys, 0, 0, 0);
      softmaxRows(p, biasRow, p, queries, keys, queries);
      const vHead = headAt(v, b, keys, vColumns, h, depth);
      const outHead = headAt(out, b, queries, outColumns, h, depth);
      productStrided(p, keys, vHead, vColumns, outHead, outColumns, queries, keys, depth, 0, 0, 0);
      p += pairBytes;
    }
  }
}

/**
 * The gradients of attentionForward for dy [B Nq, H d], given its probabilities: per (b, h)
 * with qs = scale q, dP = dy v^T, dv = P^T dy, dS = P (dP - rowsum(dP P)), dq = scale dS k,
 * dk = dS^T qs, each written into its own columns. scratch holds
 * (4 Nq + 4 Nk) d + Nq Nk floats (of which (2 Nq + Nk) d + Nq Nk are used now).
 */
export function attentionBackward(
  dy: usize,
  q: usize,
  qColumns: i32,
  k: usize,
  kColumns: i32,
  v: usize,
  vColumns: i32,
  probabilities: usize,
  dq: usize,
  dqColumns: i32,
  dk: usize,
  dkColumns: i32,
  dv: usize,
  dvColumns: i32,
  batch: i32,
  queries: i32,
  keys: i32,
  heads: i32,
  depth: i32,
  scale: f32,
  scratch: usize,
): void {
  const dyColumns = heads * depth;
  const queryBytes = <usize>(queries * depth) << 2;
  const keyBytes = <usize>(keys * depth) << 2;
  const qh = scratch;
  const vt = qh + queryBytes;
  const dqh = vt + keyBytes;
  const ds = dqh + queryBytes;
  const pairBytes = <usize>queries * <usize>keys << 2;
  let p = probabilities;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      gatherHead(headAt(q, b, queries, qColumns, h, depth), qColumns, queries, depth, scale, qh);
      gatherHeadTransposed(headAt(v, b, keys, vColumns, h, depth), vColumns, keys, depth, vt);
      const dyHead = headAt(dy, b, queries, dyColumns, h, depth);
      const kHead = headAt(k, b, keys, kColumns, h, depth);
      productStrided(dyHead, dyColumns, vt, keys, ds, keys, queries, depth, keys, 0, 0, 0);
      productStrided(p, keys, dyHead, dyColumns, headAt(dv, b, keys, dvColumns, h, depth), dvColumns, keys, queries, depth, 1, 0, 0);
      softmaxGradRows(ds, p, ds, queries, keys);
      productStrided(ds, keys, kHead, kColumns, dqh, depth, queries, keys, depth, 0, 0, 0);
      productStrided(ds, keys, qh, depth, headAt(dk, b, keys, dkColumns, h, depth), dkColumns, keys, queries, depth, 1, 0, 0);
      scatterHead(dqh, dqColumns, queries, depth, scale, headAt(dq, b, queries, dqColumns, h, depth));
      p += pairBytes;
    }
  }
}
