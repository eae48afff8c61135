/*
 * Do the machine's two cores share their load/store units? Each thread,
 * pinned to its own CPU, streams over a buffer of its own (read, scale,
 * write back), first alone, then both at once. Independent cores give
 * the same GB/s each way; SMT siblings (or a hypervisor that backs two
 * vCPUs with one core) split it, and then no layer bound by loads and
 * stores can go faster on two threads, whatever the split of its work.
 * Built by hand:
 *   cc -O3 -ffast-math -mavx2 -mfma bench/core_sharing.c -lpthread -o /tmp/core_sharing
 *   /tmp/core_sharing            # buffers of 32 KB to 64 MB
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct stream {
    int cpu;
    size_t floats;
    int passes;
    double gb_per_s;
};

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void *stream_run(void *arg)
{
    struct stream *s = arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    float *b = aligned_alloc(64, s->floats * sizeof(float));
    if (!b)
        return NULL;
    for (size_t k = 0; k < s->floats; k++)
        b[k] = (float)k;
    volatile float sink = 0;
    const double t0 = now_ns();
    for (int i = 0; i < s->passes; i++) {
        float acc = 0;
        for (size_t k = 0; k < s->floats; k++) {
            b[k] = b[k] * 0.5f + 1.0f;
            acc += b[k];
        }
        sink += acc;
    }
    /* a read and a write of every float per pass */
    s->gb_per_s = 2.0 * (double)(s->floats * sizeof(float)) * s->passes / (now_ns() - t0);
    free(b);
    return NULL;
}

int main(void)
{
    printf("| buffer | one thread alone, GB/s | both at once, GB/s each |\n|---|---|---|\n");
    for (size_t kb = 32; kb <= 65536; kb *= 4) {
        const size_t floats = kb * 1024 / sizeof(float);
        const int passes = (int)(4e9 / (double)(kb * 1024)) + 1; /* about 4 GB moved */
        struct stream alone = {0, floats, passes, 0}, a = alone, b = alone;
        b.cpu = 1;
        stream_run(&alone);
        pthread_t ta, tb;
        pthread_create(&ta, NULL, stream_run, &a);
        pthread_create(&tb, NULL, stream_run, &b);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        printf("| %zu KB | %.1f | %.1f + %.1f |\n", kb, alone.gb_per_s, a.gb_per_s,
               b.gb_per_s);
    }
    return 0;
}
