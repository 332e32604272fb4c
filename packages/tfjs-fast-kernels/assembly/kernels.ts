// The fused kernels as 128-bit SIMD WebAssembly, built by scripts/build-simd.mjs with
// AssemblyScript into src/simd-binary.ts. They read and write tfjs-backend-wasm's own heap:
// the module imports that memory and every argument named as a pointer is a byte offset
// into it. No allocation, no data segment (the build checks), so nothing of the heap but the
// outputs is ever written. Same formulas as the JS kernels in src/ (test/simd.test.ts
// compares them); sums are float32 here.

// AssemblyScript, not TypeScript (f32, v128, load/store are its built-ins): biome.json and
// tsconfig leave this folder out.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const TANH_CLAMP: f32 = 7.905311107635498;
const GELU_SCALE: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

// c + a b for the products' inner loops and the softmax's exp. The FMA build (scripts/build-simd.mjs with
// `--enable relaxed-simd`, src/simd-fma-binary.ts) fuses it into f32x4.relaxed_madd: one
// rounding instead of two, ~25-45% faster loops where the engine lowers it to a hardware FMA
// (it may also run it as mul + add: relaxed SIMD leaves that to the engine). The stock
// build keeps mul then add, so its floats are unchanged.
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// c - a b, fused in the FMA build as madd is (f32x4.relaxed_nmadd), else mul then sub.
@inline function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

// expf as Cephes writes it: 2^n p(r), n = round(x log2 e), r = x - n ln 2 (two parts), for
// the softmax's x = logit - row max: x <= 0 or NaN, and below -80 the result is 0. n is
// rounded by adding 1.5 * 2^23 (round to nearest even, as f32x4.nearest), whose low bits are
// then n itself: V8 lowers f32x4.min/max and trunc_sat to long NaN-safe sequences, which
// made this exp cost more than the rest of the softmax. No clamps (issue 23o): the old
// upper one (88.7) never acted on x <= 0, and the lower one (-87.3, so that 2^n stays a
// float) only on x < -80, whose result the mask sets to 0 whatever the arithmetic gave;
// the floats are those of the clamped form.
const ROUND_MAGIC: f32 = 12582912.0;
// t's bits are 0x4B400000 + n for |n| < 2^22, and 2^n is (n + 127) << 23: one integer add.
const EXPONENT_FROM_T: i32 = 127 - 0x4b400000;
@inline function expV(x: v128): v128 {
  const t = madd(x, f32x4.splat(LOG2E), f32x4.splat(ROUND_MAGIC));
  const n = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  let r = nmadd(n, f32x4.splat(LN2_HI), x);
  r = nmadd(n, f32x4.splat(LN2_LO), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(EXPONENT_FROM_T)), 23);
  // Below -80, exactly 0 (as expf gives for a padded score): values near the clamp would be
  // float32 denormals, and a denormal probability makes every later product with it (the
  // attention's matmuls, forward and backward) tens of times slower on x86.
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, f32x4.splat(-80)));
}

// Eigen's float tanh (src/fast-tanh.ts), four lanes at a time.
@inline function tanhV(value: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(value, f32x4.splat(-TANH_CLAMP)), f32x4.splat(TANH_CLAMP));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(x2, f32x4.splat(-2.76076847742355e-16)), f32x4.splat(2.00018790482477e-13));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-8.60467152213735e-11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(5.12229709037114e-8));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(1.48572235717979e-5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(6.37261928875436e-4));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(4.89352455891786e-3));
  let q = f32x4.add(f32x4.mul(x2, f32x4.splat(1.19825839466702e-6)), f32x4.splat(1.18534705686654e-4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(2.268434632439e-3));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(4.89352518554385e-3));
  return f32x4.div(f32x4.mul(p, x), q);
}

@inline function laneSum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

@inline function laneMax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

@inline function scalarOf(v: v128): f32 {
  return f32x4.extract_lane(v, 0);
}

