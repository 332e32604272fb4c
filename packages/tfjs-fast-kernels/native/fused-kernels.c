// The fused kernels of src/ (LayerNorm, GELU, softmax and their gradients, column sums) as
// native code over the wasm heap, split over the addon's threads (thread-pool.c). Each is
// compiled for AVX-512, AVX2+FMA and the baseline (fused-kernels-body.h, three copies, each
// with vectors of its registers' width); the
// copy the CPU can run is chosen when the addon loads, so one build runs on any x86-64 (and
// elsewhere as the baseline copy only).
//
// Exports (offsets are byte offsets into heap, an ArrayBuffer; sizes in floats):
//   softmaxRows(heap, logits, bias, y, rows, width, rowsPerGroup)   bias 0: none
//   softmaxGradRows(heap, dy, y, dx, rows, width)
//   layerNormRows(heap, x, gamma, beta, y, rows, width, epsilon)
//   layerNormGradRows(heap, dy, x, gamma, dx, dgamma, dbeta, rows, width, epsilon)
//   geluValues(heap, x, y, n), geluGradValues(heap, dy, x, dx, n)
//   columnSums(heap, x, out, rows, width)
//   kernelVariant([name]): the instruction set in use; with a name ('avx512', 'avx2',
//     'baseline') switches to it if this CPU runs it (for tests), and returns the one in use.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"
#include "thread-pool.h"

// The 16-float vectors never cross a call boundary (every helper is always_inline), so
// GCC's note that their ABI differs between instruction sets does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// Column blocks of the column sums are whole multiples of every copy's vector width.
#define LANES 16
typedef float vf16 __attribute__((vector_size(64)));
typedef int32_t vi16 __attribute__((vector_size(64)));
typedef float vf8 __attribute__((vector_size(32)));
typedef int32_t vi8 __attribute__((vector_size(32)));
typedef float vf4 __attribute__((vector_size(16)));
typedef int32_t vi4 __attribute__((vector_size(16)));

typedef struct {
  const char* name;
  void (*gelu)(const float* x, float* y, long i0, long i1);
  void (*gelu_grad)(const float* dy, const float* x, float* dx, long i0, long i1);
  void (*softmax_rows)(const float* logits, const float* bias, float* y, long r0, long r1, int width,
                       long rows_per_group);
  void (*softmax_grad_rows)(const float* dy, const float* y, float* dx, long r0, long r1, int width);
  void (*layer_norm_rows)(const float* x, const float* gamma, const float* beta, float* y, long r0, long r1, int width,
                          float epsilon);
  void (*layer_norm_grad_rows)(const float* dy, const float* x, const float* gamma, float* dx, float* dgamma,
                               float* dbeta, long r0, long r1, int width, float epsilon);
  void (*column_sums)(const float* x, float* out, long rows, int width, int c0, int c1);
} kernel_set;

#define VARIANT(name) name##_baseline
#define VARIANT_NAME "baseline"
#define VF vf4
#define VI vi4
#define VLANES 4
#include "fused-kernels-body.h"
#undef VARIANT
#undef VARIANT_NAME
#undef VF
#undef VI
#undef VLANES

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_X86_VARIANTS 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define VARIANT(name) name##_avx2
#define VARIANT_NAME "avx2"
#define VF vf8
#define VI vi8
#define VLANES 8
#include "fused-kernels-body.h"
#undef VARIANT
#undef VARIANT_NAME
#undef VF
#undef VI
#undef VLANES
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,prefer-vector-width=512")
#define VARIANT(name) name##_avx512
#define VARIANT_NAME "avx512"
#define VF vf16
#define VI vi16
#define VLANES 16
#include "fused-kernels-body.h"
#undef VARIANT
#undef VARIANT_NAME
#undef VF
#undef VI
#undef VLANES
#pragma GCC pop_options
#endif

static const kernel_set* active;

