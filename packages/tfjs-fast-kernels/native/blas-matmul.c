// N-API addon: row-major sgemm through a system CBLAS, run directly on the memory of a
// JavaScript ArrayBuffer (the wasm heap), so tfjs tensors are multiplied without copies; and
// the fused kernels of fused-kernels.c on the same memory.
//
// sgemmBatch(heap, transposeA, transposeB, m, n, k, aOffsets, bOffsets, cOffsets, biasOffset)
//   heap: ArrayBuffer; *Offsets: Uint32Array of byte offsets, one per product;
//   biasOffset: byte offset of an n-vector added to every row of C, or -1.
// threads(): the threads a product or fused kernel runs on (thread-pool.c).
//
// The addon splits the work over its own threads (a batch by products, one product by row
// blocks) and runs the BLAS single-threaded in each: a split that depends only on the
// shapes keeps runs bit-reproducible, which OpenBLAS's own threading did not (a resumed
// training run drifted from the uninterrupted one; test: apps/trainer cli-signals).
#include <cblas.h>
#include <stdint.h>
#include <string.h>

#include "addon.h"
#include "thread-pool.h"

static bool offsets_arg(napi_env env, napi_value value, uint32_t** data, size_t* length) {
  napi_typedarray_type type;
  void* raw;
  napi_value buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &buffer, &byte_offset) != napi_ok ||
      type != napi_uint32_array) {
    return false;
  }
  *data = (uint32_t*)raw;
  return true;
}

typedef struct {
  char* heap;
  bool transpose_a, transpose_b;
  int m, n, k;
  const uint32_t *a, *b, *c;
  size_t count;
  const float* bias;
} gemm_job;

// Rows [r0, r1) of product `item`: op(A)'s rows are A's rows, or its columns when transposed.
static void gemm_rows(const gemm_job* job, size_t item, int r0, int r1) {
  const int m = job->m, n = job->n, k = job->k;
  const float* a = (const float*)(job->heap + job->a[item]) + (job->transpose_a ? (size_t)r0 : (size_t)r0 * k);
  const float* b = (const float*)(job->heap + job->b[item]);
  float* c = (float*)(job->heap + job->c[item]) + (size_t)r0 * n;
  if (job->bias != NULL) {
    for (int row = r0; row < r1; row++) memcpy(c + (size_t)(row - r0) * n, job->bias, (size_t)n * 4);
  }
  cblas_sgemm(CblasRowMajor, job->transpose_a ? CblasTrans : CblasNoTrans, job->transpose_b ? CblasTrans : CblasNoTrans,
              r1 - r0, n, k, 1.0f, a, job->transpose_a ? m : k, b, job->transpose_b ? k : n,
              job->bias != NULL ? 1.0f : 0.0f, c, n);
}

static void gemm_part(void* arg, int part, int parts) {
  const gemm_job* job = (const gemm_job*)arg;
  if (job->count == 1) {
    // Row blocks in multiples of 8 (the micro-kernels' row count), fixed by the shape.
    int r0 = part == 0 ? 0 : (int)(((long)job->m * part / parts + 7) & ~7L);
    int r1 = part == parts - 1 ? job->m : (int)(((long)job->m * (part + 1) / parts + 7) & ~7L);
    if (r1 > job->m) r1 = job->m;
    if (r0 < r1) gemm_rows(job, 0, r0, r1);
    return;
  }
  for (size_t i = job->count * part / parts; i < job->count * (part + 1) / parts; i++) gemm_rows(job, i, 0, job->m);
}

static napi_value sgemm_batch(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 10) {
    napi_throw_type_error(env, NULL, "blas_matmul.sgemmBatch: expected 10 arguments");
    return NULL;
  }
  void* heap_raw;
  size_t heap_bytes;
  if (napi_get_arraybuffer_info(env, argv[0], &heap_raw, &heap_bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "blas_matmul.sgemmBatch: heap must be an ArrayBuffer");
    return NULL;
  }
  bool transpose_a, transpose_b;
  int32_t m, n, k, bias_offset;
  CHECK(napi_get_value_bool(env, argv[1], &transpose_a));
  CHECK(napi_get_value_bool(env, argv[2], &transpose_b));
  CHECK(napi_get_value_int32(env, argv[3], &m));
  CHECK(napi_get_value_int32(env, argv[4], &n));
  CHECK(napi_get_value_int32(env, argv[5], &k));
  uint32_t *a_offsets, *b_offsets, *c_offsets;
  size_t count, b_count, c_count;
  if (!offsets_arg(env, argv[6], &a_offsets, &count) || !offsets_arg(env, argv[7], &b_offsets, &b_count) ||
      !offsets_arg(env, argv[8], &c_offsets, &c_count) || b_count != count || c_count != count) {
    napi_throw_type_error(env, NULL, "blas_matmul.sgemmBatch: offsets must be Uint32Arrays of equal length");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[9], &bias_offset));
  if (m <= 0 || n <= 0 || k <= 0) {
    napi_throw_range_error(env, NULL, "blas_matmul.sgemmBatch: m, n, k must be positive");
    return NULL;
  }

  const size_t a_bytes = (size_t)m * k * 4, b_bytes = (size_t)k * n * 4, c_bytes = (size_t)m * n * 4;
  for (size_t i = 0; i < count; i++) {
    if (a_offsets[i] + a_bytes > heap_bytes || b_offsets[i] + b_bytes > heap_bytes ||
        c_offsets[i] + c_bytes > heap_bytes) {
      napi_throw_range_error(env, NULL, "blas_matmul.sgemmBatch: an operand lies outside the heap");
      return NULL;
    }
  }
  if (bias_offset >= 0 && (size_t)bias_offset + (size_t)n * 4 > heap_bytes) {
    napi_throw_range_error(env, NULL, "blas_matmul.sgemmBatch: bias lies outside the heap");
    return NULL;
  }

  gemm_job job = {
      .heap = (char*)heap_raw,
      .transpose_a = transpose_a,
      .transpose_b = transpose_b,
      .m = m,
      .n = n,
      .k = k,
      .a = a_offsets,
      .b = b_offsets,
      .c = c_offsets,
      .count = count,
      .bias = bias_offset >= 0 ? (const float*)((char*)heap_raw + bias_offset) : NULL,
  };
  // Parts of at least ~4 MFLOP each (below that a thread's wake-up costs more than it saves),
  // one product split by rows only when it has enough rows.
  const double flops = 2.0 * m * n * k * (double)count;
  int parts = pool_threads();
  if (flops / parts < 4e6) parts = (int)(flops / 4e6) > 1 ? (int)(flops / 4e6) : 1;
  if (count > 1 && (size_t)parts > count) parts = (int)count;
  if (count == 1 && m < 16 * parts) parts = m / 16 > 1 ? m / 16 : 1;
  pool_run(gemm_part, &job, parts);
  return NULL;
}

#ifdef HAVE_OPENBLAS
void openblas_set_num_threads(int);
#endif

static napi_value threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_create_int32(env, pool_threads(), &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
#ifdef HAVE_OPENBLAS
  // Each part runs the BLAS on its own thread; OpenBLAS's threads would only compete.
  openblas_set_num_threads(1);
#endif
  napi_property_descriptor properties[] = {
      {"sgemmBatch", NULL, sgemm_batch, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 2, properties));
  if (!define_fused_kernels(env, exports) || !define_attention_core(env, exports)) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