/** Softmax of each row of logits (+ bias row r / rowsPerGroup when bias != 0) into y. */
export function softmaxRows(logits: usize, bias: usize, y: usize, rows: i32, width: i32, rowsPerGroup: i32): void {
  const vecEnd = width & ~3;
  const rowBytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    const src = logits + <usize>r * rowBytes;
    const dst = y + <usize>r * rowBytes;
    const add: usize = bias == 0 ? <usize>0 : bias + <usize>(r / rowsPerGroup) * rowBytes;
    let maxV = f32x4.splat(-Infinity);
    let i = 0;
    for (; i < vecEnd; i += 4) {
      let v = v128.load(src + (<usize>i << 2));
      if (add != 0) v = f32x4.add(v, v128.load(add + (<usize>i << 2)));
      v128.store(dst + (<usize>i << 2), v);
      maxV = f32x4.pmax(maxV, v);
    }
    let m = laneMax(maxV);
    for (; i < width; i++) {
      let v = load<f32>(src + (<usize>i << 2));
      if (add != 0) v += load<f32>(add + (<usize>i << 2));
      store<f32>(dst + (<usize>i << 2), v);
      m = max(m, v);
    }
    const mV = f32x4.splat(m);
    let sumV = f32x4.splat(0);
    i = 0;
    // Two vectors a pass: V8 materialises the polynomial's constants on every iteration.
    for (; i + 8 <= vecEnd; i += 8) {
      const at = dst + (<usize>i << 2);
      const e = expV(f32x4.sub(v128.load(at), mV));
      const f = expV(f32x4.sub(v128.load(at, 16), mV));
      v128.store(at, e);
      v128.store(at, f, 16);
      sumV = f32x4.add(f32x4.add(sumV, e), f);
    }
    for (; i < vecEnd; i += 4) {
      const e = expV(f32x4.sub(v128.load(dst + (<usize>i << 2)), mV));
      v128.store(dst + (<usize>i << 2), e);
      sumV = f32x4.add(sumV, e);
    }
    let total = laneSum(sumV);
    for (; i < width; i++) {
      const e = scalarOf(expV(f32x4.splat(load<f32>(dst + (<usize>i << 2)) - m)));
      store<f32>(dst + (<usize>i << 2), e);
      total += e;
    }
    const inverse: f32 = 1 / total;
    const invV = f32x4.splat(inverse);
    i = 0;
    for (; i < vecEnd; i += 4) v128.store(dst + (<usize>i << 2), f32x4.mul(v128.load(dst + (<usize>i << 2)), invV));
    for (; i < width; i++) store<f32>(dst + (<usize>i << 2), load<f32>(dst + (<usize>i << 2)) * inverse);
  }
}

/** dx = y (dy - sum(dy y)) per row. */
export function softmaxGradRows(dy: usize, y: usize, dx: usize, rows: i32, width: i32): void {
  const vecEnd = width & ~3;
  const rowBytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * rowBytes;
    let dotV = f32x4.splat(0);
    let i = 0;
    for (; i < vecEnd; i += 4) {
      const at = o + (<usize>i << 2);
      dotV = f32x4.add(dotV, f32x4.mul(v128.load(dy + at), v128.load(y + at)));
    }
    let dot = laneSum(dotV);
    for (; i < width; i++) dot += load<f32>(dy + o + (<usize>i << 2)) * load<f32>(y + o + (<usize>i << 2));
    const dotS = f32x4.splat(dot);
    i = 0;
    for (; i < vecEnd; i += 4) {
      const at = o + (<usize>i << 2);
      v128.store(dx + at, f32x4.mul(v128.load(y + at), f32x4.sub(v128.load(dy + at), dotS)));
    }
    for (; i < width; i++) {
      const at = o + (<usize>i << 2);
      store<f32>(dx + at, load<f32>(y + at) * (load<f32>(dy + at) - dot));
    }
  }
}

/** Lanes 0 and 1: the row's mean and 1 / sqrt(variance + epsilon). */
@inline function rowMoments(x: usize, width: i32, epsilon: f32): v128 {
  const vecEnd = width & ~3;
  let sumV = f32x4.splat(0);
  let i = 0;
  for (; i < vecEnd; i += 4) sumV = f32x4.add(sumV, v128.load(x + (<usize>i << 2)));
  let sum = laneSum(sumV);
  for (; i < width; i++) sum += load<f32>(x + (<usize>i << 2));
  const mean: f32 = sum / <f32>width;
  const meanV = f32x4.splat(mean);
  let sqV = f32x4.splat(0);
  i = 0;
  for (; i < vecEnd; i += 4) {
    const d = f32x4.sub(v128.load(x + (<usize>i << 2)), meanV);
    sqV = f32x4.add(sqV, f32x4.mul(d, d));
  }
  let squares = laneSum(sqV);
  for (; i < width; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - mean;
    squares += d * d;
  }
  const inverseStd: f32 = 1 / sqrt<f32>(squares / <f32>width + epsilon);
  return f32x4.replace_lane(f32x4.splat(mean), 1, inverseStd);
}