static bool cpu_runs(const char* name) {
  if (strcmp(name, "baseline") == 0) return true;
#ifdef HAVE_X86_VARIANTS
  __builtin_cpu_init();
  if (strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (strcmp(name, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
#endif
  return false;
}

static const kernel_set* variant_named(const char* name) {
  if (!cpu_runs(name)) return NULL;
#ifdef HAVE_X86_VARIANTS
  if (strcmp(name, "avx512") == 0) return &kernels_avx512;
  if (strcmp(name, "avx2") == 0) return &kernels_avx2;
#endif
  return strcmp(name, "baseline") == 0 ? &kernels_baseline : NULL;
}

static const kernel_set* best_variant(void) {
  const char* order[] = {"avx512", "avx2", "baseline"};
  for (int i = 0; i < 3; i++) {
    const kernel_set* set = variant_named(order[i]);
    if (set != NULL) return set;
  }
  return &kernels_baseline;
}

// Parts for `work` units (elements, weighted by cost): at least `per_part` each, so a
// thread's wake-up (~10-50 us) is paid only where it is small against the part.
static int parts_for(double work, double per_part) {
  int parts = pool_threads();
  int most = (int)(work / per_part);
  if (most < parts) parts = most;
  return parts < 1 ? 1 : parts;
}

// [lo, hi) of part p of `count` items split into `parts` (fixed by the shape alone).
static long part_start(long count, int part, int parts) { return count * part / parts; }

// ---- argument checks ----

static bool read_args(napi_env env, napi_callback_info info, size_t expected, napi_value* argv, heap_view* heap,
                      const char* name) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != expected) {
    char message[128];
    snprintf(message, sizeof message, "sparsify addon %s: expected %zu arguments", name, expected);
    napi_throw_type_error(env, NULL, message);
    return false;
  }
  void* raw;
  if (napi_get_arraybuffer_info(env, argv[0], &raw, &heap->bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "sparsify addon: heap must be an ArrayBuffer");
    return false;
  }
  heap->base = (char*)raw;
  return true;
}

static bool int_arg(napi_env env, napi_value value, int64_t* out) {
  if (napi_get_value_int64(env, value, out) != napi_ok || *out < 0) {
    napi_throw_type_error(env, NULL, "sparsify addon: offsets and sizes must be non-negative integers");
    return false;
  }
  return true;
}

// The float array of `count` floats at byte offset `offset` (argument `value`), inside the heap.
static float* region(napi_env env, const heap_view* heap, napi_value value, int64_t count) {
  int64_t offset;
  if (!int_arg(env, value, &offset)) return NULL;
  if (offset % 4 != 0 || (uint64_t)offset + (uint64_t)count * 4 > heap->bytes) {
    napi_throw_range_error(env, NULL, "sparsify addon: an operand lies outside the heap");
    return NULL;
  }
  return (float*)(heap->base + offset);
}

static bool float_arg(napi_env env, napi_value value, float* out) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    napi_throw_type_error(env, NULL, "sparsify addon: epsilon must be a number");
    return false;
  }
  *out = (float)d;
  return true;
}

bool read_heap_args(napi_env env, napi_callback_info info, size_t expected, napi_value* argv, heap_view* heap,
                    const char* name) {
  return read_args(env, info, expected, argv, heap, name);
}

float* heap_region(napi_env env, const heap_view* heap, napi_value value, int64_t count) {
  return region(env, heap, value, count);
}

void fused_softmax_rows(const float* logits, float* y, long rows, int width) {
  active->softmax_rows(logits, NULL, y, 0, rows, width, rows);
}

void fused_softmax_grad_rows(const float* dy, const float* y, float* dx, long rows, int width) {
  active->softmax_grad_rows(dy, y, dx, 0, rows, width);
}

// ---- GELU ----

typedef struct {
  const kernel_set* k;
  const float *x, *dy;
  float* y;
  long n;
} elementwise_job;

static void gelu_part(void* arg, int part, int parts) {
  const elementwise_job* job = (const elementwise_job*)arg;
  job->k->gelu(job->x, job->y, part_start(job->n, part, parts), part_start(job->n, part + 1, parts));
}

static void gelu_grad_part(void* arg, int part, int parts) {
  const elementwise_job* job = (const elementwise_job*)arg;
  job->k->gelu_grad(job->dy, job->x, job->y, part_start(job->n, part, parts), part_start(job->n, part + 1, parts));
}

static napi_value gelu_values(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  heap_view heap;
  int64_t n;
  if (!read_args(env, info, 4, argv, &heap, "geluValues") || !int_arg(env, argv[3], &n)) return NULL;
  elementwise_job job = {.k = active, .x = region(env, &heap, argv[1], n), .y = region(env, &heap, argv[2], n), .n = n};
  if (job.x == NULL || job.y == NULL) return NULL;
  pool_run(gelu_part, &job, parts_for((double)n, 16384));
  return NULL;
}

static napi_value gelu_grad_values(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  heap_view heap;
  int64_t n;
  if (!read_args(env, info, 5, argv, &heap, "geluGradValues") || !int_arg(env, argv[4], &n)) return NULL;
  elementwise_job job = {.k = active,
                         .dy = region(env, &heap, argv[1], n),
                         .x = region(env, &heap, argv[2], n),
                         .y = region(env, &heap, argv[3], n),
                         .n = n};
  if (job.dy == NULL || job.x == NULL || job.y == NULL) return NULL;
  pool_run(gelu_grad_part, &job, parts_for((double)n, 16384));
  return NULL;
}

// ---- softmax ----

typedef struct {
  const kernel_set* k;
  const float *logits, *bias, *dy;
  float* y;
  long rows, rows_per_group;
  int width;
} rows_job;

