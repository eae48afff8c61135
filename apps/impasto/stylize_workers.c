#include "stylize_workers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pool {
    struct imp_stylize_workers *w;
    char **in, **out;
    int n;
    int threads_each;
    pthread_mutex_t lock;
    int next, done, failed;
    int bar; /* draw a progress bar */
    double t0;
};

static void draw_bar(struct pool *p)
{
    if (!p->bar)
        return;
    const int width = 30;
    int filled = p->n ? p->done * width / p->n : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    const char *label = p->w->label ? p->w->label : "";
    const char *slash = strrchr(label, '/');
    fprintf(stderr, "\r%s [%s] %d/%d%s", slash ? slash + 1 : label, bar, p->done, p->n,
            p->done == p->n ? "\n" : "");
    fflush(stderr);
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    char why[1024];
    void *painter = p->w->start(p->w->shared, p->threads_each, why, sizeof why);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int i = p->next < p->n ? p->next++ : -1;
        pthread_mutex_unlock(&p->lock);
        if (i < 0)
            break;
        char summary[2048];
        int rc;
        if (!painter) {
            rc = -1; /* the painter's why stands for every photo */
        } else {
            double t0 = imp_cli_now_ms();
            rc = imp_stylize_one_file(p->w->job, p->in[i], p->out[i], p->w->paint, painter,
                                      summary, sizeof summary, why, sizeof why);
            if (rc == 0) {
                size_t len = strlen(summary);
                snprintf(summary + len, sizeof summary - len, " in %.0f ms",
                         imp_cli_now_ms() - t0);
            }
        }
        pthread_mutex_lock(&p->lock);
        p->done++;
        if (p->bar)
            fputs("\r\033[K", stderr);
        if (rc == 0) {
            printf("stylized %s\n", summary);
            fflush(stdout);
        } else {
            p->failed++;
            imp_cli_fail_message(p->in[i], why);
        }
        draw_bar(p);
        pthread_mutex_unlock(&p->lock);
    }
    if (painter)
        p->w->stop(painter);
    return NULL;
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int imp_stylize_run_workers(struct imp_stylize_workers *w, char **in, char **out, int n)
{
    struct pool p;
    memset(&p, 0, sizeof p);
    p.w = w;
    p.in = in;
    p.out = out;
    p.n = n;
    pthread_mutex_init(&p.lock, NULL);
    int threads = w->job->model_flags.opt.threads > 0 ? w->job->model_flags.opt.threads
                                                      : cores();
    /* Several small photos keep the cores busier one per worker than one
     * photo split across threads; one photo gets them all. */
    int jobs = w->job->jobs > 0 ? w->job->jobs : threads;
    if (jobs > n)
        jobs = n;
    if (jobs < 1)
        jobs = 1;
    p.threads_each = threads / jobs > 0 ? threads / jobs : 1;
    p.bar = n > 1 && isatty(2);
    pthread_t tids[64];
    int started = 0;
    for (int i = 1; i < jobs; i++)
        if (pthread_create(&tids[started], NULL, worker, &p) == 0)
            started++;
    worker(&p); /* this thread is a worker too */
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&p.lock);
    if (p.failed && n > 1)
        return imp_cli_fail("stylize", "%d of %d photos failed (the others were written)",
                            p.failed, n);
    return p.failed ? IMP_CLI_EXIT_FAIL : 0;
}