export function layerNormRows(x: usize, gamma: usize, beta: usize, y: usize, rows: i32, width: i32, epsilon: f32): void {
  const vecEnd = width & ~3;
  const rowBytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    const src = x + <usize>r * rowBytes;
    const dst = y + <usize>r * rowBytes;
    const moments = rowMoments(src, width, epsilon);
    const mean = f32x4.extract_lane(moments, 0);
    const inverseStd = f32x4.extract_lane(moments, 1);
    const meanV = f32x4.splat(mean);
    const invV = f32x4.splat(inverseStd);
    let i = 0;
    for (; i < vecEnd; i += 4) {
      const at = <usize>i << 2;
      const normed = f32x4.mul(f32x4.sub(v128.load(src + at), meanV), invV);
      v128.store(dst + at, f32x4.add(f32x4.mul(normed, v128.load(gamma + at)), v128.load(beta + at)));
    }
    for (; i < width; i++) {
      const at = <usize>i << 2;
      store<f32>(dst + at, (load<f32>(src + at) - mean) * inverseStd * load<f32>(gamma + at) + load<f32>(beta + at));
    }
  }
}

/** dx per row; dgamma and dbeta summed over rows (zeroed first). Moments recomputed from x. */
export function layerNormGradRows(
  dy: usize,
  x: usize,
  gamma: usize,
  dx: usize,
  dgamma: usize,
  dbeta: usize,
  rows: i32,
  width: i32,
  epsilon: f32,
): void {
  const vecEnd = width & ~3;
  const rowBytes = <usize>width << 2;
  memory.fill(dgamma, 0, rowBytes);
  memory.fill(dbeta, 0, rowBytes);
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * rowBytes;
    const moments = rowMoments(x + o, width, epsilon);
    const mean = f32x4.extract_lane(moments, 0);
    const inverseStd = f32x4.extract_lane(moments, 1);
    const meanV = f32x4.splat(mean);
    const invV = f32x4.splat(inverseStd);
    let gradV = f32x4.splat(0);
    let dotV = f32x4.splat(0);
    let i = 0;
    for (; i < vecEnd; i += 4) {
      const at = <usize>i << 2;
      const g = v128.load(dy + o + at);
      const normed = f32x4.mul(f32x4.sub(v128.load(x + o + at), meanV), invV);
      const scaled = f32x4.mul(g, v128.load(gamma + at));
      gradV = f32x4.add(gradV, scaled);
      dotV = f32x4.add(dotV, f32x4.mul(scaled, normed));
      v128.store(dgamma + at, f32x4.add(v128.load(dgamma + at), f32x4.mul(g, normed)));
      v128.store(dbeta + at, f32x4.add(v128.load(dbeta + at), g));
    }
    let gradSum = laneSum(gradV);
    let dot = laneSum(dotV);
    for (; i < width; i++) {
      const at = <usize>i << 2;
      const g = load<f32>(dy + o + at);
      const normed = (load<f32>(x + o + at) - mean) * inverseStd;
      const scaled = g * load<f32>(gamma + at);
      gradSum += scaled;
      dot += scaled * normed;
      store<f32>(dgamma + at, load<f32>(dgamma + at) + g * normed);
      store<f32>(dbeta + at, load<f32>(dbeta + at) + g);
    }
    const gradMean: f32 = gradSum / <f32>width;
    const dotMean: f32 = dot / <f32>width;
    const gmV = f32x4.splat(gradMean);
    const dmV = f32x4.splat(dotMean);
    i = 0;
    for (; i < vecEnd; i += 4) {
      const at = <usize>i << 2;
      const normed = f32x4.mul(f32x4.sub(v128.load(x + o + at), meanV), invV);
      const scaled = f32x4.mul(v128.load(dy + o + at), v128.load(gamma + at));
      v128.store(dx + o + at, f32x4.mul(invV, f32x4.sub(f32x4.sub(scaled, gmV), f32x4.mul(normed, dmV))));
    }
    for (; i < width; i++) {
      const at = <usize>i << 2;
      const normed = (load<f32>(x + o + at) - mean) * inverseStd;
      store<f32>(dx + o + at, inverseStd * (load<f32>(dy + o + at) * load<f32>(gamma + at) - gradMean - normed * dotMean));
    }
  }
}

