/*
 * The thread pool's fork-join overhead: the time of one imp_parallel_for
 * over 2 items of (almost) no work, back to back, and again after a pause
 * of 50 us between calls (workers that went idle). Built by hand against
 * the static library:
 *   cc -O2 -Isrc -Iinclude bench/forkjoin.c build/libimpasto.a -lpthread -lm -o /tmp/forkjoin
 */
#include <stdio.h>
#include <time.h>

#include "core/threadpool.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void touch(void *ctx, size_t begin, size_t end, int thread)
{
    volatile size_t *sink = ctx;
    (void)thread;
    *sink += end - begin;
}

static void wait_us(double us)
{
    double t0 = now_us();
    while (now_us() - t0 < us)
        ;
}

int main(void)
{
    struct imp_threadpool *p = imp_threadpool_create(2);
    volatile size_t sink = 0;
    for (int pause = 0; pause <= 1; pause++) {
        double best = 1e9, total = 0;
        const int reps = 2000;
        for (int r = 0; r < reps; r++) {
            if (pause)
                wait_us(50);
            double t0 = now_us();
            imp_parallel_for(p, 2, 1, touch, (void *)&sink);
            double dt = now_us() - t0;
            total += dt;
            best = dt < best ? dt : best;
        }
        printf("%s: mean %.2f us, best %.2f us per parallel_for\n",
               pause ? "after 50 us idle" : "back to back", total / reps, best);
    }
    imp_threadpool_free(p);
    return 0;
}
