/* The fork-join pool: every item runs exactly once, on a valid thread
 * index, and its writes are visible when imp_parallel_for returns, whether
 * the workers are spinning, asleep or late; jobs follow each other back to
 * back without a late worker running an item of the wrong job. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/threadpool.h"
#include "harness.h"

struct count_job {
    unsigned char *hits; /* per item: times run */
    int threads;
    atomic_int bad_thread, bad_range;
    size_t n, grain;
    unsigned tag; /* which job this is: items stamp it */
    unsigned *stamp;
};

static void count_items(void *ctx, size_t begin, size_t end, int thread)
{
    struct count_job *j = ctx;
    if (thread < 0 || thread >= j->threads)
        atomic_fetch_add(&j->bad_thread, 1);
    /* Chunks of at most `grain` items, or the whole range in one call
     * when it runs inline. */
    if (begin >= end || end > j->n || (end - begin > j->grain && (begin || end != j->n)))
        atomic_fetch_add(&j->bad_range, 1);
    for (size_t i = begin; i < end && i < j->n; i++) {
        j->hits[i]++;
        if (j->stamp)
            j->stamp[i] = j->tag;
    }
}

/* Runs a job of n items in chunks of `grain`, which the pool may widen
 * up to max_chunk. */
static bool every_item_once_in(struct imp_threadpool *pool, size_t n, size_t grain,
                               size_t max_chunk)
{
    struct count_job j = {.threads = imp_threadpool_size(pool), .n = n, .grain = max_chunk};
    atomic_init(&j.bad_thread, 0);
    atomic_init(&j.bad_range, 0);
    j.hits = calloc(n ? n : 1, 1);
    if (!j.hits)
        return false;
    imp_parallel_for(pool, n, grain, count_items, &j);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
        wrong += j.hits[i] != 1;
    free(j.hits);
    if (wrong || atomic_load(&j.bad_thread) || atomic_load(&j.bad_range))
        printf("  n=%zu grain=%zu: %zu items not run once, %d bad thread indices, "
               "%d bad ranges\n", n, grain, wrong, atomic_load(&j.bad_thread),
               atomic_load(&j.bad_range));
    return wrong == 0 && !atomic_load(&j.bad_thread) && !atomic_load(&j.bad_range);
}

static bool every_item_once(struct imp_threadpool *pool, size_t n, size_t grain)
{
    return every_item_once_in(pool, n, grain, grain ? grain : 1);
}

static void sizes_and_grains(void)
{
    const int threads[] = {1, 2, 3};
    const size_t ns[] = {0, 1, 2, 3, 7, 64, 1000, 4097};
    const size_t grains[] = {0, 1, 3, 16, 5000};
    for (int t = 0; t < 3; t++) {
        struct imp_threadpool *pool = imp_threadpool_create(threads[t]);
        CHECK((pool == NULL) == (threads[t] == 1));
        CHECK(imp_threadpool_size(pool) == threads[t]);
        for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
            for (size_t b = 0; b < sizeof grains / sizeof *grains; b++)
                CHECK(every_item_once(pool, ns[a], grains[b]));
        imp_threadpool_free(pool);
    }
}

/* More chunks than the job word can count (2^22 - 1): the pool widens
 * them, here to 2 items. */
static void more_chunks_than_the_claim_word_holds(void)
{
    struct imp_threadpool *pool = imp_threadpool_create(2);
    CHECK(every_item_once_in(pool, (size_t)5 << 20, 1, 2));
    imp_threadpool_free(pool);
}

static void sleep_us(long us)
{
    struct timespec t = {.tv_sec = 0, .tv_nsec = us * 1000};
    nanosleep(&t, NULL);
}

/* Many short jobs in a row, some after pauses long enough for the
 * workers to fall asleep, each stamping its items: a worker that ran an
 * item with an old job's context would leave an old stamp or a double
 * hit. */
static void jobs_back_to_back_and_after_sleep(void)
{
    struct imp_threadpool *pool = imp_threadpool_create(2);
    enum { N = 37, JOBS = 3000 };
    unsigned stamp[N];
    unsigned char hits[N];
    int failures = 0;
    for (unsigned r = 1; r <= JOBS; r++) {
        if (r % 500 == 0)
            sleep_us(2000); /* past the workers' spin: they sleep */
        struct count_job j = {.hits = hits, .threads = 2, .n = N, .grain = 1 + r % 4,
                              .tag = r, .stamp = stamp};
        atomic_init(&j.bad_thread, 0);
        atomic_init(&j.bad_range, 0);
        memset(hits, 0, sizeof hits);
        imp_parallel_for(pool, N, j.grain, count_items, &j);
        for (int i = 0; i < N; i++)
            failures += hits[i] != 1 || stamp[i] != r;
        failures += atomic_load(&j.bad_thread) + atomic_load(&j.bad_range);
    }
    CHECK(failures == 0);
    imp_threadpool_free(pool);
}

struct slow_job {
    atomic_int on_worker;
    int ran_on[16];
};

static void slow_items(void *ctx, size_t begin, size_t end, int thread)
{
    struct slow_job *j = ctx;
    sleep_us(200 * (long)(end - begin));
    for (size_t i = begin; i < end; i++)
        j->ran_on[i] = thread;
    if (thread != 0)
        atomic_fetch_add(&j->on_worker, 1);
}

/* Items long enough that a worker woken by the job takes some: the
 * caller does not run everything alone. The caller takes items from the
 * front and the worker from the back, so each does one end of the range
 * (what keeps a layer's data on the core that wrote it). */
static void workers_take_part_from_the_back(void)
{
    struct imp_threadpool *pool = imp_threadpool_create(2);
    struct slow_job j;
    atomic_init(&j.on_worker, 0);
    int split_broken = 0;
    for (int r = 0; r < 5; r++) {
        imp_parallel_for(pool, 16, 1, slow_items, &j);
        for (int i = 1; i < 16; i++)
            split_broken += j.ran_on[i] < j.ran_on[i - 1];
    }
    printf("  %d of 80 items ran on the worker\n", atomic_load(&j.on_worker));
    CHECK(atomic_load(&j.on_worker) > 0);
    CHECK(split_broken == 0);
    imp_threadpool_free(pool);
}

/* Freeing right after creation (workers may not have started) and right
 * after a job (workers spinning). */
static void free_at_any_moment(void)
{
    for (int r = 0; r < 50; r++) {
        struct imp_threadpool *pool = imp_threadpool_create(2 + r % 2);
        if (r % 2)
            CHECK(every_item_once(pool, 10, 1));
        imp_threadpool_free(pool);
    }
    imp_threadpool_free(NULL);
}

int main(void)
{
    RUN(sizes_and_grains);
    RUN(more_chunks_than_the_claim_word_holds);
    RUN(jobs_back_to_back_and_after_sleep);
    RUN(workers_take_part_from_the_back);
    RUN(free_at_any_moment);
    return imp_test_finish();
}