@inline function geluV(x: v128): v128 {
  const u = f32x4.mul(f32x4.splat(GELU_SCALE), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_CUBIC), f32x4.mul(x, f32x4.mul(x, x)))));
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1), tanhV(u)));
}

@inline function geluGradV(dy: v128, x: v128): v128 {
  const square = f32x4.mul(x, x);
  const t = tanhV(f32x4.mul(f32x4.splat(GELU_SCALE), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_CUBIC), f32x4.mul(square, x)))));
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  const inner = f32x4.mul(
    f32x4.mul(f32x4.mul(half, x), f32x4.sub(one, f32x4.mul(t, t))),
    f32x4.mul(f32x4.splat(GELU_SCALE), f32x4.add(one, f32x4.mul(f32x4.splat(3 * GELU_CUBIC), square))),
  );
  return f32x4.mul(dy, f32x4.add(f32x4.mul(half, f32x4.add(one, t)), inner));
}

export function geluValues(x: usize, y: usize, n: i32): void {
  const vecEnd = n & ~3;
  let i = 0;
  for (; i < vecEnd; i += 4) v128.store(y + (<usize>i << 2), geluV(v128.load(x + (<usize>i << 2))));
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), scalarOf(geluV(f32x4.splat(load<f32>(x + (<usize>i << 2))))));
}

export function geluGradValues(dy: usize, x: usize, dx: usize, n: i32): void {
  const vecEnd = n & ~3;
  let i = 0;
  for (; i < vecEnd; i += 4) {
    const at = <usize>i << 2;
    v128.store(dx + at, geluGradV(v128.load(dy + at), v128.load(x + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dx + at, scalarOf(geluGradV(f32x4.splat(load<f32>(dy + at)), f32x4.splat(load<f32>(x + at)))));
  }
}

/** out[c] = sum over rows of x[r, c]. */
export function columnSums(x: usize, out: usize, rows: i32, width: i32): void {
  memory.fill(out, 0, <usize>width << 2);
  addRows(x, <usize>width << 2, out, rows, width);
}

/** out[b, h, n, j] = scale x[b N + n, offset + h d + j], x having `columns` columns. */
export function splitHeadsCopy(
  x: usize,
  out: usize,
  batch: i32,
  tokens: i32,
  heads: i32,
  depth: i32,
  columns: i32,
  offset: i32,
  scale: f32,
): void {
  const vecEnd = depth & ~3;
  const scaleV = f32x4.splat(scale);
  let to = out;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let n = 0; n < tokens; n++) {
        const from = x + ((<usize>(b * tokens + n) * columns + offset + h * depth) << 2);
        let j = 0;
        for (; j < vecEnd; j += 4) v128.store(to + (<usize>j << 2), f32x4.mul(v128.load(from + (<usize>j << 2)), scaleV));
        for (; j < depth; j++) store<f32>(to + (<usize>j << 2), load<f32>(from + (<usize>j << 2)) * scale);
        to += <usize>depth << 2;
      }
    }
  }
}

/** out[b N + n, part H d + h d + j] = scale part[b, h, n, j] for one part of `parts`. */
export function mergeHeadsCopy(
  part: usize,
  out: usize,
  batch: i32,
  tokens: i32,
  heads: i32,
  depth: i32,
  parts: i32,
  index: i32,
  scale: f32,
): void {
  const vecEnd = depth & ~3;
  const scaleV = f32x4.splat(scale);
  const columns = parts * heads * depth;
  let from = part;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let n = 0; n < tokens; n++) {
        const to = out + ((<usize>(b * tokens + n) * columns + index * heads * depth + h * depth) << 2);
        let j = 0;
        for (; j < vecEnd; j += 4) v128.store(to + (<usize>j << 2), f32x4.mul(v128.load(from + (<usize>j << 2)), scaleV));
        for (; j < depth; j++) store<f32>(to + (<usize>j << 2), load<f32>(from + (<usize>j << 2)) * scale);
        from += <usize>depth << 2;
      }
    }
  }
}