static void softmax_part(void* arg, int part, int parts) {
  const rows_job* job = (const rows_job*)arg;
  job->k->softmax_rows(job->logits, job->bias, job->y, part_start(job->rows, part, parts),
                       part_start(job->rows, part + 1, parts), job->width, job->rows_per_group);
}

static void softmax_grad_part(void* arg, int part, int parts) {
  const rows_job* job = (const rows_job*)arg;
  job->k->softmax_grad_rows(job->dy, job->logits, job->y, part_start(job->rows, part, parts),
                            part_start(job->rows, part + 1, parts), job->width);
}

static napi_value softmax_rows(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  heap_view heap;
  int64_t rows, width, rows_per_group, bias_offset;
  if (!read_args(env, info, 7, argv, &heap, "softmaxRows") || !int_arg(env, argv[4], &rows) ||
      !int_arg(env, argv[5], &width) || !int_arg(env, argv[6], &rows_per_group) ||
      !int_arg(env, argv[2], &bias_offset))
    return NULL;
  if (rows == 0) return NULL;
  if (width < 1 || rows_per_group < 1 || rows % rows_per_group != 0) {
    napi_throw_range_error(env, NULL, "sparsify addon softmaxRows: width and rowsPerGroup must divide the rows");
    return NULL;
  }
  rows_job job = {.k = active, .rows = rows, .width = (int)width, .rows_per_group = rows_per_group};
  job.logits = region(env, &heap, argv[1], rows * width);
  job.bias = bias_offset == 0 ? NULL : region(env, &heap, argv[2], rows / rows_per_group * width);
  job.y = region(env, &heap, argv[3], rows * width);
  if (job.logits == NULL || (bias_offset != 0 && job.bias == NULL) || job.y == NULL) return NULL;
  pool_run(softmax_part, &job, parts_for((double)(rows * width), 16384));
  return NULL;
}

static napi_value softmax_grad_rows(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  heap_view heap;
  int64_t rows, width;
  if (!read_args(env, info, 6, argv, &heap, "softmaxGradRows") || !int_arg(env, argv[4], &rows) ||
      !int_arg(env, argv[5], &width))
    return NULL;
  if (width < 1) {
    napi_throw_range_error(env, NULL, "sparsify addon softmaxGradRows: width must be positive");
    return NULL;
  }
  rows_job job = {.k = active, .rows = rows, .width = (int)width};
  job.dy = region(env, &heap, argv[1], rows * width);
  job.logits = region(env, &heap, argv[2], rows * width);  // y
  job.y = region(env, &heap, argv[3], rows * width);       // dx
  if (job.dy == NULL || job.logits == NULL || job.y == NULL) return NULL;
  pool_run(softmax_grad_part, &job, parts_for((double)(rows * width), 65536));
  return NULL;
}

// ---- LayerNorm ----

typedef struct {
  const kernel_set* k;
  const float *x, *gamma, *beta, *dy;
  float *y, *partials;  // partials: parts x (dgamma, dbeta), each `width` floats
  long rows;
  int width;
  float epsilon;
} norm_job;

static void layer_norm_part(void* arg, int part, int parts) {
  const norm_job* job = (const norm_job*)arg;
  job->k->layer_norm_rows(job->x, job->gamma, job->beta, job->y, part_start(job->rows, part, parts),
                          part_start(job->rows, part + 1, parts), job->width, job->epsilon);
}

static void layer_norm_grad_part(void* arg, int part, int parts) {
  const norm_job* job = (const norm_job*)arg;
  float* dgamma = job->partials + (size_t)part * 2 * job->width;
  job->k->layer_norm_grad_rows(job->dy, job->x, job->gamma, job->y, dgamma, dgamma + job->width,
                               part_start(job->rows, part, parts), part_start(job->rows, part + 1, parts),
                               job->width, job->epsilon);
}

static napi_value layer_norm_rows(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  heap_view heap;
  int64_t rows, width;
  norm_job job = {.k = active};
  if (!read_args(env, info, 8, argv, &heap, "layerNormRows") || !int_arg(env, argv[5], &rows) ||
      !int_arg(env, argv[6], &width) || !float_arg(env, argv[7], &job.epsilon))
    return NULL;
  if (width < 1) {
    napi_throw_range_error(env, NULL, "sparsify addon layerNormRows: width must be positive");
    return NULL;
  }
  job.rows = rows;
  job.width = (int)width;
  job.x = region(env, &heap, argv[1], rows * width);
  job.gamma = region(env, &heap, argv[2], width);
  job.beta = region(env, &heap, argv[3], width);
  job.y = region(env, &heap, argv[4], rows * width);
  if (job.x == NULL || job.gamma == NULL || job.beta == NULL || job.y == NULL) return NULL;
  pool_run(layer_norm_part, &job, parts_for((double)(rows * width), 65536));
  return NULL;
}

