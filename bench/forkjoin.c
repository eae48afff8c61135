/*
 * The thread pool's fork-join overhead at 2 threads: the time of one
 * imp_parallel_for over 2 items of W microseconds of busy work each,
 * minus W (what a perfect split takes), and the share of items the
 * worker ran. With W = 0 it is the bare hand-off; with W > 0 an item the
 * worker does not pick up in time costs the caller W more. Each case runs
 * back to back and again after 300 us idle between calls (the workers
 * went to sleep). Built by hand against the static library:
 *   cc -O2 -Isrc -Iinclude bench/forkjoin.c build/libimpasto.a -lpthread -lm -o /tmp/forkjoin
 */
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "core/threadpool.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void wait_us(double us)
{
    double t0 = now_us();
    while (now_us() - t0 < us)
        ;
}

struct job {
    double work_us;
    atomic_int by_worker;
};

static void busy(void *ctx, size_t begin, size_t end, int thread)
{
    struct job *j = ctx;
    for (size_t i = begin; i < end; i++)
        wait_us(j->work_us);
    if (thread != 0)
        atomic_fetch_add(&j->by_worker, (int)(end - begin));
}

int main(void)
{
    struct imp_threadpool *p = imp_threadpool_create(2);
    const double works[] = {0, 5, 20};
    const int reps = 2000;
    printf("| work per item us | idle between us | mean overhead us | median overhead us | "
           "items on worker |\n|---|---|---|---|---|\n");
    for (int w = 0; w < 3; w++) {
        for (int pause = 0; pause <= 1; pause++) {
            struct job j = {.work_us = works[w]};
            atomic_init(&j.by_worker, 0);
            static double t[2000];
            double total = 0;
            for (int r = 0; r < reps; r++) {
                if (pause)
                    wait_us(300);
                double t0 = now_us();
                imp_parallel_for(p, 2, 1, busy, &j);
                t[r] = now_us() - t0 - works[w];
                total += t[r];
            }
            /* median by partial selection sort: reps is small */
            for (int a = 0; a <= reps / 2; a++)
                for (int b = a + 1; b < reps; b++)
                    if (t[b] < t[a]) {
                        double x = t[a];
                        t[a] = t[b];
                        t[b] = x;
                    }
            printf("| %.0f | %d | %.2f | %.2f | %.0f%% |\n", works[w], pause ? 300 : 0,
                   total / reps, t[reps / 2], 100.0 * atomic_load(&j.by_worker) / (2 * reps));
        }
    }
    imp_threadpool_free(p);
    return 0;
}
