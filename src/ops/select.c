/* Layout operators that select or join parts of tensors: Gather, Concat,
 * Slice, Split and the legacy Crop (family 'shape' in ops.def, split out of
 * shape.c for size). They move bytes of any dtype; the shape arithmetic of
 * exported models runs through them on int64/int32 tensors. */
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "ops/eval.h"
#include "core/threadpool.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

/* ---- Gather ------------------------------------------------------------- */

static enum imp_status gather_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 1);
    if (st != IMP_OK)
        return st;
    const struct imp_tensor *x = c->in[0], *ind = c->in[1];
    IMP_CHECK(c, ind->dtype == IMP_DTYPE_I64 || ind->dtype == IMP_DTYPE_I32,
              IMP_ERR_FORMAT, "indices must be int64 or int32, not %s",
              imp_dtype_name(ind->dtype));
    int64_t axis = imp_node_int(c->node, "axis", 0);
    int ax;
    IMP_CHECK(c, imp_norm_axis(axis, x->shape.rank, &ax), IMP_ERR_SHAPE,
              "axis %lld is out of range for rank %d", (long long)axis, x->shape.rank);
    int rank = x->shape.rank - 1 + ind->shape.rank;
    IMP_CHECK(c, rank <= IMP_MAX_RANK, IMP_ERR_UNSUPPORTED,
              "result would have rank %d (at most %d)", rank, IMP_MAX_RANK);
    int64_t n = x->shape.d[ax];
    if (ind->data) {
        for (int64_t i = 0, cnt = imp_numel(ind); i < cnt; i++) {
            int64_t k = imp_load_i64(ind->dtype, ind->data, (size_t)i);
            IMP_CHECK(c, k >= -n && k < n, IMP_ERR_SHAPE,
                      "index %lld is out of range for axis %d of size %lld", (long long)k,
                      ax, (long long)n);
        }
    }
    struct imp_shape out = {.rank = rank};
    int o = 0;
    for (int d = 0; d < ax; d++)
        out.d[o++] = x->shape.d[d];
    for (int d = 0; d < ind->shape.rank; d++)
        out.d[o++] = ind->shape.d[d];
    for (int d = ax + 1; d < x->shape.rank; d++)
        out.d[o++] = x->shape.d[d];
    c->out[0].dtype = x->dtype;
    c->out[0].shape = out;
    return IMP_OK;
}

/* Indices not known at plan time are checked here: an out-of-range index
 * yields zeros instead of reading outside the tensor. */
static void gather_run(const struct imp_kernel_args *a)
{
    const struct imp_tensor *x = a->in[0], *ind = a->in[1];
    int ax;
    if (imp_numel(a->out[0]) == 0 ||
        !imp_norm_axis(imp_node_int(a->node, "axis", 0), x->shape.rank, &ax))
        return;
    size_t es = imp_dtype_size(x->dtype);
    int64_t outer = imp_dims_product(&x->shape, 0, ax), n = x->shape.d[ax];
    size_t block = (size_t)imp_dims_product(&x->shape, ax + 1, x->shape.rank) * es;
    int64_t count = imp_numel(ind);
    const char *src = x->data;
    char *dst = a->out[0]->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < count; i++) {
            int64_t k = imp_load_i64(ind->dtype, ind->data, (size_t)i);
            if (k < 0)
                k += n;
            if (k >= 0 && k < n)
                memcpy(dst, src + (size_t)(o * n + k) * block, block);
            else
                memset(dst, 0, block);
            dst += block;
        }
    }
}

IMP_REF_ENGINES(GATHER, gather_run, NULL, NULL);
const struct imp_op_def imp_opdef_GATHER = {.infer = gather_infer,
                                            .engines = GATHER_engines};

/* ---- Concat --------------------------------------------------------------- */

