// Workers claim parts under one mutex; a worker that wakes late finds none left (or a newer
// job, which it then joins from the start), so the caller never waits on a thread that is
// not scheduled: it runs the remaining parts itself.
#include "thread-pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
// One job at a time: Node worker threads that load the addon too share this pool.
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static pool_task job_task;
static void* job_arg;
static int job_parts, job_next, job_finished;
static unsigned job_generation;
static int thread_count;  // 0 until started
static pthread_once_t started = PTHREAD_ONCE_INIT;

// Claims and runs parts of job `generation` until none is left.
static void participate(unsigned generation) {
  for (;;) {
    pthread_mutex_lock(&mu);
    if (job_generation != generation || job_next >= job_parts) {
      pthread_mutex_unlock(&mu);
      return;
    }
    int part = job_next++;
    pool_task task = job_task;
    void* arg = job_arg;
    int parts = job_parts;
    pthread_mutex_unlock(&mu);
    task(arg, part, parts);
    pthread_mutex_lock(&mu);
    if (++job_finished == job_parts) pthread_cond_broadcast(&done);
    pthread_mutex_unlock(&mu);
  }
}

static void* worker(void* unused) {
  (void)unused;
  unsigned seen = 0;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (job_generation == seen) pthread_cond_wait(&wake, &mu);
    seen = job_generation;
    pthread_mutex_unlock(&mu);
    participate(seen);
  }
  return NULL;
}

static int configured_threads(void) {
  const char* names[] = {"SPARSIFY_NATIVE_THREADS", "OPENBLAS_NUM_THREADS"};
  for (int i = 0; i < 2; i++) {
    const char* value = getenv(names[i]);
    if (value != NULL && value[0] != '\0') {
      int n = atoi(value);
      if (n >= 1) return n < POOL_MAX_THREADS ? n : POOL_MAX_THREADS;
    }
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1) return 1;
  return cpus < POOL_MAX_THREADS ? (int)cpus : POOL_MAX_THREADS;
}

static void start(void) {
  int wanted = configured_threads();
  thread_count = 1;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (int i = 1; i < wanted; i++) {
    pthread_t thread;
    if (pthread_create(&thread, &attr, worker, NULL) != 0) break;
    thread_count++;
  }
  pthread_attr_destroy(&attr);
}

int pool_threads(void) {
  pthread_once(&started, start);
  return thread_count;
}

void pool_run(pool_task task, void* arg, int parts) {
  if (parts <= 1 || pool_threads() == 1) {
    for (int p = 0; p < (parts < 1 ? 1 : parts); p++) task(arg, p, parts < 1 ? 1 : parts);
    return;
  }
  pthread_mutex_lock(&run_lock);
  pthread_mutex_lock(&mu);
  job_task = task;
  job_arg = arg;
  job_parts = parts;
  job_next = 0;
  job_finished = 0;
  unsigned generation = ++job_generation;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  participate(generation);
  pthread_mutex_lock(&mu);
  while (job_finished < parts) pthread_cond_wait(&done, &mu);
  pthread_mutex_unlock(&mu);
  pthread_mutex_unlock(&run_lock);
}
