/*
 * The fork-join pool. A network runs one parallel region per layer, a
 * MobileNet some hundred of them in a few milliseconds, so the hand-off
 * must cost microseconds, not the tens of microseconds of waking a
 * sleeping thread:
 *
 * - The job in flight is one 64-bit word, `claim`: a generation number
 *   and the range of chunks not yet claimed. Every thread takes
 *   chunks by compare-and-swap on that word, so a thread that read an old
 *   job can never take a chunk of a new one (the generation differs), and
 *   the job's other fields are read only once a chunk is held, when they
 *   cannot change (the job is not done while a chunk is out).
 * - The caller takes chunks from the front of the range, the workers from
 *   the back. With two threads each then does one end of every layer
 *   (engines order their items so that the two ends are the top and the
 *   bottom of the picture), and reads mostly what it wrote itself in the
 *   layer before: on this machine data written by the other core costs
 *   several times more to read than data in the core's own cache.
 * - The caller publishes the job, works on it like any worker, then waits
 *   only for chunks that other threads actually hold. A worker that has
 *   not woken up yet is not waited for: by the time it looks, all chunks
 *   are gone and it goes back to waiting for the next generation.
 * - Idle workers spin on `claim` for a while (a network's next layer is
 *   usually a few microseconds away) before they sleep on a condition
 *   variable; the caller takes the lock to wake them only when some sleep.
 */
#include "core/threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* claim = generation << 44 | front << 22 | back: chunks [front, back)
 * are unclaimed. */
#define CHUNK_BITS 22
#define MAX_CHUNKS ((1u << CHUNK_BITS) - 1)
#define CHUNK_MASK ((uint64_t)MAX_CHUNKS)
#define GEN_SHIFT (2 * CHUNK_BITS)
#define FRONT_ONE ((uint64_t)1 << CHUNK_BITS)

/* How long an idle worker polls for the next job before it sleeps. Long
 * enough to bridge the serial work between two layers, short enough not
 * to hold a core between frames. */
#define SPIN_NS 200000
/* How long the caller polls for chunks still running on other threads
 * before it sleeps: on a loaded machine their thread may have lost its
 * core, and a spinning caller would only delay it. */
#define CALLER_SPIN_NS 30000

struct imp_threadpool {
    int size; /* workers + the calling thread */
    pthread_t *workers;
    _Atomic uint64_t claim;
    /* The job in flight: written before its claim word is published,
     * read only by a thread holding one of its chunks. */
    imp_parallel_fn fn;
    void *ctx;
    size_t n, grain, chunks;
    atomic_uint done; /* chunks finished, by any thread */
    atomic_int sleepers;
    atomic_bool caller_sleeps; /* the caller waits on `finished` */
    atomic_bool quit;
    pthread_mutex_t lock;
    pthread_cond_t wake, finished;
};

struct worker_arg {
    struct imp_threadpool *pool;
    int index;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* One step of a polling loop: a pause, and now and then the core handed
 * to any other thread that wants it. On a quiet machine the yield returns
 * at once; on a loaded one the thread we wait for may be queued behind us
 * on this very core. */
static inline void poll_step(unsigned i)
{
    cpu_relax();
    if (i % 16 == 0)
        sched_yield();
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t gen_of(uint64_t claim)
{
    return claim >> GEN_SHIFT;
}

/* Takes and runs chunks of the job of generation `gen` until none is
 * left (or a newer job replaced it, which means this one is done). */
static void drain(struct imp_threadpool *p, uint64_t gen, int thread)
{
    uint64_t c = atomic_load_explicit(&p->claim, memory_order_acquire);
    for (;;) {
        if (gen_of(c) != gen)
            return;
        const uint64_t front = c >> CHUNK_BITS & CHUNK_MASK, back = c & CHUNK_MASK;
        if (front >= back)
            return;
        const bool from_front = thread == 0;
        if (!atomic_compare_exchange_weak_explicit(&p->claim, &c,
                                                   from_front ? c + FRONT_ONE : c - 1,
                                                   memory_order_acquire,
                                                   memory_order_acquire))
            continue;
        const size_t chunk = from_front ? (size_t)front : (size_t)back - 1;
        const size_t chunks = p->chunks;
        const size_t begin = chunk * p->grain;
        const size_t end = begin + p->grain < p->n ? begin + p->grain : p->n;
        p->fn(p->ctx, begin, end, thread);
        /* seq_cst: pairs with the caller's caller_sleeps */
        if (atomic_fetch_add(&p->done, 1) + 1 == chunks && thread != 0 &&
            atomic_load(&p->caller_sleeps)) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->finished);
            pthread_mutex_unlock(&p->lock);
        }
        c = atomic_load_explicit(&p->claim, memory_order_acquire);
    }
}

