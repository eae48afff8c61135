/*
 * Single-operator tests: describe one node (inputs, attributes, output
 * count), run it, compare with expectations computed in the test.
 *
 * Every spec runs twice: once with its T_DATA inputs as graph inputs (the
 * predictor path: planner, arena, in-place and alias buffers) and once with
 * every input constant (the load-time folding path through the reference
 * engine). Both must agree with the expectation.
 */
#ifndef IMP_OPS_HARNESS_H
#define IMP_OPS_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"

enum tkind { T_DATA = 1, T_CONST, T_OMIT };

struct tval {
    enum tkind kind;
    enum imp_dtype dtype;
    int rank;
    int64_t dims[IMP_MAX_RANK];
    const void *data;
};

#define TV_COUNT(...) ((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
/* A tensor of rank >= 1: TV(T_DATA, IMP_DTYPE_F32, ptr, 2, 3). */
#define TV(kind, dtype, data, ...)                                                       \
    ((struct tval){kind, dtype, TV_COUNT(__VA_ARGS__), {__VA_ARGS__}, data})
#define TV0(kind, dtype, data) ((struct tval){kind, dtype, 0, {0}, data})
#define TOMIT ((struct tval){T_OMIT, IMP_DTYPE_F32, 0, {0}, NULL})
/* Shorthands for the common kinds. */
#define FIN(data, ...) TV(T_DATA, IMP_DTYPE_F32, data, __VA_ARGS__)
#define I64C(data, ...) TV(T_CONST, IMP_DTYPE_I64, data, __VA_ARGS__)
#define F32C(data, ...) TV(T_CONST, IMP_DTYPE_F32, data, __VA_ARGS__)

struct tattr {
    const char *name;
    enum imp_attr_type type;
    int64_t i;
    float f;
    const char *s;
    const int64_t *ints;
    const float *floats;
    int n;
};

#define A_INT(nm, v) ((struct tattr){.name = nm, .type = IMP_ATTR_INT, .i = (v)})
#define A_FLOAT(nm, v) ((struct tattr){.name = nm, .type = IMP_ATTR_FLOAT, .f = (v)})
#define A_STR(nm, v) ((struct tattr){.name = nm, .type = IMP_ATTR_STRING, .s = (v)})
#define A_INTS(nm, ...)                                                                  \
    ((struct tattr){.name = nm,                                                          \
                    .type = IMP_ATTR_INTS,                                               \
                    .ints = (const int64_t[]){__VA_ARGS__},                              \
                    .n = TV_COUNT(__VA_ARGS__)})
#define A_FLOATS(nm, ...)                                                                \
    ((struct tattr){.name = nm,                                                          \
                    .type = IMP_ATTR_FLOATS,                                             \
                    .floats = (const float[]){__VA_ARGS__},                              \
                    .n = (int)(sizeof((float[]){__VA_ARGS__}) / sizeof(float))})

#define T_MAX_IN 8
#define T_MAX_OUT 8

struct tspec {
    enum imp_op op;
    int n_in;
    struct tval in[T_MAX_IN];
    int n_attrs;
    struct tattr attrs[8];
    int n_out;    /* 0 means 1 */
    bool no_fold; /* run only the predictor path (inputs must stay unknown) */
};

struct tresult {
    enum imp_status st;
    char msg[IMP_ERROR_MAX];
    int n_out;
    struct imp_tensor_info info[T_MAX_OUT];
    void *data[T_MAX_OUT];
    size_t bytes[T_MAX_OUT];
};

static inline size_t t_count(int rank, const int64_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    return n;
}

static inline void tresult_free(struct tresult *r)
{
    for (int i = 0; i < r->n_out; i++)
        free(r->data[i]);
    memset(r, 0, sizeof *r);
}

