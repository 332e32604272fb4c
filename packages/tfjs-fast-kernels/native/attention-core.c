// The attention core of multi-head self-attention over a packed q|k|v projection, one call
// each way, on the wasm heap:
//   attentionForward(heap, qkv, out, probs, batch, tokens, heads, width)
//     qkv [B N, 3D] (q | k | v, head h of each at columns h d .. h d + d, d = D / H),
//     out [B N, D] = the heads' softmax(q k^T / sqrt(d)) v side by side,
//     probs [B, H, N, N] = the softmax (kept for the backward pass).
//   attentionBackward(heap, dy, qkv, probs, dqkv, batch, tokens, heads, width)
//     dqkv [B N, 3D]: q's, k's and v's gradients, packed as qkv.
// Each (batch, head) pair is one part on the pool (thread-pool.c): its products run as
// single-threaded sgemm reading q, k, v and dy as strided column blocks in place and writing
// straight into out / dqkv, and its softmax (forward and gradient) runs on its N x N block
// while that block is in cache. So the split/merge head copies, the separate softmax passes
// over B H N^2 floats and 6 kernel launches of the composition are gone; a pair's result
// does not depend on which thread ran it (bit-reproducible at any thread count).
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "addon.h"
#include "thread-pool.h"

typedef struct {
  const float *qkv, *dy;
  float *out, *probs, *dqkv;
  int batch, tokens, heads, width;
  float scale;
  bool failed;
} attention_job;

static void forward_pair(void* arg, int part, int parts) {
  (void)parts;
  const attention_job* job = (const attention_job*)arg;
  const int n = job->tokens, d = job->width / job->heads, D = job->width;
  const int b = part / job->heads, h = part % job->heads;
  const float* q = job->qkv + (size_t)b * n * 3 * D + (size_t)h * d;
  float* p = job->probs + (size_t)part * n * n;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, job->scale, q, 3 * D, q + D, 3 * D, 0.0f, p, n);
  fused_softmax_rows(p, p, n, n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, 1.0f, p, n, q + 2 * D, 3 * D, 0.0f,
              job->out + (size_t)b * n * D + (size_t)h * d, D);
}

// An N x N block per thread, kept between calls: a fresh malloc of this size is an mmap whose
// pages fault in on every pair.
static __thread float* scratch;
static __thread size_t scratch_floats;

static float* pair_scratch(size_t floats) {
  if (floats > scratch_floats) {
    free(scratch);
    scratch = (float*)malloc(floats * sizeof(float));
    scratch_floats = scratch == NULL ? 0 : floats;
  }
  return scratch;
}

static void backward_pair(void* arg, int part, int parts) {
  (void)parts;
  attention_job* job = (attention_job*)arg;
  const int n = job->tokens, d = job->width / job->heads, D = job->width;
  const int b = part / job->heads, h = part % job->heads;
  const float* q = job->qkv + (size_t)b * n * 3 * D + (size_t)h * d;
  const float* k = q + D;
  const float* v = q + 2 * D;
  const float* dy = job->dy + (size_t)b * n * D + (size_t)h * d;
  const float* p = job->probs + (size_t)part * n * n;
  float* dq = job->dqkv + (size_t)b * n * 3 * D + (size_t)h * d;
  float* ds = pair_scratch((size_t)n * n);
  if (ds == NULL) {
    job->failed = true;
    return;
  }
  // dP = dy v^T, dv = P^T dy, dS = softmax'(dP), dq = scale dS k, dk = scale dS^T q.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, 1.0f, dy, D, v, 3 * D, 0.0f, ds, n);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d, n, 1.0f, p, n, dy, D, 0.0f, dq + 2 * D, 3 * D);
  fused_softmax_grad_rows(ds, p, ds, n, n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, job->scale, ds, n, k, 3 * D, 0.0f, dq, 3 * D);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d, n, job->scale, ds, n, q, 3 * D, 0.0f, dq + D, 3 * D);
}

// Reads (batch, tokens, heads, width) from argv[first..first+3] and checks the layout.
static bool shape_args(napi_env env, napi_value* argv, int first, attention_job* job) {
  int32_t values[4];
  for (int i = 0; i < 4; i++) {
    if (napi_get_value_int32(env, argv[first + i], &values[i]) != napi_ok || values[i] < 1) {
      napi_throw_type_error(env, NULL, "sparsify addon attention: batch, tokens, heads, width must be positive integers");
      return false;
    }
  }
  job->batch = values[0];
  job->tokens = values[1];
  job->heads = values[2];
  job->width = values[3];
  if (job->width % job->heads != 0) {
    napi_throw_range_error(env, NULL, "sparsify addon attention: width must be a multiple of heads");
    return false;
  }
  job->scale = (float)(1.0 / sqrt((double)(job->width / job->heads)));
  return true;
}

static napi_value attention_forward(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  heap_view heap;
  attention_job job = {0};
  if (!read_heap_args(env, info, 8, argv, &heap, "attentionForward") || !shape_args(env, argv, 4, &job)) return NULL;
  const int64_t rows = (int64_t)job.batch * job.tokens;
  job.qkv = heap_region(env, &heap, argv[1], rows * 3 * job.width);
  job.out = heap_region(env, &heap, argv[2], rows * job.width);
  job.probs = heap_region(env, &heap, argv[3], rows * job.heads * job.tokens);
  if (job.qkv == NULL || job.out == NULL || job.probs == NULL) return NULL;
  pool_run(forward_pair, &job, job.batch * job.heads);
  return NULL;
}

static napi_value attention_backward(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  heap_view heap;
  attention_job job = {0};
  if (!read_heap_args(env, info, 9, argv, &heap, "attentionBackward") || !shape_args(env, argv, 5, &job)) return NULL;
  const int64_t rows = (int64_t)job.batch * job.tokens;
  job.dy = heap_region(env, &heap, argv[1], rows * job.width);
  job.qkv = heap_region(env, &heap, argv[2], rows * 3 * job.width);
  job.probs = heap_region(env, &heap, argv[3], rows * job.heads * job.tokens);
  job.dqkv = heap_region(env, &heap, argv[4], rows * 3 * job.width);
  if (job.dy == NULL || job.qkv == NULL || job.probs == NULL || job.dqkv == NULL) return NULL;
  pool_run(backward_pair, &job, job.batch * job.heads);
  if (job.failed) napi_throw_error(env, NULL, "sparsify addon attentionBackward: out of memory");
  return NULL;
}

bool define_attention_core(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"attentionForward", NULL, attention_forward, NULL, NULL, NULL, napi_default, NULL},
      {"attentionBackward", NULL, attention_backward, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, 2, properties) == napi_ok;
}