/* Waits until the claim word's generation is no longer `seen`: spins
 * first, then sleeps. Returns the new word. */
static uint64_t wait_for_job(struct imp_threadpool *p, uint64_t seen)
{
    uint64_t c;
    const uint64_t start = now_ns();
    for (unsigned i = 1;; i++) {
        c = atomic_load_explicit(&p->claim, memory_order_acquire);
        if (gen_of(c) != seen)
            return c;
        poll_step(i);
        if (i % 64 == 0 && now_ns() - start > SPIN_NS)
            break;
    }
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add(&p->sleepers, 1); /* seq_cst: pairs with the publisher */
    while (gen_of(c = atomic_load(&p->claim)) == seen)
        pthread_cond_wait(&p->wake, &p->lock);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->lock);
    return c;
}

static void *worker_main(void *arg)
{
    struct worker_arg wa = *(struct worker_arg *)arg;
    free(arg);
    struct imp_threadpool *p = wa.pool;
    /* The pool starts at generation 0; a worker that starts late then
     * still sees every later job (finished ones have no chunk left) and
     * the quit. */
    uint64_t seen = 0;
    for (;;) {
        const uint64_t c = wait_for_job(p, seen);
        if (atomic_load_explicit(&p->quit, memory_order_acquire))
            break;
        seen = gen_of(c);
        drain(p, seen, wa.index);
    }
    return NULL;
}

/* Makes `c` the job in flight and wakes workers that went to sleep. */
static void publish(struct imp_threadpool *p, uint64_t c)
{
    atomic_store(&p->claim, c); /* seq_cst: pairs with the sleeper count */
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
}

struct imp_threadpool *imp_threadpool_create(int threads)
{
    if (threads <= 1)
        return NULL;
    struct imp_threadpool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->workers = calloc((size_t)threads, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return NULL;
    }
    atomic_init(&p->claim, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->quit, false);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->finished, NULL);
    atomic_init(&p->caller_sleeps, false);
    p->size = 1;
    for (int i = 1; i < threads; i++) {
        struct worker_arg *wa = malloc(sizeof *wa);
        if (!wa)
            break;
        wa->pool = p;
        wa->index = i;
        if (pthread_create(&p->workers[i - 1], NULL, worker_main, wa) != 0) {
            free(wa);
            break;
        }
        p->size++;
    }
    return p;
}

void imp_threadpool_free(struct imp_threadpool *p)
{
    if (!p)
        return;
    atomic_store_explicit(&p->quit, true, memory_order_release);
    const uint64_t c = atomic_load(&p->claim);
    publish(p, (gen_of(c) + 1) << GEN_SHIFT);
    for (int i = 0; i < p->size - 1; i++)
        pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->finished);
    free(p->workers);
    free(p);
}

int imp_threadpool_size(const struct imp_threadpool *p)
{
    return p ? p->size : 1;
}

void imp_parallel_for(struct imp_threadpool *p, size_t n, size_t grain,
                      imp_parallel_fn fn, void *ctx)
{
    if (grain == 0)
        grain = 1;
    if (!p || p->size <= 1 || n <= grain) {
        if (n)
            fn(ctx, 0, n, 0);
        return;
    }
    /* The chunk count must fit its field of the claim word. */
    if ((n + grain - 1) / grain > MAX_CHUNKS)
        grain = (n + MAX_CHUNKS - 1) / MAX_CHUNKS;
    const uint64_t chunks = (n + grain - 1) / grain;
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->grain = grain;
    p->chunks = chunks;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    const uint64_t gen = gen_of(atomic_load_explicit(&p->claim, memory_order_relaxed)) + 1;
    publish(p, gen << GEN_SHIFT | chunks);
    drain(p, gen, 0);
    /* What is left are chunks other threads hold and are running now. */
    const uint64_t start = now_ns();
    for (unsigned i = 1; atomic_load_explicit(&p->done, memory_order_acquire) < chunks; i++) {
        poll_step(i);
        if (i % 64 == 0 && now_ns() - start > CALLER_SPIN_NS) {
            pthread_mutex_lock(&p->lock);
            atomic_store(&p->caller_sleeps, true); /* seq_cst: pairs with drain */
            while (atomic_load(&p->done) < chunks)
                pthread_cond_wait(&p->finished, &p->lock);
            atomic_store(&p->caller_sleeps, false);
            pthread_mutex_unlock(&p->lock);
            break;
        }
    }
}