// One row of out = A(i, :) B over p in [0, k): sixteen columns at a time in four vector
// registers while p runs, then four, then one. A(i, p) is at aRow + p stepP; B is row-major,
// its rows bRowBytes apart (n floats of each used). With acc, the sums continue from what out
// holds (the earlier p). With bias (not 0: the last block of p), bias[j] is added to each
// finished sum before it is stored: the same float addition a separate Add of the bias row
// would make afterwards.
@inline function productRow(aRow: usize, stepP: usize, b: usize, bRowBytes: usize, outRow: usize, k: i32, n: i32, acc: bool, bias: usize): void {
  const rowBytes = bRowBytes;
  const n16 = n & ~15;
  let j = 0;
  for (; j < n16; j += 16) {
    const to = outRow + (<usize>j << 2);
    let c0 = acc ? v128.load(to) : f32x4.splat(0);
    let c1 = acc ? v128.load(to, 16) : f32x4.splat(0);
    let c2 = acc ? v128.load(to, 32) : f32x4.splat(0);
    let c3 = acc ? v128.load(to, 48) : f32x4.splat(0);
    let ap = aRow;
    let bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      const av = v128.load32_splat(ap);
      c0 = madd(av, v128.load(bp), c0);
      c1 = madd(av, v128.load(bp, 16), c1);
      c2 = madd(av, v128.load(bp, 32), c2);
      c3 = madd(av, v128.load(bp, 48), c3);
      ap += stepP;
      bp += rowBytes;
    }
    if (bias != 0) {
      const at = bias + (<usize>j << 2);
      c0 = f32x4.add(c0, v128.load(at));
      c1 = f32x4.add(c1, v128.load(at, 16));
      c2 = f32x4.add(c2, v128.load(at, 32));
      c3 = f32x4.add(c3, v128.load(at, 48));
    }
    v128.store(to, c0);
    v128.store(to, c1, 16);
    v128.store(to, c2, 32);
    v128.store(to, c3, 48);
  }
  productTail(aRow, stepP, b, bRowBytes, outRow, k, n, j, acc, bias);
}

// Two rows of out at once for their first sixteen-column blocks (each B vector loaded once
// for both), the same sums in the same order as productRow; the rest of the columns by productRow.
// The second row of out is outRowBytes after the first.
@inline function productRowPair(
  aRow: usize,
  stepI: usize,
  stepP: usize,
  b: usize,
  bRowBytes: usize,
  outRow: usize,
  outRowBytes: usize,
  k: i32,
  n: i32,
  acc: bool,
  bias: usize,
): void {
  const rowBytes = bRowBytes;
  const n16 = n & ~15;
  for (let j = 0; j < n16; j += 16) {
    const to = outRow + (<usize>j << 2);
    const next = to + outRowBytes;
    let c0 = acc ? v128.load(to) : f32x4.splat(0);
    let c1 = acc ? v128.load(to, 16) : f32x4.splat(0);
    let c2 = acc ? v128.load(to, 32) : f32x4.splat(0);
    let c3 = acc ? v128.load(to, 48) : f32x4.splat(0);
    let d0 = acc ? v128.load(next) : f32x4.splat(0);
    let d1 = acc ? v128.load(next, 16) : f32x4.splat(0);
    let d2 = acc ? v128.load(next, 32) : f32x4.splat(0);
    let d3 = acc ? v128.load(next, 48) : f32x4.splat(0);
    let ap = aRow;
    let bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      const av = v128.load32_splat(ap);
      const aw = v128.load32_splat(ap + stepI);
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      const b2 = v128.load(bp, 32);
      const b3 = v128.load(bp, 48);
      c0 = madd(av, b0, c0);
      c1 = madd(av, b1, c1);
      c2 = madd(av, b2, c2);
      c3 = madd(av, b3, c3);
      d0 = madd(aw, b0, d0);
      d1 = madd(aw, b1, d1);
      d2 = madd(aw, b2, d2);
      d3 = madd(aw, b3, d3);
      ap += stepP;
      bp += rowBytes;
    }
    if (bias != 0) {
      const at = bias + (<usize>j << 2);
      const e0 = v128.load(at);
      const e1 = v128.load(at, 16);
      const e2 = v128.load(at, 32);
      const e3 = v128.load(at, 48);
      c0 = f32x4.add(c0, e0);
      c1 = f32x4.add(c1, e1);
      c2 = f32x4.add(c2, e2);
      c3 = f32x4.add(c3, e3);
      d0 = f32x4.add(d0, e0);
      d1 = f32x4.add(d1, e1);
      d2 = f32x4.add(d2, e2);
      d3 = f32x4.add(d3, e3);
    }
    v128.store(to, c0);
    v128.store(to, c1, 16);
    v128.store(to, c2, 32);
    v128.store(to, c3, 48);
    v128.store(next, d0);
    v128.store(next, d1, 16);
    v128.store(next, d2, 32);
    v128.store(next, d3, 48);
  }
  if (n16 < n) {
    // The remaining columns of both rows: a product of the column range [n16, n).
    productTail(aRow, stepP, b, bRowBytes, outRow, k, n, n16, acc, bias);
    productTail(aRow + stepI, stepP, b, bRowBytes, outRow + outRowBytes, k, n, n16, acc, bias);
  }
}

