// Shared by the addon's source files: argument checks over the wasm heap, and the fused
// kernels' registration (fused-kernels.c) called from the module's init (blas-matmul.c).
#ifndef SPARSIFY_ADDON_H
#define SPARSIFY_ADDON_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error(env, NULL, "sparsify addon: N-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

// The wasm heap an exported function was given.
typedef struct {
  char* base;
  size_t bytes;
} heap_view;

// Reads `expected` arguments, the first the heap (an ArrayBuffer); throws and returns false
// otherwise.
bool read_heap_args(napi_env env, napi_callback_info info, size_t expected, napi_value* argv, heap_view* heap,
                    const char* name);

// The `count` floats at the byte offset in `value`, checked to lie inside the heap; NULL (an
// exception pending) otherwise.
float* heap_region(napi_env env, const heap_view* heap, napi_value value, int64_t count);

// Softmax over each of `rows` rows of `width` (in place allowed), and its gradient
// dx = y (dy - sum(dy y)), with the widest fused-kernel copy this CPU runs, on the caller's
// thread.
void fused_softmax_rows(const float* logits, float* y, long rows, int width);
void fused_softmax_grad_rows(const float* dy, const float* y, float* dx, long rows, int width);

// Adds the attention core's functions (attention-core.c) to `exports`.
bool define_attention_core(napi_env env, napi_value exports);

// Adds the fused kernels' functions to `exports`; false when an N-API call failed.
bool define_fused_kernels(napi_env env, napi_value exports);

#endif
