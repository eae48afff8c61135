/* Activations and Add, forward and backward (train_kernels.h). */
#include <math.h>

#include "core/threadpool.h"
#include "train/train_kernels.h"

#define TK_GRAIN 16384

struct elt_job {
    enum tk_act act;
    const float *a, *b;
    float *y;
    bool acc;
};

static void act_fwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct elt_job *j = ctx;
    const float *x = j->a;
    float *y = j->y;
    switch (j->act) {
    case TK_RELU:
        for (size_t i = begin; i < end; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case TK_SIGMOID:
        for (size_t i = begin; i < end; i++)
            y[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
        break;
    case TK_TANH:
        for (size_t i = begin; i < end; i++)
            y[i] = (float)tanh((double)x[i]);
        break;
    }
}

void tk_act_forward(enum tk_act a, const float *x, float *y, size_t n,
                    struct imp_threadpool *pool)
{
    struct elt_job j = {.act = a, .a = x, .y = y};
    imp_parallel_for(pool, n, TK_GRAIN, act_fwd_items, &j);
}

/* One loop per activation and mode, so that each vectorises. */
static void act_bwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct elt_job *j = ctx;
    const float *y = j->a, *dy = j->b;
    float *dx = j->y;
#define ACT_LOOP(expr)                                   \
    do {                                                 \
        if (j->acc)                                      \
            for (size_t i = begin; i < end; i++)         \
                dx[i] += (expr);                         \
        else                                             \
            for (size_t i = begin; i < end; i++)         \
                dx[i] = (expr);                          \
    } while (0)
    switch (j->act) {
    case TK_RELU:
        ACT_LOOP(y[i] > 0.0f ? dy[i] : 0.0f);
        break;
    case TK_SIGMOID:
        ACT_LOOP(dy[i] * y[i] * (1.0f - y[i]));
        break;
    case TK_TANH:
        ACT_LOOP(dy[i] * (1.0f - y[i] * y[i]));
        break;
    }
#undef ACT_LOOP
}

void tk_act_backward(enum tk_act a, const float *y, const float *dy, float *dx, size_t n,
                     bool acc, struct imp_threadpool *pool)
{
    struct elt_job j = {.act = a, .a = y, .b = dy, .y = dx, .acc = acc};
    imp_parallel_for(pool, n, TK_GRAIN, act_bwd_items, &j);
}

static void add_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct elt_job *j = ctx;
    for (size_t i = begin; i < end; i++)
        j->y[i] = j->a[i] + j->b[i];
}

void tk_add_forward(const float *a, const float *b, float *y, size_t n,
                    struct imp_threadpool *pool)
{
    struct elt_job j = {.a = a, .b = b, .y = y};
    imp_parallel_for(pool, n, TK_GRAIN, add_items, &j);
}

static void pass_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct elt_job *j = ctx;
    if (j->acc)
        for (size_t i = begin; i < end; i++)
            j->y[i] += j->a[i];
    else
        for (size_t i = begin; i < end; i++)
            j->y[i] = j->a[i];
}

void tk_pass_backward(const float *dy, float *dx, size_t n, bool acc,
                      struct imp_threadpool *pool)
{
    struct elt_job j = {.a = dy, .y = dx, .acc = acc};
    imp_parallel_for(pool, n, TK_GRAIN, pass_items, &j);
}