static inline void t_set_attr(struct imp_graph *g, int node, const struct tattr *a)
{
    switch (a->type) {
    case IMP_ATTR_INT: imp_node_set_int(g, node, a->name, a->i); break;
    case IMP_ATTR_FLOAT: imp_node_set_float(g, node, a->name, a->f); break;
    case IMP_ATTR_STRING: imp_node_set_string(g, node, a->name, a->s); break;
    case IMP_ATTR_INTS: imp_node_set_ints(g, node, a->name, a->ints, a->n); break;
    case IMP_ATTR_FLOATS: imp_node_set_floats(g, node, a->name, a->floats, a->n); break;
    default: break;
    }
}

/* Build, load, plan, run; outputs are copied into r (caller frees). With
 * fold, every input becomes a constant. */
static inline enum imp_status run_op(const struct tspec *s, int fold, struct tresult *r)
{
    memset(r, 0, sizeof *r);
    struct imp_graph g;
    imp_graph_init(&g);
    int ins[T_MAX_IN], feeds[T_MAX_IN], n_feeds = 0;
    char name[32];
    for (int i = 0; i < s->n_in; i++) {
        const struct tval *v = &s->in[i];
        struct imp_shape sh = imp_shape_make(v->rank, v->dims);
        snprintf(name, sizeof name, "in%d", i);
        if (v->kind == T_OMIT) {
            ins[i] = -1;
        } else if (v->kind == T_CONST || fold) {
            ins[i] = imp_graph_add_const(&g, name, v->dtype, &sh, v->data);
        } else {
            ins[i] = imp_graph_add_value(&g, name, IMP_VALUE_INPUT, v->dtype, &sh);
            imp_graph_add_input(&g, ins[i]);
            feeds[n_feeds++] = i;
        }
    }
    int n_out = s->n_out ? s->n_out : 1, outs[T_MAX_OUT];
    for (int i = 0; i < n_out; i++) {
        snprintf(name, sizeof name, "out%d", i);
        outs[i] = imp_graph_add_value(&g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED,
                                      NULL);
    }
    int node = imp_graph_add_node(&g, s->op, "node", s->n_in, ins, n_out, outs);
    for (int i = 0; i < s->n_attrs; i++)
        t_set_attr(&g, node, &s->attrs[i]);
    for (int i = 0; i < n_out; i++)
        imp_graph_add_output(&g, outs[i]);

    struct imp_error err = {0};
    struct imp_model *m = NULL;
    struct imp_predictor *p = NULL;
    r->st = imp_model_from_graph(&g, &m, &err);
    if (r->st == IMP_OK)
        r->st = imp_predictor_init(m, NULL, &p, &err);
    for (int k = 0; k < n_feeds && r->st == IMP_OK; k++) {
        const struct tval *v = &s->in[feeds[k]];
        size_t bytes = t_count(v->rank, v->dims) * imp_dtype_size(v->dtype);
        r->st = imp_predictor_set_input(p, k, v->data, bytes);
        if (r->st != IMP_OK)
            snprintf(err.message, sizeof err.message, "%s", imp_predictor_last_error(p));
    }
    if (r->st == IMP_OK) {
        r->st = imp_predictor_run(p);
        if (r->st != IMP_OK)
            snprintf(err.message, sizeof err.message, "%s", imp_predictor_last_error(p));
    }
    for (int i = 0; i < n_out && r->st == IMP_OK; i++) {
        const void *data;
        r->st = imp_predictor_output(p, i, &r->info[i], &data);
        if (r->st != IMP_OK)
            break;
        r->bytes[i] =
            t_count(r->info[i].rank, r->info[i].dims) * imp_dtype_size(r->info[i].dtype);
        r->data[i] = malloc(r->bytes[i] + 1);
        if (r->bytes[i])
            memcpy(r->data[i], data, r->bytes[i]);
        r->n_out = i + 1;
    }
    snprintf(r->msg, sizeof r->msg, "%s", err.message);
    imp_predictor_free(p);
    imp_model_free(m);
    return r->st;
}

