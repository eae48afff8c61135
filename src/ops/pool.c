/*
 * Pooling (ONNX): MaxPool, AveragePool (1-D to 3-D, auto_pad, ceil_mode,
 * count_include_pad, dilations) and GlobalAveragePool.
 *
 * Conventions shared with ONNX Runtime and PyTorch where ONNX is vague:
 *  - ceil_mode drops a last window that would start in the end padding;
 *  - count_include_pad counts the window positions inside the padded
 *    input [-pad_begin, in + pad_end), not those beyond it that ceil_mode
 *    adds;
 *  - explicit pads must be smaller than the (dilated) kernel extent, so
 *    every window sees at least one input element.
 */
#include <math.h>
#include <stdlib.h>

#include "core/dtype.h"
#include "core/threadpool.h"
#include "ops/op_util.h"
#include "ops/window.h"

struct pool_geom {
    struct imp_window w;
    int64_t planes; /* N * C */
    bool count_include_pad;
};

static enum imp_status bool_attr(const struct imp_node *n, const char *name,
                                 bool *out, struct imp_error *err)
{
    const struct imp_attr *a = imp_node_attr(n, name);
    *out = false;
    if (!a)
        return IMP_OK;
    if (a->type != IMP_ATTR_INT || (a->i != 0 && a->i != 1))
        return imp_fail(err, IMP_ERR_FORMAT, "%s must be 0 or 1", name);
    *out = a->i != 0;
    return IMP_OK;
}

static enum imp_status pool_geometry(const struct imp_node *node,
                                     const struct imp_tensor *const *in, int n_in,
                                     int n_out, bool is_max, struct pool_geom *g,
                                     struct imp_error *err)
{
    if (n_in != 1 || !in[0])
        return imp_fail(err, IMP_ERR_FORMAT, "%d inputs; exactly 1 (X) expected",
                        n_in);
    if (n_out != 1 && !(is_max && n_out == 2))
        return imp_fail(err, IMP_ERR_FORMAT, "%d outputs; %s expected", n_out,
                        is_max ? "1 or 2 (Y, Indices)" : "1");
    const struct imp_tensor *x = in[0];
    bool small_int = x->dtype == IMP_DTYPE_U8 || x->dtype == IMP_DTYPE_I8;
    if (x->dtype != IMP_DTYPE_F32 && !(is_max && small_int))
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "input is %s; only float32%s is supported",
                        imp_dtype_name(x->dtype), is_max ? " (or int8, uint8)" : "");
    if (is_max) {
        int64_t order = imp_node_int(node, "storage_order", 0);
        if (order != 0 && order != 1)
            return imp_fail(err, IMP_ERR_FORMAT, "storage_order must be 0 or 1, not %lld",
                            (long long)order);
    }
    int rank = x->shape.rank;
    if (rank < 3)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "input has rank %d; needs N, C and a spatial axis", rank);
    if (rank > 2 + IMP_WIN_AXES)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "input has rank %d; at most %d spatial axes are supported",
                        rank, IMP_WIN_AXES);
    bool ceil_mode;
    enum imp_status st = bool_attr(node, "ceil_mode", &ceil_mode, err);
    if (st == IMP_OK)
        st = bool_attr(node, "count_include_pad", &g->count_include_pad, err);
    if (st == IMP_OK)
        st = imp_window_parse(node, rank - 2, &x->shape.d[2], NULL, &g->w, err);
    if (st != IMP_OK)
        return st;
    if (g->w.auto_pad == IMP_AUTO_PAD_NOTSET) {
        for (int i = IMP_WIN_AXES - g->w.nsp; i < IMP_WIN_AXES; i++) {
            int64_t ext = imp_window_extent(&g->w, i);
            if (g->w.pb[i] >= ext || g->w.pe[i] >= ext)
                return imp_fail(err, IMP_ERR_FORMAT,
                                "pads on spatial axis %d (%lld, %lld) must be "
                                "smaller than the kernel extent %lld",
                                i - (IMP_WIN_AXES - g->w.nsp), (long long)g->w.pb[i],
                                (long long)g->w.pe[i], (long long)ext);
        }
    }
    g->planes = x->shape.d[0] * x->shape.d[1];
    return imp_window_forward(&g->w, ceil_mode, err);
}

static void pool_output_shape(const struct imp_shape *x, const struct pool_geom *g,
                              struct imp_shape *out)
{
    *out = *x;
    for (int i = 0; i < g->w.nsp; i++)
        out->d[2 + i] = g->w.out[IMP_WIN_AXES - g->w.nsp + i];
}

