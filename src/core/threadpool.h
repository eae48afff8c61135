/*
 * A small fork-join pool. parallel_for splits [0, n) into tasks that the
 * caller's thread and the workers take in turn; it returns when all are
 * done. A pool of one thread (or NULL) runs everything inline, so kernels
 * need no special single-threaded path.
 */
#ifndef IMP_THREADPOOL_H
#define IMP_THREADPOOL_H

#include <stddef.h>

struct imp_threadpool;

/* fn(ctx, begin, end, thread_index) processes items [begin, end). */
typedef void (*imp_parallel_fn)(void *ctx, size_t begin, size_t end, int thread);

/* threads <= 1 returns NULL (inline execution), not an error. */
struct imp_threadpool *imp_threadpool_create(int threads);
void imp_threadpool_free(struct imp_threadpool *pool);
int imp_threadpool_size(const struct imp_threadpool *pool);
/* Items are handed out in chunks of `grain` (at least 1). */
void imp_parallel_for(struct imp_threadpool *pool, size_t n, size_t grain,
                      imp_parallel_fn fn, void *ctx);

#endif