static enum imp_status concat_infer(struct imp_infer_ctx *c)
{
    IMP_CHECK(c, c->n_in >= 1, IMP_ERR_FORMAT, "needs at least one input");
    enum imp_status st = imp_need_inputs(c, 0, c->n_in - 1);
    if (st != IMP_OK)
        return st;
    const struct imp_tensor *first = c->in[0];
    int rank = first->shape.rank;
    IMP_CHECK(c, rank >= 1, IMP_ERR_SHAPE, "cannot concatenate scalars");
    /* Concat-1 had axis optional, defaulting to 1. */
    int64_t axis = imp_node_int(c->node, "axis", 1);
    int ax;
    IMP_CHECK(c, imp_norm_axis(axis, rank, &ax), IMP_ERR_SHAPE,
              "axis %lld is out of range for rank %d", (long long)axis, rank);
    struct imp_shape out = first->shape;
    out.d[ax] = 0;
    for (int i = 0; i < c->n_in; i++) {
        const struct imp_tensor *t = c->in[i];
        char s0[96], si[96];
        IMP_CHECK(c, t->dtype == first->dtype, IMP_ERR_FORMAT,
                  "input %d is %s but input 0 is %s", i, imp_dtype_name(t->dtype),
                  imp_dtype_name(first->dtype));
        bool fits = t->shape.rank == rank;
        for (int d = 0; d < rank && fits; d++)
            fits = d == ax || t->shape.d[d] == first->shape.d[d];
        IMP_CHECK(c, fits, IMP_ERR_SHAPE,
                  "input %d (%s) does not fit input 0 (%s) on axis %d", i,
                  imp_shape_str(&t->shape, si, sizeof si),
                  imp_shape_str(&first->shape, s0, sizeof s0), ax);
        out.d[ax] += t->shape.d[ax];
    }
    c->out[0].dtype = first->dtype;
    c->out[0].shape = out;
    return imp_check_out_shape(&out, c->err);
}

static void concat_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *ys = &a->out[0]->shape;
    int ax;
    if (!imp_norm_axis(imp_node_int(a->node, "axis", 1), ys->rank, &ax))
        return;
    size_t es = imp_dtype_size(a->out[0]->dtype);
    int64_t outer = imp_dims_product(ys, 0, ax);
    size_t inner = (size_t)imp_dims_product(ys, ax + 1, ys->rank) * es;
    char *dst = a->out[0]->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < a->n_in; i++) {
            size_t block = (size_t)a->in[i]->shape.d[ax] * inner;
            if (block)
                memcpy(dst, (const char *)a->in[i]->data + (size_t)o * block, block);
            dst += block;
        }
    }
}

IMP_REF_ENGINES(CONCAT, concat_run, NULL, NULL);
const struct imp_op_def imp_opdef_CONCAT = {.infer = concat_infer,
                                            .engines = CONCAT_engines};

/* ---- Slice ---------------------------------------------------------------- */

struct slice_params {
    struct imp_shape out;
    int64_t start[IMP_MAX_RANK], step[IMP_MAX_RANK];
};

/* starts/ends/axes/steps from inputs 1-4 (opset 10+) or attributes
 * (opset 1), clamped like ONNX: negative values count from the end, and
 * out-of-range values (INT64_MAX as "to the end") are clamped to the dim. */
