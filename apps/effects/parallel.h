/*
 * How the effects share work between threads without owning any: the
 * caller (the CLI, a video pipeline) hands in its own parallel-for, so an
 * effect stays a pure function and runs inline where there are no threads
 * (tests, WASM). A NULL runner, or one without `run`, means inline.
 */
#ifndef IMP_FX_PARALLEL_H
#define IMP_FX_PARALLEL_H

#include <stddef.h>

/* Processes items [begin, end) on thread number `thread` (0-based, below
 * the runner's `threads`), so a task can index per-thread scratch. */
typedef void (*imp_fx_task)(void *ctx, size_t begin, size_t end, int thread);

struct imp_fx_parallel {
    /* Calls fn over [0, n) in chunks of `grain`, returning when all are
     * done; its signature is the runtime's imp_parallel_for's. */
    void (*run)(void *pool, size_t n, size_t grain, imp_fx_task fn, void *ctx);
    void *pool;
    int threads; /* the most thread indices `run` hands out (>= 1) */
};

static inline int imp_fx_threads(const struct imp_fx_parallel *p)
{
    return p && p->run && p->threads > 1 ? p->threads : 1;
}

static inline void imp_fx_parallel_for(const struct imp_fx_parallel *p, size_t n,
                                       size_t grain, imp_fx_task fn, void *ctx)
{
    if (n == 0)
        return;
    if (p && p->run && p->threads > 1)
        p->run(p->pool, n, grain, fn, ctx);
    else
        fn(ctx, 0, n, 0);
}

#endif
