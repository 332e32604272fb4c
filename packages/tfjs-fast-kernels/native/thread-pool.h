// A fixed pool of worker threads shared by the addon's products and fused kernels. A job is
// split into parts whose bounds depend only on its shape, never on timing, so a result does
// not depend on which thread ran which part: runs are bit-reproducible at a given thread count.
#ifndef SPARSIFY_THREAD_POOL_H
#define SPARSIFY_THREAD_POOL_H

typedef void (*pool_task)(void* arg, int part, int parts);

// Threads that run a job (the caller included): SPARSIFY_NATIVE_THREADS, else
// OPENBLAS_NUM_THREADS, else the online CPUs; at most POOL_MAX_THREADS.
int pool_threads(void);

// Runs task(arg, p, parts) for every p < parts, the caller taking parts too; returns when
// all are done. parts <= 1 runs inline.
void pool_run(pool_task task, void* arg, int parts);

#define POOL_MAX_THREADS 16

#endif
