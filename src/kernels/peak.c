#include "kernels/peak.h"

#include <time.h>

#include "core/threadpool.h"
#include "kernels/isa_select.h"
#include "impasto.h"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct burst {
    int64_t (*fn)(int64_t);
    int64_t iters;
};

static void burst_task(void *ctx, size_t begin, size_t end, int thread)
{
    const struct burst *b = ctx;
    (void)thread;
    for (size_t i = begin; i < end; i++)
        b->fn(b->iters);
}

double imp_measure_peak_gflops(enum imp_isa isa, int threads)
{
    isa = imp_isa_usable(isa);
    struct burst b = {imp_fma_burst__scalar, 1 << 22};
    if (isa >= IMP_ISA_AVX512)
        b.fn = imp_fma_burst__avx512;
    else if (isa >= IMP_ISA_AVX2)
        b.fn = imp_fma_burst__avx2;
    if (threads < 1)
        threads = 1;
    struct imp_threadpool *pool = imp_threadpool_create(threads);
    int64_t flops_per_burst = b.fn(1000) / 1000 * b.iters;
    /* Best of a few tries: the peak is a ceiling, noise only lowers it. */
    double best_rate = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        double t0 = seconds();
        imp_parallel_for(pool, (size_t)threads, 1, burst_task, &b);
        double dt = seconds() - t0;
        double rate = (double)flops_per_burst * threads / dt * 1e-9;
        if (rate > best_rate)
            best_rate = rate;
    }
    imp_threadpool_free(pool);
    return best_rate;
}
