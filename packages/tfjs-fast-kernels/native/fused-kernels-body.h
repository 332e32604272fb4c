// The fused kernels' loops, included once per instruction set by fused-kernels.c with
// VARIANT(name) naming that copy and VF / VI / VLANES its vector types and width: GCC vector
// extensions as wide as one register of the copy's target (16 floats for AVX-512, 8 for
// AVX2, 4 for SSE; wider vectors than the target's registers compiled to slower code). Same formulas
// as assembly/kernels.ts (the wasm SIMD kernels): Cephes' exp, Eigen's rational tanh, sums
// in float32 lanes.

static inline __attribute__((always_inline)) VF VARIANT(splat)(float value) {
  return (VF){0} + value;
}

static inline __attribute__((always_inline)) VF VARIANT(load)(const float* p) {
  VF v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline __attribute__((always_inline)) void VARIANT(store)(float* p, VF v) {
  memcpy(p, &v, sizeof v);
}

// The first `count` (< VLANES) floats at p, the other lanes `fill`.
static inline __attribute__((always_inline)) VF VARIANT(load_tail)(const float* p, int count, float fill) {
  float lanes[VLANES];
  for (int i = 0; i < VLANES; i++) lanes[i] = i < count ? p[i] : fill;
  return VARIANT(load)(lanes);
}

static inline __attribute__((always_inline)) void VARIANT(store_tail)(float* p, VF v, int count) {
  float lanes[VLANES];
  VARIANT(store)(lanes, v);
  for (int i = 0; i < count; i++) p[i] = lanes[i];
}

static inline __attribute__((always_inline)) VF VARIANT(select)(VI mask, VF yes, VF no) {
  return (VF)((mask & (VI)yes) | (~mask & (VI)no));
}

static inline __attribute__((always_inline)) VF VARIANT(vmax)(VF a, VF b) {
  return VARIANT(select)(a > b, a, b);
}

static inline __attribute__((always_inline)) VF VARIANT(vmin)(VF a, VF b) {
  return VARIANT(select)(a < b, a, b);
}

static inline __attribute__((always_inline)) float VARIANT(lane_sum)(VF v) {
  float s = 0;
  for (int i = 0; i < VLANES; i++) s += v[i];
  return s;
}

static inline __attribute__((always_inline)) float VARIANT(lane_max)(VF v) {
  float m = v[0];
  for (int i = 1; i < VLANES; i++) m = v[i] > m ? v[i] : m;
  return m;
}

// expf as Cephes writes it; arguments clamped to [-87.3, 88.7], and exactly 0 below -80
// (a float32 denormal probability would slow every later product with it).
static inline __attribute__((always_inline)) VF VARIANT(exp_v)(VF value) {
  const VF x = VARIANT(vmin)(VARIANT(vmax)(value, VARIANT(splat)(-87.3f)), VARIANT(splat)(88.7f));
  // Round to nearest by adding and removing 1.5 * 2^23.
  const VF n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  VF r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  VF p = VARIANT(splat)(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const VI scale = (__builtin_convertvector(n, VI) + 127) << 23;
  return (VF)(~(value < -80.0f) & (VI)(p * (VF)scale));
}

// Eigen's float tanh: a rational function on [-7.905, 7.905], +-1 beyond.
static inline __attribute__((always_inline)) VF VARIANT(tanh_v)(VF value) {
  const VF x = VARIANT(vmin)(VARIANT(vmax)(value, VARIANT(splat)(-7.905311107635498f)), VARIANT(splat)(7.905311107635498f));
  const VF x2 = x * x;
  VF p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-8f;
  p = p * x2 + 1.48572235717979e-5f;
  p = p * x2 + 6.37261928875436e-4f;
  p = p * x2 + 4.89352455891786e-3f;
  VF q = x2 * 1.19825839466702e-6f + 1.18534705686654e-4f;
  q = q * x2 + 2.268434632439e-3f;
  q = q * x2 + 4.89352518554385e-3f;
  return (p * x) / q;
}

#define GELU_SCALE 0.7978845608028654f
#define GELU_CUBIC 0.044715f

static inline __attribute__((always_inline)) VF VARIANT(gelu_v)(VF x) {
  const VF u = GELU_SCALE * (x + GELU_CUBIC * (x * (x * x)));
  return (0.5f * x) * (1.0f + VARIANT(tanh_v)(u));
}

static inline __attribute__((always_inline)) VF VARIANT(gelu_grad_v)(VF dy, VF x) {
  const VF square = x * x;
  const VF t = VARIANT(tanh_v)(GELU_SCALE * (x + GELU_CUBIC * (square * x)));
  const VF inner = ((0.5f * x) * (1.0f - t * t)) * (GELU_SCALE * (1.0f + (3 * GELU_CUBIC) * square));
  return dy * (0.5f * (1.0f + t) + inner);
}

static void VARIANT(gelu)(const float* x, float* y, long i0, long i1) {
  long i = i0;
  for (; i + VLANES <= i1; i += VLANES) VARIANT(store)(y + i, VARIANT(gelu_v)(VARIANT(load)(x + i)));
  if (i < i1) VARIANT(store_tail)(y + i, VARIANT(gelu_v)(VARIANT(load_tail)(x + i, (int)(i1 - i), 0)), (int)(i1 - i));
}

static void VARIANT(gelu_grad)(const float* dy, const float* x, float* dx, long i0, long i1) {
  long i = i0;
  for (; i + VLANES <= i1; i += VLANES)
    VARIANT(store)(dx + i, VARIANT(gelu_grad_v)(VARIANT(load)(dy + i), VARIANT(load)(x + i)));
  if (i < i1) {
    const int rest = (int)(i1 - i);
    VARIANT(store_tail)
    (dx + i, VARIANT(gelu_grad_v)(VARIANT(load_tail)(dy + i, rest, 0), VARIANT(load_tail)(x + i, rest, 0)), rest);
  }
}

static void VARIANT(softmax_rows)(const float* logits, const float* bias, float* y, long r0, long r1, int width,
                                  long rows_per_group) {
  const int vec_end = width - width % VLANES;
  const int rest = width - vec_end;
  for (long r = r0; r < r1; r++) {
    const float* src = logits + r * width;
    float* dst = y + r * width;
    const float* add = bias == NULL ? NULL : bias + (r / rows_per_group) * width;
    VF max_v = VARIANT(splat)(-INFINITY);
    int i = 0;
    for (; i < vec_end; i += VLANES) {
      VF v = VARIANT(load)(src + i);
      if (add != NULL) v += VARIANT(load)(add + i);
      VARIANT(store)(dst + i, v);
      max_v = VARIANT(vmax)(max_v, v);
    }
    if (rest > 0) {
      VF v = VARIANT(load_tail)(src + i, rest, -INFINITY);
      if (add != NULL) v += VARIANT(load_tail)(add + i, rest, 0);
      VARIANT(store_tail)(dst + i, v, rest);
      max_v = VARIANT(vmax)(max_v, v);
    }
    const float m = VARIANT(lane_max)(max_v);
    VF sum_v = VARIANT(splat)(0);
    for (i = 0; i < vec_end; i += VLANES) {
      const VF e = VARIANT(exp_v)(VARIANT(load)(dst + i) - m);
      VARIANT(store)(dst + i, e);
      sum_v += e;
    }
    if (rest > 0) {
      // Padding lanes hold -inf - m: their exp is 0.
      const VF e = VARIANT(exp_v)(VARIANT(load_tail)(dst + i, rest, -INFINITY) - m);
      VARIANT(store_tail)(dst + i, e, rest);
      sum_v += e;
    }
    const float inverse = 1.0f / VARIANT(lane_sum)(sum_v);
    for (i = 0; i < vec_end; i += VLANES) VARIANT(store)(dst + i, VARIANT(load)(dst + i) * inverse);
    for (; i < width; i++) dst[i] *= inverse;
  }
}

static void VARIANT(softmax_grad_rows)(const float* dy, const float* y, float* dx, long r0, long r1, int width) {
  const int vec_end = width - width % VLANES;
  const int rest = width - vec_end;
  for (long r = r0; r < r1; r++) {
    const long o = r * width;
    VF dot_v = VARIANT(splat)(0);
    int i = 0;
    for (; i < vec_end; i += VLANES) dot_v += VARIANT(load)(dy + o + i) * VARIANT(load)(y + o + i);
    if (rest > 0) dot_v += VARIANT(load_tail)(dy + o + i, rest, 0) * VARIANT(load_tail)(y + o + i, rest, 0);
    const float dot = VARIANT(lane_sum)(dot_v);
    for (i = 0; i < vec_end; i += VLANES)
      VARIANT(store)(dx + o + i, VARIANT(load)(y + o + i) * (VARIANT(load)(dy + o + i) - dot));
    for (; i < width; i++) dx[o + i] = y[o + i] * (dy[o + i] - dot);
  }
}

// The row's mean and 1 / sqrt(variance + epsilon).
static inline __attribute__((always_inline)) void VARIANT(row_moments)(const float* x, int width, float epsilon,
                                                                       float* mean, float* inverse_std) {
  const int vec_end = width - width % VLANES;
  const int rest = width - vec_end;
  VF sum_v = VARIANT(splat)(0);
  int i = 0;
  for (; i < vec_end; i += VLANES) sum_v += VARIANT(load)(x + i);
  if (rest > 0) sum_v += VARIANT(load_tail)(x + i, rest, 0);
  const float m = VARIANT(lane_sum)(sum_v) / (float)width;
  VF sq_v = VARIANT(splat)(0);
  for (i = 0; i < vec_end; i += VLANES) {
    const VF d = VARIANT(load)(x + i) - m;
    sq_v += d * d;
  }
  if (rest > 0) {
    const VF d = VARIANT(load_tail)(x + i, rest, m) - m;
    sq_v += d * d;
  }
  *mean = m;
  *inverse_std = 1.0f / sqrtf(VARIANT(lane_sum)(sq_v) / (float)width + epsilon);
}

static void VARIANT(layer_norm_rows)(const float* x, const float* gamma, const float* beta, float* y, long r0, long r1,
                                     int width, float epsilon) {
  const int vec_end = width - width % VLANES;
  for (long r = r0; r < r1; r++) {
    const float* src = x + r * width;
    float* dst = y + r * width;
    float mean, inverse_std;
    VARIANT(row_moments)(src, width, epsilon, &mean, &inverse_std);
    int i = 0;
    for (; i < vec_end; i += VLANES) {
      const VF normed = (VARIANT(load)(src + i) - mean) * inverse_std;
      VARIANT(store)(dst + i, normed * VARIANT(load)(gamma + i) + VARIANT(load)(beta + i));
    }
    for (; i < width; i++) dst[i] = (src[i] - mean) * inverse_std * gamma[i] + beta[i];
  }
}

// dx for rows [r0, r1); dgamma and dbeta are added into (this part's own partial sums).
static void VARIANT(layer_norm_grad_rows)(const float* dy, const float* x, const float* gamma, float* dx,
                                          float* dgamma, float* dbeta, long r0, long r1, int width, float epsilon) {
  const int vec_end = width - width % VLANES;
  for (long r = r0; r < r1; r++) {
    const long o = r * width;
    float mean, inverse_std;
    VARIANT(row_moments)(x + o, width, epsilon, &mean, &inverse_std);
    VF grad_v = VARIANT(splat)(0);
    VF dot_v = VARIANT(splat)(0);
    int i = 0;
    for (; i < vec_end; i += VLANES) {
      const VF g = VARIANT(load)(dy + o + i);
      const VF normed = (VARIANT(load)(x + o + i) - mean) * inverse_std;
      const VF scaled = g * VARIANT(load)(gamma + i);
      grad_v += scaled;
      dot_v += scaled * normed;
      VARIANT(store)(dgamma + i, VARIANT(load)(dgamma + i) + g * normed);
      VARIANT(store)(dbeta + i, VARIANT(load)(dbeta + i) + g);
    }
    float grad_sum = VARIANT(lane_sum)(grad_v);
    float dot = VARIANT(lane_sum)(dot_v);
    for (; i < width; i++) {
      const float g = dy[o + i];
      const float normed = (x[o + i] - mean) * inverse_std;
      const float scaled = g * gamma[i];
      grad_sum += scaled;
      dot += scaled * normed;
      dgamma[i] += g * normed;
      dbeta[i] += g;
    }
    const float grad_mean = grad_sum / (float)width;
    const float dot_mean = dot / (float)width;
    for (i = 0; i < vec_end; i += VLANES) {
      const VF normed = (VARIANT(load)(x + o + i) - mean) * inverse_std;
      const VF scaled = VARIANT(load)(dy + o + i) * VARIANT(load)(gamma + i);
      VARIANT(store)(dx + o + i, inverse_std * ((scaled - grad_mean) - normed * dot_mean));
    }
    for (; i < width; i++) {
      const float normed = (x[o + i] - mean) * inverse_std;
      dx[o + i] = inverse_std * (dy[o + i] * gamma[i] - grad_mean - normed * dot_mean);
    }
  }
}

// out[c] = sum over rows of x[r, c] for columns [c0, c1), 16 columns at a time down the rows.
static void VARIANT(column_sums)(const float* x, float* out, long rows, int width, int c0, int c1) {
  int c = c0;
  // Four vectors of columns at a time: four independent add chains, and each row read as
  // one run of 4 vectors instead of one vector per pass. Each column still adds its rows in
  // order, so the sums are the same bits as one vector at a time.
  for (; c + 4 * VLANES <= c1; c += 4 * VLANES) {
    VF s0 = VARIANT(splat)(0), s1 = s0, s2 = s0, s3 = s0;
    for (long r = 0; r < rows; r++) {
      const float* row = x + r * width + c;
      s0 += VARIANT(load)(row);
      s1 += VARIANT(load)(row + VLANES);
      s2 += VARIANT(load)(row + 2 * VLANES);
      s3 += VARIANT(load)(row + 3 * VLANES);
    }
    VARIANT(store)(out + c, s0);
    VARIANT(store)(out + c + VLANES, s1);
    VARIANT(store)(out + c + 2 * VLANES, s2);
    VARIANT(store)(out + c + 3 * VLANES, s3);
  }
  for (; c + VLANES <= c1; c += VLANES) {
    VF sum_v = VARIANT(splat)(0);
    for (long r = 0; r < rows; r++) sum_v += VARIANT(load)(x + r * width + c);
    VARIANT(store)(out + c, sum_v);
  }
  for (; c < c1; c++) {
    float sum = 0;
    for (long r = 0; r < rows; r++) sum += x[r * width + c];
    out[c] = sum;
  }
}

static const kernel_set VARIANT(kernels) = {
    .name = VARIANT_NAME,
    .gelu = VARIANT(gelu),
    .gelu_grad = VARIANT(gelu_grad),
    .softmax_rows = VARIANT(softmax_rows),
    .softmax_grad_rows = VARIANT(softmax_grad_rows),
    .layer_norm_rows = VARIANT(layer_norm_rows),
    .layer_norm_grad_rows = VARIANT(layer_norm_grad_rows),
    .column_sums = VARIANT(column_sums),
};