static enum imp_status slice_parse(const struct imp_node *n,
                                   const struct imp_tensor *const *in, int n_in,
                                   struct slice_params *p, struct imp_error *err)
{
    const struct imp_tensor *x = imp_opt_input(in, n_in, 0);
    if (!x)
        return imp_fail(err, IMP_ERR_FORMAT, "input 0 is required");
    int rank = x->shape.rank;
    int64_t starts[IMP_MAX_RANK], ends[IMP_MAX_RANK], axes[IMP_MAX_RANK],
        steps[IMP_MAX_RANK];
    int ns, ne, na = -1, nst = -1;
    enum imp_status st;
    if (n_in >= 3) {
        if ((st = imp_input_ints(in[1], 1, starts, IMP_MAX_RANK, &ns, err)) != IMP_OK ||
            (st = imp_input_ints(in[2], 2, ends, IMP_MAX_RANK, &ne, err)) != IMP_OK)
            return st;
        const struct imp_tensor *t = imp_opt_input(in, n_in, 3);
        if (t && (st = imp_input_ints(t, 3, axes, IMP_MAX_RANK, &na, err)) != IMP_OK)
            return st;
        t = imp_opt_input(in, n_in, 4);
        if (t && (st = imp_input_ints(t, 4, steps, IMP_MAX_RANK, &nst, err)) != IMP_OK)
            return st;
    } else {
        if (!imp_node_attr(n, "starts") || !imp_node_attr(n, "ends"))
            return imp_fail(err, IMP_ERR_FORMAT,
                            "starts and ends are required (inputs 1, 2 or attributes)");
        ns = imp_attr_ints(n, "starts", starts, IMP_MAX_RANK);
        ne = imp_attr_ints(n, "ends", ends, IMP_MAX_RANK);
        if (imp_node_attr(n, "axes"))
            na = imp_attr_ints(n, "axes", axes, IMP_MAX_RANK);
        if (ns < 0 || ne < 0 || (imp_node_attr(n, "axes") && na < 0))
            return imp_fail(err, IMP_ERR_FORMAT,
                            "starts/ends/axes must be lists of at most %d ints",
                            IMP_MAX_RANK);
    }
    if (ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return imp_fail(
            err, IMP_ERR_SHAPE,
            "starts, ends, axes and steps must have the same length (%d, %d, %d, %d)", ns,
            ne, na, nst);
    p->out = x->shape;
    for (int d = 0; d < rank; d++) {
        p->start[d] = 0;
        p->step[d] = 1;
    }
    bool seen[IMP_MAX_RANK] = {false};
    for (int i = 0; i < ns; i++) {
        int ax = i;
        if (na >= 0 && !imp_norm_axis(axes[i], rank, &ax))
            return imp_fail(err, IMP_ERR_SHAPE, "axis %lld is out of range for rank %d",
                            (long long)axes[i], rank);
        if (ax >= rank)
            return imp_fail(err, IMP_ERR_SHAPE, "%d starts for rank %d", ns, rank);
        if (seen[ax])
            return imp_fail(err, IMP_ERR_SHAPE, "axis %d is sliced twice", ax);
        seen[ax] = true;
        int64_t dim = x->shape.d[ax], step = nst >= 0 ? steps[i] : 1;
        if (step == 0)
            return imp_fail(err, IMP_ERR_SHAPE, "step for axis %d is 0", ax);
        /* Any |step| >= dim takes at most one element: capping it keeps the
         * arithmetic below and the offsets in run() from overflowing. */
        int64_t cap = dim > 1 ? dim : 1;
        step = step > cap ? cap : step < -cap ? -cap : step;
        int64_t s = starts[i], e = ends[i], count;
        if (s < 0)
            s += dim;
        if (e < 0)
            e += dim;
        if (step > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            count = e > s ? (e - s + step - 1) / step : 0;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            count = s > e ? (s - e - step - 1) / -step : 0;
        }
        p->start[ax] = count > 0 ? s : 0;
        p->step[ax] = step;
        p->out.d[ax] = count;
    }
    return IMP_OK;
}

static enum imp_status slice_infer(struct imp_infer_ctx *c)
{
    struct slice_params p;
    enum imp_status st = slice_parse(c->node, c->in, c->n_in, &p, c->err);
    if (st != IMP_OK)
        return st;
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = p.out;
    return IMP_OK;
}

static enum imp_status slice_prepare(const struct imp_kernel_args *a, void **state,
                                     size_t *scratch, struct imp_error *err)
{
    struct slice_params *p = malloc(sizeof *p);
    if (!p)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    enum imp_status st = slice_parse(a->node, a->in, a->n_in, p, err);
    if (st != IMP_OK) {
        free(p);
        return st;
    }
    *state = p;
    *scratch = 0;
    return IMP_OK;
}

static void slice_run(const struct imp_kernel_args *a)
{
    const struct slice_params *p = a->state;
    const struct imp_tensor *x = a->in[0];
    size_t es = imp_dtype_size(x->dtype);
    int r = p->out.rank;
    if (imp_numel(a->out[0]) == 0)
        return;
    if (r == 0) {
        memcpy(a->out[0]->data, x->data, es);
        return;
    }
    int64_t xstride[IMP_MAX_RANK];
    imp_shape_strides(&x->shape, xstride);
    int64_t base = 0;
    for (int d = 0; d < r; d++)
        base += p->start[d] * xstride[d];
    int64_t width = p->out.d[r - 1];
    const char *src = x->data;
    char *dst = a->out[0]->data;
    int64_t idx[IMP_MAX_RANK] = {0};
    do {
        int64_t off = base;
        for (int d = 0; d < r - 1; d++)
            off += idx[d] * p->step[d] * xstride[d];
        imp_copy_strided(dst, src + off * (int64_t)es, width, p->step[r - 1], es);
        dst += width * (int64_t)es;
    } while (imp_index_next(idx, p->out.d, r - 1) >= 0);
}

static void free_state(void *state)
{
    free(state);
}

IMP_REF_ENGINES(SLICE, slice_run, slice_prepare, free_state);
/* starts, ends, axes, steps */
const struct imp_op_def imp_opdef_SLICE = {.infer = slice_infer,
                                           .engines = SLICE_engines,
                                           .plan_inputs = 0x1eu};

/* ---- Split ---------------------------------------------------------------- */

struct split_params {
    int axis;
    int64_t size[IMP_MAX_NODE_IO];
};

static enum imp_status split_parse(const struct imp_node *n,
                                   const struct imp_tensor *const *in, int n_in,
                                   int n_out, struct split_params *p,
                                   struct imp_error *err)
{
    const struct imp_tensor *x = imp_opt_input(in, n_in, 0);
    if (!x)
        return imp_fail(err, IMP_ERR_FORMAT, "input 0 is required");
    if (n_out < 1 || n_out > IMP_MAX_NODE_IO)
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "%d outputs (1 to %d supported)", n_out,
                        IMP_MAX_NODE_IO);
    int64_t axis = imp_node_int(n, "axis", 0);
    if (!imp_norm_axis(axis, x->shape.rank, &p->axis))
        return imp_fail(err, IMP_ERR_SHAPE, "axis %lld is out of range for rank %d",
                        (long long)axis, x->shape.rank);
    int64_t dim = x->shape.d[p->axis];
    int count = -1;
    enum imp_status st;
    const struct imp_tensor *split = imp_opt_input(in, n_in, 1);
    if (imp_input_given(split)) {
        st = imp_input_ints(split, 1, p->size, IMP_MAX_NODE_IO, &count, err);
        if (st != IMP_OK)
            return st;
    } else if (imp_node_attr(n, "split")) {
        count = imp_attr_ints(n, "split", p->size, IMP_MAX_NODE_IO);
        if (count < 0)
            return imp_fail(err, IMP_ERR_FORMAT, "split must list at most %d ints",
                            IMP_MAX_NODE_IO);
    }
    if (count >= 0) {
        if (count != n_out)
            return imp_fail(err, IMP_ERR_SHAPE, "split lists %d sizes for %d outputs",
                            count, n_out);
        int64_t sum = 0;
        for (int i = 0; i < count; i++) {
            if (p->size[i] < 0 || p->size[i] > dim)
                return imp_fail(err, IMP_ERR_SHAPE, "split size %lld is invalid",
                                (long long)p->size[i]);
            sum += p->size[i];
        }
        if (sum != dim)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "split sizes add up to %lld, axis %d has %lld",
                            (long long)sum, p->axis, (long long)dim);
        return IMP_OK;
    }
    if (imp_node_attr(n, "num_outputs")) {
        /* Opset 18: equal chunks of ceil(dim / n), the last one smaller. */
        int64_t num = imp_node_int(n, "num_outputs", 0);
        if (num != n_out)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "num_outputs is %lld but the node has %d outputs",
                            (long long)num, n_out);
        int64_t chunk = (dim + n_out - 1) / n_out;
        int64_t last = dim - chunk * (n_out - 1);
        if (last < 0)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "cannot split %lld into %d chunks of %lld", (long long)dim,
                            n_out, (long long)chunk);
        for (int i = 0; i < n_out; i++)
            p->size[i] = i + 1 < n_out ? chunk : last;
        return IMP_OK;
    }
    if (dim % n_out != 0)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "axis %d of size %lld does not split evenly in %d", p->axis,
                        (long long)dim, n_out);
    for (int i = 0; i < n_out; i++)
        p->size[i] = dim / n_out;
    return IMP_OK;
}