// Columns [from, n) of one row, four then one at a time, as productRow does them.
@inline function productTail(
  aRow: usize,
  stepP: usize,
  b: usize,
  bRowBytes: usize,
  outRow: usize,
  k: i32,
  n: i32,
  from: i32,
  acc: bool,
  bias: usize,
): void {
  const rowBytes = bRowBytes;
  const n4 = n & ~3;
  let j = from;
  for (; j < n4; j += 4) {
    const to = outRow + (<usize>j << 2);
    let c = acc ? v128.load(to) : f32x4.splat(0);
    let ap = aRow;
    let bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      c = madd(v128.load32_splat(ap), v128.load(bp), c);
      ap += stepP;
      bp += rowBytes;
    }
    if (bias != 0) c = f32x4.add(c, v128.load(bias + (<usize>j << 2)));
    v128.store(to, c);
  }
  for (; j < n; j++) {
    const to = outRow + (<usize>j << 2);
    let c: f32 = acc ? load<f32>(to) : 0;
    let ap = aRow;
    let bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      c += load<f32>(ap) * load<f32>(bp);
      ap += stepP;
      bp += rowBytes;
    }
    if (bias != 0) c += load<f32>(bias + (<usize>j << 2));
    store<f32>(to, c);
  }
}

/**
 * out [m, n] = op(a) op(b) for one matrix of a batched product: a is [m, k] ([k, m] when
 * transA), b is [k, n] ([n, k] when transB, first copied to `scratch` as [k, n]). Each
 * output element is a float32 sum over p in ascending order, whatever the blocking.
 *
 * p runs in blocks of `blockK` rows of B (0: all of k at once): each block of B stays in
 * the L1 cache while every row of A passes over it, where a whole large B (the weight
 * gradients' [640, 64] to [1280, 192]) would stream from L2 once per pair of rows. A block
 * continues the sums the previous one left in out, so the order of the additions, and so
 * every float, is the same as without blocks.
 *
 * bias (a byte offset, 0: none) is a row of n floats added to every row of out once its sums
 * are complete (in the last block): out = round(sum) + bias, as a separate Add of the bias
 * after the product gives, without a second pass over out.
 */
export function matMulSlice(
  a: usize,
  b: usize,
  out: usize,
  m: i32,
  k: i32,
  n: i32,
  transA: i32,
  transB: i32,
  scratch: usize,
  blockK: i32,
  bias: usize,
): void {
  let rows = b;
  if (transB != 0) {
    for (let j = 0; j < n; j++) {
      const from = b + (<usize>(j * k) << 2);
      for (let p = 0; p < k; p++) store<f32>(scratch + (<usize>(p * n + j) << 2), load<f32>(from + (<usize>p << 2)));
    }
    rows = scratch;
  }
  const lda = transA != 0 ? m : k;
  productStrided(a, lda, rows, n, out, n, m, k, n, transA, blockK, bias);
}

