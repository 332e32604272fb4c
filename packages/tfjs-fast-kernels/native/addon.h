// Shared by the addon's source files: argument checks over the wasm heap, and the fused
// kernels' registration (fused-kernels.c) called from the module's init (blas-matmul.c).
#ifndef SPARSIFY_ADDON_H
#define SPARSIFY_ADDON_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error(env, NULL, "sparsify addon: N-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

// Adds the fused kernels' functions to `exports`; false when an N-API call failed.
bool define_fused_kernels(napi_env env, napi_value exports);

#endif