static enum imp_status split_infer(struct imp_infer_ctx *c)
{
    struct split_params p;
    enum imp_status st = split_parse(c->node, c->in, c->n_in, c->n_out, &p, c->err);
    if (st != IMP_OK)
        return st;
    for (int i = 0; i < c->n_out; i++) {
        c->out[i].dtype = c->in[0]->dtype;
        c->out[i].shape = c->in[0]->shape;
        c->out[i].shape.d[p.axis] = p.size[i];
    }
    return IMP_OK;
}

static void split_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *xs = &a->in[0]->shape;
    int ax;
    if (!imp_norm_axis(imp_node_int(a->node, "axis", 0), xs->rank, &ax))
        return;
    size_t es = imp_dtype_size(a->in[0]->dtype);
    int64_t outer = imp_dims_product(xs, 0, ax);
    size_t inner = (size_t)imp_dims_product(xs, ax + 1, xs->rank) * es;
    const char *src = a->in[0]->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < a->n_out; i++) {
            size_t block = (size_t)a->out[i]->shape.d[ax] * inner;
            if (block)
                memcpy((char *)a->out[i]->data + (size_t)o * block, src, block);
            src += block;
        }
    }
}

IMP_REF_ENGINES(SPLIT, split_run, NULL, NULL);
const struct imp_op_def imp_opdef_SPLIT = {.infer = split_infer,
                                           .engines = SPLIT_engines,
                                           .plan_inputs = 1u << 1};