/**
 * out = op(a) b as matMulSlice computes it (the same sums in the same order, so the same
 * floats), with each matrix's row length given: a's rows are lda floats apart (a is [m, k],
 * or [k, m] when transA), b's ldb, out's ldc. So a product can read a head of q, k or v and
 * write a head of its result in place, inside rows holding every head (the attention core).
 */
export function productStrided(
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  out: usize,
  ldc: i32,
  m: i32,
  k: i32,
  n: i32,
  transA: i32,
  blockK: i32,
  bias: usize,
): void {
  productBlocks(a, lda, b, ldb, out, ldc, m, k, n, transA, blockK, bias, 0);
}

// The loop of productStrided; with sums (not 0), also the column sums of b's rows, added
// into sums[0..n) one block of p at a time while that block is in the L1 cache.
@inline function productBlocks(
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  out: usize,
  ldc: i32,
  m: i32,
  k: i32,
  n: i32,
  transA: i32,
  blockK: i32,
  bias: usize,
  sums: usize,
): void {
  const stepI: usize = transA != 0 ? 4 : <usize>lda << 2;
  const stepP: usize = transA != 0 ? <usize>lda << 2 : 4;
  const bRowBytes = <usize>ldb << 2;
  const outRowBytes = <usize>ldc << 2;
  const block = blockK > 0 && blockK < k ? blockK : k;
  for (let p0 = 0; p0 < k; p0 += block) {
    const kb = min(block, k - p0);
    const acc = p0 > 0;
    const biasHere: usize = p0 + kb >= k ? bias : 0;
    const left = a + <usize>p0 * stepP;
    const right = b + <usize>p0 * bRowBytes;
    if (sums != 0) addRows(right, bRowBytes, sums, kb, n);
    let i = 0;
    for (; i + 1 < m; i += 2)
      productRowPair(left + <usize>i * stepI, stepI, stepP, right, bRowBytes, out + <usize>i * outRowBytes, outRowBytes, kb, n, acc, biasHere);
    if (i < m) productRow(left + <usize>i * stepI, stepP, right, bRowBytes, out + <usize>i * outRowBytes, kb, n, acc, biasHere);
  }
}

// out[c] += x[r, c] for r in [0, rows), in that order: columnSums' additions, a block at a time.
@inline function addRows(x: usize, rowBytes: usize, out: usize, rows: i32, width: i32): void {
  const vecEnd = width & ~3;
  for (let r = 0; r < rows; r++) {
    const o = x + <usize>r * rowBytes;
    let i = 0;
    for (; i < vecEnd; i += 4) {
      const at = <usize>i << 2;
      v128.store(out + at, f32x4.add(v128.load(out + at), v128.load(o + at)));
    }
    for (; i < width; i++) {
      const at = <usize>i << 2;
      store<f32>(out + at, load<f32>(out + at) + load<f32>(o + at));
    }
  }
}

/**
 * A linear layer's weight and bias gradients from one pass over dy: dw [in, out] = x^T dy
 * (matMulSlice with transA, the same blocks of p) and db [out] = the column sums of dy
 * (columnSums' additions in its order), for x [rows, in] and dy [rows, out]. Each block of
 * dy is summed into db while it is in the L1 cache for the product, instead of a second
 * kernel reading all of dy again: the floats of the two kernels, one launch and one read of
 * dy fewer.
 */
export function weightBiasGrad(x: usize, dy: usize, dw: usize, db: usize, rows: i32, inCols: i32, outCols: i32, blockK: i32): void {
  memory.fill(db, 0, <usize>outCols << 2);
  productBlocks(x, inCols, dy, outCols, dw, outCols, inCols, rows, outCols, 1, blockK, 0, db);
}

/**
 * One Adam step over n values, tf.train.adam's float32 operations in its order (so the
 * same bits): g' = g s; m' = m b1 + g' (1 - b1); v' = v b2 + g'^2 (1 - b2);
 * w0 = w (1 - mask decayRate) when mask != 0, else w;
 * w' = (m' / c1) / (sqrt(v' / c2) + eps) (-lr) + w0, with c1 = 1 - acc1 and c2 = 1 - acc2.
 */