static enum imp_status pool_infer_common(struct imp_infer_ctx *c, bool is_max)
{
    struct pool_geom g;
    enum imp_status st =
        pool_geometry(c->node, c->in, c->n_in, c->n_out, is_max, &g, c->err);
    if (st != IMP_OK)
        return st;
    c->out[0].dtype = c->in[0]->dtype;
    pool_output_shape(&c->in[0]->shape, &g, &c->out[0].shape);
    if (c->n_out == 2) { /* MaxPool's Indices */
        c->out[1].dtype = IMP_DTYPE_I64;
        c->out[1].shape = c->out[0].shape;
    }
    return IMP_OK;
}

static enum imp_status max_pool_infer(struct imp_infer_ctx *c)
{
    return pool_infer_common(c, true);
}

static enum imp_status avg_pool_infer(struct imp_infer_ctx *c)
{
    return pool_infer_common(c, false);
}

static enum imp_status pool_prepare_common(const struct imp_kernel_args *a,
                                           bool is_max, void **state,
                                           size_t *scratch_bytes,
                                           struct imp_error *err)
{
    struct pool_geom *g = malloc(sizeof *g);
    if (!g)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    enum imp_status st = pool_geometry(a->node, a->in, a->n_in, a->n_out, is_max, g, err);
    if (st != IMP_OK) {
        free(g);
        return st;
    }
    *state = g;
    *scratch_bytes = 0;
    return IMP_OK;
}

static enum imp_status max_pool_prepare(const struct imp_kernel_args *a, void **state,
                                        size_t *scratch_bytes, struct imp_error *err)
{
    return pool_prepare_common(a, true, state, scratch_bytes, err);
}

static enum imp_status avg_pool_prepare(const struct imp_kernel_args *a, void **state,
                                        size_t *scratch_bytes, struct imp_error *err)
{
    return pool_prepare_common(a, false, state, scratch_bytes, err);
}

static void pool_release(void *state)
{
    free(state);
}

/* Taps of one axis that land inside [lo_bound, hi_bound): the first tap
 * index and one past the last, for a window starting at `start`. */
static inline void tap_range(int64_t start, int64_t k, int64_t d, int64_t lo_bound,
                             int64_t hi_bound, int64_t *k0, int64_t *k1)
{
    int64_t a = start >= lo_bound ? 0 : imp_ceil_div(lo_bound - start, d);
    int64_t b = hi_bound - 1 >= start ? imp_floor_div(hi_bound - 1 - start, d) + 1 : 0;
    if (b > k)
        b = k;
    if (a > b)
        a = b;
    *k0 = a;
    *k1 = b;
}

struct pool_task {
    const struct pool_geom *g;
    const float *x;
    float *y;
    bool is_max;
};

/* One output row (plane, od, oh) per item. */
static void pool_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct pool_task *t = ctx;
    const struct imp_window *w = &t->g->w;
    const int64_t ID = w->in[0], IH = w->in[1], IW = w->in[2];
    const int64_t OD = w->out[0], OH = w->out[1], OW = w->out[2];
    (void)thread;
    for (size_t r = begin; r < end; r++) {
        int64_t rest = (int64_t)r;
        const int64_t oh = rest % OH;
        rest /= OH;
        const int64_t od = rest % OD, plane = rest / OD;
        const float *xp = t->x + plane * ID * IH * IW;
        float *y = t->y + (int64_t)r * OW;
        const int64_t sd = od * w->s[0] - w->pb[0], sh = oh * w->s[1] - w->pb[1];
        int64_t kd0, kd1, kh0, kh1, pd0, pd1, ph0, ph1;
        tap_range(sd, w->k[0], w->d[0], 0, ID, &kd0, &kd1);
        tap_range(sh, w->k[1], w->d[1], 0, IH, &kh0, &kh1);
        /* Taps inside the padded input, for count_include_pad. */
        tap_range(sd, w->k[0], w->d[0], -w->pb[0], ID + w->pe[0], &pd0, &pd1);
        tap_range(sh, w->k[1], w->d[1], -w->pb[1], IH + w->pe[1], &ph0, &ph1);
        for (int64_t ow = 0; ow < OW; ow++) {
            const int64_t sw = ow * w->s[2] - w->pb[2];
            int64_t kw0, kw1, pw0, pw1;
            tap_range(sw, w->k[2], w->d[2], 0, IW, &kw0, &kw1);
            float mx = -INFINITY, sum = 0.0f;
            for (int64_t kd = kd0; kd < kd1; kd++) {
                for (int64_t kh = kh0; kh < kh1; kh++) {
                    const float *xr =
                        xp + ((sd + kd * w->d[0]) * IH + sh + kh * w->d[1]) * IW;
                    for (int64_t kw = kw0; kw < kw1; kw++) {
                        float v = xr[sw + kw * w->d[2]];
                        mx = v > mx ? v : mx;
                        sum += v;
                    }
                }
            }
            if (t->is_max) {
                y[ow] = mx;
                continue;
            }
            int64_t count;
            if (t->g->count_include_pad) {
                tap_range(sw, w->k[2], w->d[2], -w->pb[2], IW + w->pe[2], &pw0, &pw1);
                count = (pd1 - pd0) * (ph1 - ph0) * (pw1 - pw0);
            } else {
                count = (kd1 - kd0) * (kh1 - kh0) * (kw1 - kw0);
            }
            /* Pads smaller than the kernel keep count >= 1; guard anyway. */
            y[ow] = count > 0 ? sum / (float)count : 0.0f;
        }
    }
}

