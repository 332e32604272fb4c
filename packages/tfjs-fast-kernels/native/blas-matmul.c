// N-API addon: row-major sgemm through a system CBLAS, run directly on the memory of a
// JavaScript ArrayBuffer (the wasm heap), so tfjs tensors are multiplied without copies.
//
// sgemmBatch(heap, transposeA, transposeB, m, n, k, aOffsets, bOffsets, cOffsets, biasOffset)
//   heap: ArrayBuffer; *Offsets: Uint32Array of byte offsets, one per product;
//   biasOffset: byte offset of an n-vector added to every row of C, or -1.
// threads(): the BLAS thread count (for the report).
#include <cblas.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, NULL, "blas_matmul: N-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

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

  char* heap = (char*)heap_raw;
  const float* bias = bias_offset >= 0 ? (const float*)(heap + bias_offset) : NULL;
  const int lda = transpose_a ? m : k;
  const int ldb = transpose_b ? k : n;
  for (size_t i = 0; i < count; i++) {
    float* c = (float*)(heap + c_offsets[i]);
    if (bias != NULL) {
      for (int row = 0; row < m; row++) memcpy(c + (size_t)row * n, bias, (size_t)n * 4);
    }
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, m,
                n, k, 1.0f, (const float*)(heap + a_offsets[i]), lda, (const float*)(heap + b_offsets[i]), ldb,
                bias != NULL ? 1.0f : 0.0f, c, n);
  }
  return NULL;
}

// Not every CBLAS exports openblas_get_num_threads, so the count is reported as "unknown" (-1)
// unless the build defines HAVE_OPENBLAS.
#ifdef HAVE_OPENBLAS
int openblas_get_num_threads(void);
#endif

static napi_value threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#ifdef HAVE_OPENBLAS
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &result));
#else
  CHECK(napi_create_int32(env, -1, &result));
#endif
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"sgemmBatch", NULL, sgemm_batch, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 2, properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