export function adamUpdate(
  g: usize,
  m: usize,
  v: usize,
  w: usize,
  mask: usize,
  mOut: usize,
  vOut: usize,
  wOut: usize,
  n: i32,
  gradScale: f32,
  b1: f32,
  oneMinusB1: f32,
  b2: f32,
  oneMinusB2: f32,
  acc1: f32,
  acc2: f32,
  eps: f32,
  negLr: f32,
  decayRate: f32,
): void {
  const c1: f32 = 1 - acc1;
  const c2: f32 = 1 - acc2;
  const sV = f32x4.splat(gradScale);
  const b1V = f32x4.splat(b1);
  const o1V = f32x4.splat(oneMinusB1);
  const b2V = f32x4.splat(b2);
  const o2V = f32x4.splat(oneMinusB2);
  const c1V = f32x4.splat(c1);
  const c2V = f32x4.splat(c2);
  const epsV = f32x4.splat(eps);
  const lrV = f32x4.splat(negLr);
  const drV = f32x4.splat(decayRate);
  const oneV = f32x4.splat(1);
  const vecEnd = n & ~3;
  let i = 0;
  for (; i < vecEnd; i += 4) {
    const at = <usize>i << 2;
    const gi = f32x4.mul(v128.load(g + at), sV);
    const mi = f32x4.add(f32x4.mul(v128.load(m + at), b1V), f32x4.mul(gi, o1V));
    const vi = f32x4.add(f32x4.mul(v128.load(v + at), b2V), f32x4.mul(f32x4.mul(gi, gi), o2V));
    v128.store(mOut + at, mi);
    v128.store(vOut + at, vi);
    let wi = v128.load(w + at);
    if (mask != 0) wi = f32x4.mul(wi, f32x4.sub(oneV, f32x4.mul(v128.load(mask + at), drV)));
    const step = f32x4.div(f32x4.div(mi, c1V), f32x4.add(f32x4.sqrt(f32x4.div(vi, c2V)), epsV));
    v128.store(wOut + at, f32x4.add(f32x4.mul(step, lrV), wi));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const gi: f32 = load<f32>(g + at) * gradScale;
    const mi: f32 = load<f32>(m + at) * b1 + gi * oneMinusB1;
    const vi: f32 = load<f32>(v + at) * b2 + gi * gi * oneMinusB2;
    store<f32>(mOut + at, mi);
    store<f32>(vOut + at, vi);
    let wi = load<f32>(w + at);
    if (mask != 0) wi = wi * (1 - load<f32>(mask + at) * decayRate);
    const step: f32 = mi / c1 / (Mathf.sqrt(vi / c2) + eps);
    store<f32>(wOut + at, step * negLr + wi);
  }
}

/**
 * out = a + b over n values: b has n values too (width 0), or is one row of `width` values
 * added to every row of a. The stock wasm Add goes element by element through its
 * broadcasting loop, ~2 ns an element here.
 */
export function addValues(a: usize, b: usize, out: usize, n: i32, width: i32): void {
  if (width <= 0) {
    const vecEnd = n & ~3;
    let i = 0;
    for (; i < vecEnd; i += 4) {
      const at = <usize>i << 2;
      v128.store(out + at, f32x4.add(v128.load(a + at), v128.load(b + at)));
    }
    for (; i < n; i++) {
      const at = <usize>i << 2;
      store<f32>(out + at, load<f32>(a + at) + load<f32>(b + at));
    }
    return;
  }
  const rows = n / width;
  const vecEnd = width & ~3;
  const rowBytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    const from = a + <usize>r * rowBytes;
    const to = out + <usize>r * rowBytes;
    let j = 0;
    for (; j < vecEnd; j += 4) {
      const at = <usize>j << 2;
      v128.store(to + at, f32x4.add(v128.load(from + at), v128.load(b + at)));
    }
    for (; j < width; j++) {
      const at = <usize>j << 2;
      store<f32>(to + at, load<f32>(from + at) + load<f32>(b + at));
    }
  }
}
export { attentionBackward, attentionForward } from './attention-core';