static void pool_run_common(const struct imp_kernel_args *a, bool is_max)
{
    const struct pool_geom *g = a->state;
    struct pool_task t = {.g = g, .x = a->in[0]->data, .y = a->out[0]->data,
                          .is_max = is_max};
    const struct imp_window *w = &g->w;
    int64_t rows = g->planes * w->out[0] * w->out[1];
    int64_t row_work = w->out[2] * w->k[0] * w->k[1] * w->k[2];
    int64_t grain = row_work > 0 ? 65536 / row_work : 1;
    imp_parallel_for(a->pool, (size_t)rows, grain < 1 ? 1 : (size_t)grain, pool_rows, &t);
}

/* MaxPool of any input type, with the Indices output: each window's first
 * largest element (in row-major tap order) and its flat index in X, counted
 * row-major or, with storage_order=1, column-major over the spatial axes. */
struct argmax_task {
    const struct pool_geom *g;
    const struct imp_tensor *x;
    void *y;
    int64_t *indices; /* or NULL */
    bool column_major;
};

static void argmax_rows(void *ctx, size_t begin, size_t end, int thread)
{
    const struct argmax_task *t = ctx;
    const struct imp_window *w = &t->g->w;
    const int64_t ID = w->in[0], IH = w->in[1], IW = w->in[2];
    const int64_t OD = w->out[0], OH = w->out[1], OW = w->out[2];
    const enum imp_dtype dt = t->x->dtype;
    (void)thread;
    for (size_t r = begin; r < end; r++) {
        int64_t rest = (int64_t)r;
        const int64_t oh = rest % OH;
        rest /= OH;
        const int64_t od = rest % OD, plane = rest / OD;
        const int64_t base = plane * ID * IH * IW;
        const int64_t sd = od * w->s[0] - w->pb[0], sh = oh * w->s[1] - w->pb[1];
        int64_t kd0, kd1, kh0, kh1;
        tap_range(sd, w->k[0], w->d[0], 0, ID, &kd0, &kd1);
        tap_range(sh, w->k[1], w->d[1], 0, IH, &kh0, &kh1);
        for (int64_t ow = 0; ow < OW; ow++) {
            const int64_t sw = ow * w->s[2] - w->pb[2];
            int64_t kw0, kw1;
            tap_range(sw, w->k[2], w->d[2], 0, IW, &kw0, &kw1);
            double best = -INFINITY;
            int64_t bd = 0, bh = 0, bw = 0;
            bool any = false;
            for (int64_t kd = kd0; kd < kd1; kd++)
                for (int64_t kh = kh0; kh < kh1; kh++)
                    for (int64_t kw = kw0; kw < kw1; kw++) {
                        int64_t d = sd + kd * w->d[0], h = sh + kh * w->d[1],
                                x = sw + kw * w->d[2];
                        double v = imp_load_f64(dt, t->x->data,
                                                (size_t)(base + (d * IH + h) * IW + x));
                        if (!any || v > best) {
                            best = v;
                            bd = d, bh = h, bw = x;
                            any = true;
                        }
                    }
            const int64_t o = (int64_t)r * OW + ow;
            switch (dt) {
            case IMP_DTYPE_U8: ((uint8_t *)t->y)[o] = (uint8_t)best; break;
            case IMP_DTYPE_I8: ((int8_t *)t->y)[o] = (int8_t)best; break;
            default: ((float *)t->y)[o] = (float)best; break;
            }
            if (t->indices)
                t->indices[o] = base + (t->column_major ? (bw * IH + bh) * ID + bd
                                                        : (bd * IH + bh) * IW + bw);
        }
    }
}

