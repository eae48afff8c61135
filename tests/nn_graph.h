/*
 * One-node graphs for operator tests: graph inputs fed with given data,
 * constants for weights, attributes set on the node, and a run through the
 * public predictor (or a load that is expected to fail).
 */
#ifndef IMP_TEST_NN_GRAPH_H
#define IMP_TEST_NN_GRAPH_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"

#define NN_MAX_FEEDS 8

struct nn_graph {
    struct imp_graph g;
    int node;
    int n_feeds;
    const void *feeds[NN_MAX_FEEDS];
    size_t feed_bytes[NN_MAX_FEEDS];
};

static inline void nn_begin(struct nn_graph *t)
{
    memset(t, 0, sizeof *t);
    imp_graph_init(&t->g);
    t->node = -1;
}

static inline int64_t nn_count(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    return n;
}

/* A graph input of any dtype, fed with `data` on every run. */
static inline int nn_input_typed(struct nn_graph *t, const char *name,
                                 enum imp_dtype dtype, int rank,
                                 const int64_t *dims, const void *data)
{
    struct imp_shape s = imp_shape_make(rank, dims);
    int v = imp_graph_add_value(&t->g, name, IMP_VALUE_INPUT, dtype, &s);
    imp_graph_add_input(&t->g, v);
    if (t->n_feeds < NN_MAX_FEEDS) {
        t->feeds[t->n_feeds] = data;
        t->feed_bytes[t->n_feeds] = (size_t)nn_count(rank, dims) * imp_dtype_size(dtype);
        t->n_feeds++;
    }
    return v;
}

static inline int nn_input(struct nn_graph *t, const char *name, int rank,
                           const int64_t *dims, const float *data)
{
    return nn_input_typed(t, name, IMP_DTYPE_F32, rank, dims, data);
}

static inline int nn_const(struct nn_graph *t, const char *name, int rank,
                           const int64_t *dims, const float *data)
{
    struct imp_shape s = imp_shape_make(rank, dims);
    return imp_graph_add_const(&t->g, name, IMP_DTYPE_F32, &s, data);
}

/* The node under test, with `n_out` outputs y0, y1...; graph output y0. */
static inline void nn_node_outs(struct nn_graph *t, enum imp_op op, int n_in,
                                const int *in, int n_out)
{
    int outs[4];
    for (int i = 0; i < n_out && i < 4; i++) {
        char name[8];
        snprintf(name, sizeof name, "y%d", i);
        outs[i] = imp_graph_add_value(&t->g, name, IMP_VALUE_ACTIVATION,
                                      IMP_DTYPE_F32, NULL);
    }
    t->node = imp_graph_add_node(&t->g, op, "op", n_in, in, n_out, outs);
    for (int i = 0; i < n_out && i < 4; i++)
        imp_graph_add_output(&t->g, outs[i]);
}

static inline void nn_node(struct nn_graph *t, enum imp_op op, int n_in, const int *in)
{
    nn_node_outs(t, op, n_in, in, 1);
}

static inline void nn_ints(struct nn_graph *t, const char *name, int n, const int64_t *v)
{
    imp_node_set_ints(&t->g, t->node, name, v, n);
}

static inline void nn_int(struct nn_graph *t, const char *name, int64_t v)
{
    imp_node_set_int(&t->g, t->node, name, v);
}

static inline void nn_float(struct nn_graph *t, const char *name, float v)
{
    imp_node_set_float(&t->g, t->node, name, v);
}

static inline void nn_string(struct nn_graph *t, const char *name, const char *v)
{
    imp_node_set_string(&t->g, t->node, name, v);
}

/* Loads the graph (taken over), runs it once with `threads` threads and
 * returns a malloc'd copy of output 0 and its shape. The status of the
 * first step that fails is returned with its message in err. */
