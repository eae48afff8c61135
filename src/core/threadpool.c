#include "core/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct imp_threadpool {
    int size; /* workers + the calling thread */
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    /* The job in flight; generation tells workers a new one arrived. */
    unsigned long generation;
    imp_parallel_fn fn;
    void *ctx;
    size_t n, grain;
    atomic_size_t next;
    int busy; /* workers still on the current job */
    bool quit;
};

struct worker_arg {
    struct imp_threadpool *pool;
    int index;
};

static void drain(struct imp_threadpool *p, int thread)
{
    for (;;) {
        size_t begin = atomic_fetch_add(&p->next, p->grain);
        if (begin >= p->n)
            return;
        size_t end = begin + p->grain < p->n ? begin + p->grain : p->n;
        p->fn(p->ctx, begin, end, thread);
    }
}

static void *worker_main(void *arg)
{
    struct worker_arg wa = *(struct worker_arg *)arg;
    free(arg);
    struct imp_threadpool *p = wa.pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->quit)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        drain(p, wa.index);
        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
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
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
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
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->size - 1; i++)
        pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
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
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->grain = grain;
    atomic_store(&p->next, 0);
    p->busy = p->size - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    drain(p, 0);
    pthread_mutex_lock(&p->lock);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