static void max_pool_run(const struct imp_kernel_args *a)
{
    if (a->in[0]->dtype == IMP_DTYPE_F32 && a->n_out == 1) {
        pool_run_common(a, true);
        return;
    }
    const struct pool_geom *g = a->state;
    struct argmax_task t = {
        .g = g, .x = a->in[0], .y = a->out[0]->data,
        .indices = a->n_out == 2 ? a->out[1]->data : NULL,
        .column_major = imp_node_int(a->node, "storage_order", 0) == 1};
    const struct imp_window *w = &g->w;
    int64_t rows = g->planes * w->out[0] * w->out[1];
    int64_t row_work = w->out[2] * w->k[0] * w->k[1] * w->k[2];
    int64_t grain = row_work > 0 ? 16384 / row_work : 1;
    imp_parallel_for(a->pool, (size_t)rows, grain < 1 ? 1 : (size_t)grain, argmax_rows, &t);
}

static void avg_pool_run(const struct imp_kernel_args *a)
{
    pool_run_common(a, false);
}

IMP_REF_ENGINES(MAX_POOL, max_pool_run, max_pool_prepare, pool_release);
const struct imp_op_def imp_opdef_MAX_POOL = {
    .infer = max_pool_infer, .engines = MAX_POOL_engines};

IMP_REF_ENGINES(AVERAGE_POOL, avg_pool_run, avg_pool_prepare, pool_release);
const struct imp_op_def imp_opdef_AVERAGE_POOL = {
    .infer = avg_pool_infer, .engines = AVERAGE_POOL_engines};

/* ---- GlobalAveragePool: the mean of each (n, c) plane ------------------- */

static enum imp_status global_avg_infer(struct imp_infer_ctx *c)
{
    IMP_CHECK(c, c->n_in == 1 && c->in[0], IMP_ERR_FORMAT,
              "%d inputs; exactly 1 (X) expected", c->n_in);
    IMP_CHECK(c, c->n_out == 1, IMP_ERR_FORMAT, "%d outputs; 1 expected", c->n_out);
    const struct imp_tensor *x = c->in[0];
    IMP_CHECK(c, x->dtype == IMP_DTYPE_F32, IMP_ERR_UNSUPPORTED,
              "input is %s; only float32 is supported", imp_dtype_name(x->dtype));
    IMP_CHECK(c, x->shape.rank >= 3, IMP_ERR_SHAPE,
              "input has rank %d; needs N, C and a spatial axis", x->shape.rank);
    for (int i = 2; i < x->shape.rank; i++)
        IMP_CHECK(c, x->shape.d[i] >= 1, IMP_ERR_SHAPE,
                  "input spatial axis %d is empty", i - 2);
    c->out[0].dtype = IMP_DTYPE_F32;
    c->out[0].shape = x->shape;
    for (int i = 2; i < x->shape.rank; i++)
        c->out[0].shape.d[i] = 1;
    return IMP_OK;
}

struct global_task {
    const float *x;
    float *y;
    int64_t plane;
};

static void global_avg_planes(void *ctx, size_t begin, size_t end, int thread)
{
    const struct global_task *t = ctx;
    (void)thread;
    for (size_t p = begin; p < end; p++) {
        const float *x = t->x + (int64_t)p * t->plane;
        /* Double partial sums: exact enough for any plane size, and four of
         * them break the dependency chain. */
        double s[4] = {0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 4 <= t->plane; i += 4) {
            s[0] += x[i];
            s[1] += x[i + 1];
            s[2] += x[i + 2];
            s[3] += x[i + 3];
        }
        for (; i < t->plane; i++)
            s[0] += x[i];
        t->y[p] = (float)((s[0] + s[1] + s[2] + s[3]) / (double)t->plane);
    }
}

static void global_avg_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *s = &a->in[0]->shape;
    struct global_task t = {.x = a->in[0]->data, .y = a->out[0]->data, .plane = 1};
    for (int i = 2; i < s->rank; i++)
        t.plane *= s->d[i];
    int64_t planes = s->d[0] * s->d[1];
    int64_t grain = 65536 / t.plane;
    imp_parallel_for(a->pool, (size_t)planes, grain < 1 ? 1 : (size_t)grain,
                     global_avg_planes, &t);
}

/* Vector sums per plane: "planes" (reduce_planes.c). */
extern const struct imp_engine imp_global_avg_pool_planes_engine;
static const struct imp_engine GLOBAL_AVERAGE_POOL_ref = {.name = "ref",
                                                          .run = global_avg_run};
static const struct imp_engine *const GLOBAL_AVERAGE_POOL_engines[] = {
    &imp_global_avg_pool_planes_engine, &GLOBAL_AVERAGE_POOL_ref, NULL};
const struct imp_op_def imp_opdef_GLOBAL_AVERAGE_POOL = {
    .infer = global_avg_infer, .engines = GLOBAL_AVERAGE_POOL_engines};
