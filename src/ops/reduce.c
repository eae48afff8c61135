/* Reductions over axes: Softmax and ReduceMean (float32). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

/* ---- Softmax -------------------------------------------------------------- */

/* Softmax runs over `n` elements `inner` apart, `outer` times. Opset 13
 * normalises along one axis (default -1); before that (coerce_2d=1, set by
 * the ONNX reader) the input is flattened to 2-D at `axis` (default 1) and
 * each row of the second dim is normalised as a whole. */
static bool softmax_geometry(const struct imp_node *node, const struct imp_shape *s,
                             int64_t *outer, int64_t *n, int64_t *inner)
{
    bool coerce = imp_node_int(node, "coerce_2d", 0) != 0;
    int ax;
    if (s->rank == 0) {
        *outer = *n = *inner = 1;
        return true;
    }
    if (!imp_norm_axis(imp_node_int(node, "axis", coerce ? 1 : -1), s->rank, &ax))
        return false;
    *outer = imp_dims_product(s, 0, ax);
    if (coerce) {
        *n = imp_dims_product(s, ax, s->rank);
        *inner = 1;
    } else {
        *n = s->d[ax];
        *inner = imp_dims_product(s, ax + 1, s->rank);
    }
    return true;
}

static enum imp_status softmax_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    const struct imp_tensor *x = c->in[0];
    IMP_CHECK(c, x->dtype == IMP_DTYPE_F32, IMP_ERR_UNSUPPORTED,
              "input is %s; only float32 is supported", imp_dtype_name(x->dtype));
    int64_t outer, n, inner;
    IMP_CHECK(c, softmax_geometry(c->node, &x->shape, &outer, &n, &inner), IMP_ERR_SHAPE,
              "axis %lld is out of range for rank %d",
              (long long)imp_node_int(c->node, "axis", 0), x->shape.rank);
    c->out[0].dtype = IMP_DTYPE_F32;
    c->out[0].shape = x->shape;
    return IMP_OK;
}

/* Safe in place: each element is read before its own slot is written. */
static void softmax_run(const struct imp_kernel_args *a)
{
    int64_t outer, n, inner;
    if (!softmax_geometry(a->node, &a->in[0]->shape, &outer, &n, &inner) || n == 0)
        return;
    const float *x = a->in[0]->data;
    float *y = a->out[0]->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            const float *xr = x + o * n * inner + i;
            float *yr = y + o * n * inner + i;
            float m = xr[0];
            for (int64_t k = 1; k < n; k++)
                m = fmaxf(m, xr[k * inner]);
            double sum = 0.0;
            for (int64_t k = 0; k < n; k++) {
                float e = expf(xr[k * inner] - m);
                yr[k * inner] = e;
                sum += e;
            }
            float inv = (float)(1.0 / sum);
            for (int64_t k = 0; k < n; k++)
                yr[k * inner] *= inv;
        }
    }
}

IMP_REF_ENGINES(SOFTMAX, softmax_run, NULL, NULL);
const struct imp_op_def imp_opdef_SOFTMAX = {
    .infer = softmax_infer, .engines = SOFTMAX_engines, .flags = IMP_OPF_INPLACE};

/* ---- ReduceMean ----------------------------------------------------------- */

struct reduce_params {
    bool reduce[IMP_MAX_RANK];
    struct imp_shape out;
};

/* Axes from input 1 (opset 18) or the attribute; none means all axes,
 * or nothing at all with noop_with_empty_axes=1. */
static enum imp_status reduce_parse(const struct imp_node *n,
                                    const struct imp_tensor *const *in, int n_in,
                                    struct reduce_params *p, struct imp_error *err)
{
    memset(p, 0, sizeof *p);
    const struct imp_tensor *x = imp_opt_input(in, n_in, 0);
    if (!x)
        return imp_fail(err, IMP_ERR_FORMAT, "input 0 is required");
    if (x->dtype != IMP_DTYPE_F32)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "input is %s; only float32 is supported",
                        imp_dtype_name(x->dtype));
    int rank = x->shape.rank;
    int64_t axes[IMP_MAX_RANK];
    int count = 0;
    const struct imp_tensor *axes_in = imp_opt_input(in, n_in, 1);
    if (axes_in) {
        enum imp_status st = imp_input_ints(axes_in, 1, axes, IMP_MAX_RANK, &count, err);
        if (st != IMP_OK)
            return st;
    } else if (imp_node_attr(n, "axes")) {
        count = imp_attr_ints(n, "axes", axes, IMP_MAX_RANK);
        if (count < 0)
            return imp_fail(err, IMP_ERR_FORMAT, "axes must be a list of at most %d ints",
                            IMP_MAX_RANK);
    }
    if (count == 0 && !imp_node_int(n, "noop_with_empty_axes", 0)) {
        for (int d = 0; d < rank; d++)
            p->reduce[d] = true;
    }
    for (int i = 0; i < count; i++) {
        int ax;
        if (!imp_norm_axis(axes[i], rank, &ax))
            return imp_fail(err, IMP_ERR_SHAPE, "axis %lld is out of range for rank %d",
                            (long long)axes[i], rank);
        if (p->reduce[ax])
            return imp_fail(err, IMP_ERR_SHAPE, "axis %lld is repeated",
                            (long long)axes[i]);
        p->reduce[ax] = true;
    }
    bool keep = imp_node_int(n, "keepdims", 1) != 0;
    for (int d = 0; d < rank; d++) {
        if (!p->reduce[d])
            p->out.d[p->out.rank++] = x->shape.d[d];
        else if (keep)
            p->out.d[p->out.rank++] = 1;
    }
    return IMP_OK;
}