static inline enum imp_status nn_run(struct nn_graph *t, int threads, float **out,
                                     struct imp_shape *shape, struct imp_error *err)
{
    struct imp_model *m = NULL;
    struct imp_predictor *p = NULL;
    *out = NULL;
    enum imp_status st = imp_model_from_graph(&t->g, &m, err);
    if (st != IMP_OK)
        return st;
    struct imp_predictor_options o = imp_predictor_options_default();
    o.threads = threads;
    st = imp_predictor_init(m, &o, &p, err);
    for (int i = 0; st == IMP_OK && i < t->n_feeds; i++) {
        st = imp_predictor_set_input(p, i, t->feeds[i], t->feed_bytes[i]);
        if (st != IMP_OK)
            snprintf(err->message, sizeof err->message, "set_input %d: %s", i,
                     imp_predictor_last_error(p));
    }
    if (st == IMP_OK) {
        st = imp_predictor_run(p);
        if (st != IMP_OK)
            snprintf(err->message, sizeof err->message, "run: %s",
                     imp_predictor_last_error(p));
    }
    struct imp_tensor_info info;
    const void *data = NULL;
    if (st == IMP_OK)
        st = imp_predictor_output(p, 0, &info, &data);
    if (st == IMP_OK) {
        *shape = imp_shape_make(info.rank, info.dims);
        size_t bytes = (size_t)nn_count(info.rank, info.dims) * sizeof(float);
        *out = malloc(bytes ? bytes : 1);
        if (*out)
            memcpy(*out, data, bytes);
        else
            st = IMP_ERR_NOMEM;
    }
    imp_predictor_free(p);
    imp_model_free(m);
    return st;
}

/* Expects loading to fail with `want` and a message containing `needle`. */
static inline bool nn_expect_error(struct nn_graph *t, enum imp_status want,
                                   const char *needle, const char *file, int line)
{
    struct imp_model *m = NULL;
    struct imp_error err = {0};
    enum imp_status st = imp_model_from_graph(&t->g, &m, &err);
    imp_model_free(m);
    bool ok = st == want && strstr(err.message, needle) != NULL;
    if (!ok)
        printf("  %s:%d: status %s, message \"%s\"; want %s with \"%s\"\n", file,
               line, imp_status_name(st), err.message, imp_status_name(want), needle);
    return imp_test_check(ok, "expected load error", file, line);
}
#define NN_EXPECT_ERROR(t, want, needle) \
    nn_expect_error((t), (want), (needle), __FILE__, __LINE__)

/* Every element within `tol` relative error (absolute below magnitude 1). */
static inline bool nn_close_all(const float *y, const float *ref, int64_t n,
                                double tol, const char *what, const char *file,
                                int line)
{
    double e = imp_test_max_rel_error(y, ref, (size_t)n, 1.0);
    if (!(e <= tol))
        printf("  %s: max rel error %g\n", what, e);
    return imp_test_check(e <= tol, what, file, line);
}
#define NN_CLOSE_ALL(y, ref, n, tol, what) \
    nn_close_all((y), (ref), (n), (tol), (what), __FILE__, __LINE__)

static inline bool nn_shape_is(const struct imp_shape *s, int rank, const int64_t *d)
{
    if (s->rank != rank)
        return false;
    for (int i = 0; i < rank; i++)
        if (s->d[i] != d[i])
            return false;
    return true;
}

/* One run on one thread; NULL (after a message) on failure. */
static inline float *nn_run_single(struct nn_graph *t, struct imp_shape *ys)
{
    float *y = NULL;
    struct imp_error err;
    enum imp_status st = nn_run(t, 1, &y, ys, &err);
    if (st != IMP_OK)
        printf("  run failed: %s\n", err.message);
    return y;
}

/* Deterministic values in [-1, 1). */
static inline void nn_fill(float *x, int64_t n, unsigned *seed)
{
    for (int64_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        x[i] = (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

static inline float *nn_random(int64_t n, unsigned *seed)
{
    float *x = malloc(sizeof *x * (size_t)(n > 0 ? n : 1));
    if (x)
        nn_fill(x, n, seed);
    return x;
}

#endif