static napi_value layer_norm_grad_rows(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  heap_view heap;
  int64_t rows, width;
  norm_job job = {.k = active};
  if (!read_args(env, info, 10, argv, &heap, "layerNormGradRows") || !int_arg(env, argv[7], &rows) ||
      !int_arg(env, argv[8], &width) || !float_arg(env, argv[9], &job.epsilon))
    return NULL;
  if (width < 1) {
    napi_throw_range_error(env, NULL, "sparsify addon layerNormGradRows: width must be positive");
    return NULL;
  }
  job.rows = rows;
  job.width = (int)width;
  job.dy = region(env, &heap, argv[1], rows * width);
  job.x = region(env, &heap, argv[2], rows * width);
  job.gamma = region(env, &heap, argv[3], width);
  job.y = region(env, &heap, argv[4], rows * width);  // dx
  float* dgamma = region(env, &heap, argv[5], width);
  float* dbeta = region(env, &heap, argv[6], width);
  if (job.dy == NULL || job.x == NULL || job.gamma == NULL || job.y == NULL || dgamma == NULL || dbeta == NULL)
    return NULL;
  const int parts = parts_for((double)(rows * width), 32768);
  job.partials = (float*)calloc((size_t)parts * 2 * width, sizeof(float));
  if (job.partials == NULL) {
    napi_throw_error(env, NULL, "sparsify addon layerNormGradRows: out of memory");
    return NULL;
  }
  pool_run(layer_norm_grad_part, &job, parts);
  // Partial sums added in part order: the same bits whichever thread ran which part.
  for (int c = 0; c < width; c++) {
    float g = 0, b = 0;
    for (int p = 0; p < parts; p++) {
      g += job.partials[(size_t)p * 2 * width + c];
      b += job.partials[(size_t)p * 2 * width + width + c];
    }
    dgamma[c] = g;
    dbeta[c] = b;
  }
  free(job.partials);
  return NULL;
}

// ---- column sums ----

typedef struct {
  const kernel_set* k;
  const float* x;
  float* out;
  long rows;
  int width;
} columns_job;

static void column_sums_part(void* arg, int part, int parts) {
  const columns_job* job = (const columns_job*)arg;
  // Column ranges in whole vectors, so every part but the last runs full lanes.
  const long blocks = (job->width + LANES - 1) / LANES;
  int c0 = (int)(part_start(blocks, part, parts) * LANES);
  int c1 = (int)(part_start(blocks, part + 1, parts) * LANES);
  if (c1 > job->width) c1 = job->width;
  if (c0 < c1) job->k->column_sums(job->x, job->out, job->rows, job->width, c0, c1);
}

static napi_value column_sums(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  heap_view heap;
  int64_t rows, width;
  if (!read_args(env, info, 5, argv, &heap, "columnSums") || !int_arg(env, argv[3], &rows) ||
      !int_arg(env, argv[4], &width))
    return NULL;
  columns_job job = {.k = active, .rows = rows, .width = (int)width};
  job.x = region(env, &heap, argv[1], rows * width);
  job.out = region(env, &heap, argv[2], width);
  if (job.x == NULL || job.out == NULL) return NULL;
  int parts = parts_for((double)(rows * width), 65536);
  const int blocks = (int)((width + LANES - 1) / LANES);
  if (parts > blocks) parts = blocks < 1 ? 1 : blocks;
  pool_run(column_sums_part, &job, parts);
  return NULL;
}

static napi_value kernel_variant(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) {
    char name[32];
    size_t length;
    if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok) {
      napi_throw_type_error(env, NULL, "sparsify addon kernelVariant: name must be a string");
      return NULL;
    }
    const kernel_set* set = variant_named(name);
    if (set != NULL) active = set;
  }
  napi_value result;
  CHECK(napi_create_string_utf8(env, active->name, NAPI_AUTO_LENGTH, &result));
  return result;
}

bool define_fused_kernels(napi_env env, napi_value exports) {
  active = best_variant();
  napi_property_descriptor properties[] = {
      {"softmaxRows", NULL, softmax_rows, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxGradRows", NULL, softmax_grad_rows, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormRows", NULL, layer_norm_rows, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGradRows", NULL, layer_norm_grad_rows, NULL, NULL, NULL, napi_default, NULL},
      {"geluValues", NULL, gelu_values, NULL, NULL, NULL, napi_default, NULL},
      {"geluGradValues", NULL, gelu_grad_values, NULL, NULL, NULL, napi_default, NULL},
      {"columnSums", NULL, column_sums, NULL, NULL, NULL, napi_default, NULL},
      {"kernelVariant", NULL, kernel_variant, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) == napi_ok;
}