static enum imp_status reduce_mean_infer(struct imp_infer_ctx *c)
{
    struct reduce_params p;
    enum imp_status st = reduce_parse(c->node, c->in, c->n_in, &p, c->err);
    if (st != IMP_OK)
        return st;
    c->out[0].dtype = IMP_DTYPE_F32;
    c->out[0].shape = p.out;
    return IMP_OK;
}

static enum imp_status reduce_mean_prepare(const struct imp_kernel_args *a, void **state,
                                           size_t *scratch, struct imp_error *err)
{
    struct reduce_params *p = malloc(sizeof *p);
    if (!p)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    enum imp_status st = reduce_parse(a->node, a->in, a->n_in, p, err);
    if (st != IMP_OK) {
        free(p);
        return st;
    }
    *state = p;
    *scratch = 0;
    return IMP_OK;
}

/* Kept and reduced dims, each list with neighbours merged where the input
 * is contiguous across them (H and W of NCHW become one run). */
struct dimlist {
    int n;
    int64_t size[IMP_MAX_RANK], stride[IMP_MAX_RANK];
};

static void dimlist_add(struct dimlist *l, int64_t size, int64_t stride, bool adjacent)
{
    if (size == 1)
        return;
    if (adjacent && l->n > 0 && l->stride[l->n - 1] == stride * size) {
        l->size[l->n - 1] *= size;
        l->stride[l->n - 1] = stride;
        return;
    }
    l->size[l->n] = size;
    l->stride[l->n] = stride;
    l->n++;
}

static void reduce_mean_run(const struct imp_kernel_args *a)
{
    const struct reduce_params *p = a->state;
    const struct imp_shape *xs = &a->in[0]->shape;
    int64_t xstride[IMP_MAX_RANK];
    imp_shape_strides(xs, xstride);
    struct dimlist kept = {0}, red = {0};
    int64_t count = 1;
    for (int d = 0; d < xs->rank; d++) {
        bool prev_same = d > 0 && p->reduce[d - 1] == p->reduce[d];
        if (p->reduce[d]) {
            dimlist_add(&red, xs->d[d], xstride[d], prev_same);
            count *= xs->d[d];
        } else {
            dimlist_add(&kept, xs->d[d], xstride[d], prev_same);
        }
    }
    if (red.n == 0) { /* reduce over nothing, or over size-1 dims only */
        red.size[0] = 1;
        red.stride[0] = 0;
        red.n = 1;
    }
    const float *x = a->in[0]->data;
    float *y = a->out[0]->data;
    int64_t n_out = imp_numel(a->out[0]);
    if (count == 0) { /* the mean of nothing */
        for (int64_t o = 0; o < n_out; o++)
            y[o] = NAN;
        return;
    }
    int64_t last = red.size[red.n - 1], lstride = red.stride[red.n - 1];
    int64_t kidx[IMP_MAX_RANK] = {0};
    for (int64_t o = 0; o < n_out; o++) {
        int64_t base = 0;
        for (int d = 0; d < kept.n; d++)
            base += kidx[d] * kept.stride[d];
        double sum = 0.0;
        int64_t ridx[IMP_MAX_RANK] = {0};
        do {
            int64_t off = base;
            for (int d = 0; d < red.n - 1; d++)
                off += ridx[d] * red.stride[d];
            for (int64_t i = 0; i < last; i++)
                sum += x[off + i * lstride];
        } while (imp_index_next(ridx, red.size, red.n - 1) >= 0);
        y[o] = (float)(sum / (double)count);
        imp_index_next(kidx, kept.size, kept.n);
    }
}

static void reduce_mean_release(void *state)
{
    free(state);
}

/* Over trailing axes: "planes" (reduce_planes.c). */
extern const struct imp_engine imp_reduce_mean_planes_engine;
static const struct imp_engine REDUCE_MEAN_ref = {
    .name = "ref", .prepare = reduce_mean_prepare, .run = reduce_mean_run,
    .release = reduce_mean_release};
static const struct imp_engine *const REDUCE_MEAN_engines[] = {
    &imp_reduce_mean_planes_engine, &REDUCE_MEAN_ref, NULL};
const struct imp_op_def imp_opdef_REDUCE_MEAN = {.infer = reduce_mean_infer,
                                                 .engines = REDUCE_MEAN_engines,
                                                 .plan_inputs = 1u << 1};