static inline bool t_dims_ok(const struct tresult *r, int k, enum imp_dtype dtype,
                             int rank, const int64_t *dims, const char *file, int line)
{
    bool ok = r->info[k].dtype == dtype && r->info[k].rank == rank;
    for (int i = 0; ok && i < rank; i++)
        ok = r->info[k].dims[i] == dims[i];
    if (!ok) {
        char got[128] = "", want[128] = "";
        size_t ug = 0, uw = 0;
        for (int i = 0; i < r->info[k].rank && ug < 100; i++)
            ug += (size_t)snprintf(got + ug, sizeof got - ug, "%lld ",
                                   (long long)r->info[k].dims[i]);
        for (int i = 0; i < rank && uw < 100; i++)
            uw += (size_t)snprintf(want + uw, sizeof want - uw, "%lld ",
                                   (long long)dims[i]);
        printf("  output %d: got %s[%s] want %s[%s]\n", k,
               imp_dtype_name(r->info[k].dtype), got, imp_dtype_name(dtype), want);
    }
    return imp_test_check(ok, "output dtype and shape", file, line);
}

/* Output k of both runs has this dtype/shape and these values (floats
 * within abs_tol; integers exactly). */
static inline bool t_expect(const struct tspec *s, int k, enum imp_dtype dtype, int rank,
                            const int64_t *dims, const void *want, double abs_tol,
                            const char *file, int line)
{
    bool all_ok = true;
    for (int fold = 0; fold < 2 - s->no_fold; fold++) {
        struct tresult r;
        run_op(s, fold, &r);
        if (r.st != IMP_OK)
            printf("  %s run failed: %s\n", fold ? "folded" : "predictor", r.msg);
        if (!imp_test_check(r.st == IMP_OK, "run succeeds", file, line) ||
            !t_dims_ok(&r, k, dtype, rank, dims, file, line)) {
            tresult_free(&r);
            all_ok = false;
            continue;
        }
        size_t n = t_count(rank, dims);
        int bad = 0;
        for (size_t i = 0; i < n && bad < 5; i++) {
            double got, exp;
            if (dtype == IMP_DTYPE_F32) {
                got = ((const float *)r.data[k])[i];
                exp = ((const float *)want)[i];
            } else if (dtype == IMP_DTYPE_I64) {
                got = (double)((const int64_t *)r.data[k])[i];
                exp = (double)((const int64_t *)want)[i];
            } else if (dtype == IMP_DTYPE_I32) {
                got = ((const int32_t *)r.data[k])[i];
                exp = ((const int32_t *)want)[i];
            } else {
                got = ((const uint8_t *)r.data[k])[i];
                exp = ((const uint8_t *)want)[i];
            }
            bool same = fabs(got - exp) <= abs_tol || (isnan(got) && isnan(exp));
            if (!same) {
                printf("  %s: element %zu is %.9g, want %.9g\n",
                       fold ? "folded" : "predictor", i, got, exp);
                bad++;
            }
        }
        all_ok &= imp_test_check(bad == 0, "output values", file, line);
        tresult_free(&r);
    }
    return all_ok;
}

/* Both runs fail with `st` and a message containing `needle`. */
static inline void t_expect_fail(const struct tspec *s, enum imp_status st,
                                 const char *needle, const char *file, int line)
{
    for (int fold = 0; fold < 2 - s->no_fold; fold++) {
        struct tresult r;
        run_op(s, fold, &r);
        bool ok = r.st == st && strstr(r.msg, needle) != NULL;
        if (!ok)
            printf("  %s: got status %s '%s', want %s containing '%s'\n",
                   fold ? "folded" : "predictor", imp_status_name(r.st), r.msg,
                   imp_status_name(st), needle);
        imp_test_check(ok, "fails as expected", file, line);
        tresult_free(&r);
    }
}

#define EXPECT_F32(spec, rank, dims, want, tol)                                          \
    t_expect(spec, 0, IMP_DTYPE_F32, rank, dims, want, tol, __FILE__, __LINE__)
#define EXPECT_OUT(spec, k, dtype, rank, dims, want)                                     \
    t_expect(spec, k, dtype, rank, dims, want, 0.0, __FILE__, __LINE__)
#define EXPECT_FAIL(spec, st, needle) t_expect_fail(spec, st, needle, __FILE__, __LINE__)
#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

/* Deterministic pseudo-random floats in [-1, 1). */
static inline void t_fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

#endif