/* ---- Crop (legacy, opset 1) ------------------------------------------------ */

/* border = [left, top, right, bottom]; with scale = [height, width] the
 * output is that size starting at (top, left), otherwise the borders are
 * cut off. */
static enum imp_status crop_window(const struct imp_node *n, const struct imp_shape *xs,
                                   int64_t *top, int64_t *left, int64_t *h, int64_t *w,
                                   struct imp_error *err)
{
    if (xs->rank != 4)
        return imp_fail(err, IMP_ERR_SHAPE, "input must be NCHW, has rank %d", xs->rank);
    int64_t border[4], scale[2];
    int nb = imp_attr_ints(n, "border", border, 4);
    if (nb != 4)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "border must list 4 ints (left, top, right, bottom)");
    for (int i = 0; i < 4; i++)
        if (border[i] < 0)
            return imp_fail(err, IMP_ERR_SHAPE, "border %lld is negative",
                            (long long)border[i]);
    int64_t H = xs->d[2], W = xs->d[3];
    *left = border[0];
    *top = border[1];
    if (imp_node_attr(n, "scale")) {
        if (imp_attr_ints(n, "scale", scale, 2) != 2 || scale[0] < 0 || scale[1] < 0)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "scale must list 2 ints (height, width)");
        *h = scale[0];
        *w = scale[1];
    } else {
        *h = H - border[3] - border[1];
        *w = W - border[2] - border[0];
    }
    if (*h < 0 || *w < 0 || *top > H || *left > W || *h > H - *top || *w > W - *left)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "crop window does not fit the %lldx%lld input", (long long)H,
                        (long long)W);
    return IMP_OK;
}

static enum imp_status crop_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    int64_t top, left, h, w;
    st = crop_window(c->node, &c->in[0]->shape, &top, &left, &h, &w, c->err);
    if (st != IMP_OK)
        return st;
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = c->in[0]->shape;
    c->out[0].shape.d[2] = h;
    c->out[0].shape.d[3] = w;
    return IMP_OK;
}

struct crop_job {
    const char *src;
    char *dst;
    size_t es;
    int64_t H, W, top, left, h, w;
};

static void crop_planes(void *ctx, size_t begin, size_t end, int thread)
{
    const struct crop_job *j = ctx;
    (void)thread;
    for (size_t p = begin; p < end; p++) {
        char *dst = j->dst + p * (size_t)(j->h * j->w) * j->es;
        for (int64_t y = 0; y < j->h; y++) {
            memcpy(dst, j->src + (size_t)(((int64_t)p * j->H + j->top + y) * j->W + j->left) * j->es,
                   (size_t)j->w * j->es);
            dst += (size_t)j->w * j->es;
        }
    }
}

/* Row copies; planes in parallel, since a large crop is pure memory
 * traffic that a second core's bandwidth speeds up. */
static void crop_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *xs = &a->in[0]->shape;
    struct crop_job j = {.src = a->in[0]->data, .dst = a->out[0]->data,
                         .es = imp_dtype_size(a->in[0]->dtype),
                         .H = xs->d[2], .W = xs->d[3]};
    if (imp_numel(a->out[0]) == 0 ||
        crop_window(a->node, xs, &j.top, &j.left, &j.h, &j.w, NULL) != IMP_OK)
        return;
    size_t plane_bytes = (size_t)(j.h * j.w) * j.es;
    size_t grain = plane_bytes >= 65536 ? 1 : 65536 / (plane_bytes ? plane_bytes : 1);
    imp_parallel_for(a->pool, (size_t)(xs->d[0] * xs->d[1]), grain, crop_planes, &j);
}

IMP_REF_ENGINES(CROP, crop_run, NULL, NULL);
const struct imp_op_def imp_opdef_CROP = {.infer = crop_infer, .engines = CROP_engines};
