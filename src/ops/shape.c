/* Layout operators that reinterpret or rearrange whole tensors: Reshape,
 * Flatten, Squeeze, Unsqueeze (views), Transpose, Shape and Constant.
 * All of them work on every dtype: they move bytes, never interpret them. */
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

/* ---- views: Reshape, Flatten, Squeeze, Unsqueeze ------------------------ */

/* The planner makes the output share the input's bytes; when it could not
 * (plan-time evaluation into fresh buffers), copy. */
static void view_run(const struct imp_kernel_args *a)
{
    if (a->out[0]->data != a->in[0]->data && imp_numel(a->out[0]) > 0)
        memcpy(a->out[0]->data, a->in[0]->data, imp_tensor_bytes(a->in[0]));
}

static enum imp_status reshape_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    const struct imp_shape *xs = &c->in[0]->shape;
    int64_t dims[IMP_MAX_RANK];
    int n;
    const struct imp_tensor *shape_in = imp_opt_input(c->in, c->n_in, 1);
    if (shape_in) {
        st = imp_input_ints(shape_in, 1, dims, IMP_MAX_RANK, &n, c->err);
        if (st != IMP_OK)
            return st;
    } else {
        /* Reshape-1 carried the shape as an attribute. */
        IMP_CHECK(c, imp_node_attr(c->node, "shape"), IMP_ERR_FORMAT,
                  "no target shape (neither input 1 nor attribute)");
        n = imp_attr_ints(c->node, "shape", dims, IMP_MAX_RANK);
        IMP_CHECK(c, n >= 0, IMP_ERR_UNSUPPORTED, "target shape has more than %d dims",
                  IMP_MAX_RANK);
    }
    bool allowzero = imp_node_int(c->node, "allowzero", 0) != 0;
    int64_t total = imp_shape_count(xs), known = 1;
    int infer_at = -1;
    struct imp_shape out = {.rank = n};
    for (int i = 0; i < n; i++) {
        int64_t v = dims[i];
        if (v == 0 && !allowzero) {
            IMP_CHECK(c, i < xs->rank, IMP_ERR_SHAPE,
                      "dim %d is 0 (copy the input's) but the input has rank %d", i,
                      xs->rank);
            v = xs->d[i];
        } else if (v == -1) {
            IMP_CHECK(c, infer_at < 0, IMP_ERR_SHAPE, "more than one dim is -1");
            infer_at = i;
            continue;
        }
        IMP_CHECK(c, v >= 0, IMP_ERR_SHAPE, "dim %d is %lld", i, (long long)v);
        IMP_CHECK(c, !__builtin_mul_overflow(known, v, &known), IMP_ERR_SHAPE,
                  "target shape is absurdly large");
        out.d[i] = v;
    }
    char sx[96], so[96];
    if (infer_at >= 0) {
        IMP_CHECK(c, known != 0 && total % known == 0, IMP_ERR_SHAPE,
                  "cannot reshape %s to a shape with -1 and %lld known elements",
                  imp_shape_str(xs, sx, sizeof sx), (long long)known);
        out.d[infer_at] = total / known;
    } else {
        IMP_CHECK(c, known == total, IMP_ERR_SHAPE,
                  "cannot reshape %s (%lld elements) to %s",
                  imp_shape_str(xs, sx, sizeof sx), (long long)total,
                  imp_shape_str(&out, so, sizeof so));
    }
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = out;
    return IMP_OK;
}

static enum imp_status flatten_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    const struct imp_shape *xs = &c->in[0]->shape;
    int64_t axis = imp_node_int(c->node, "axis", 1);
    IMP_CHECK(c, axis >= -xs->rank && axis <= xs->rank, IMP_ERR_SHAPE,
              "axis %lld is out of range for rank %d", (long long)axis, xs->rank);
    int ax = (int)(axis < 0 ? axis + xs->rank : axis);
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape.rank = 2;
    c->out[0].shape.d[0] = imp_dims_product(xs, 0, ax);
    c->out[0].shape.d[1] = imp_dims_product(xs, ax, xs->rank);
    return IMP_OK;
}

/* Squeeze/Unsqueeze axes: input 1 (opset 13) or the `axes` attribute.
 * *given is false when neither exists. */
static enum imp_status read_axes(struct imp_infer_ctx *c, int64_t *axes, int *n,
                                 bool *given)
{
    const struct imp_tensor *t = imp_opt_input(c->in, c->n_in, 1);
    *given = true;
    if (t)
        return imp_input_ints(t, 1, axes, IMP_MAX_RANK, n, c->err);
    if (!imp_node_attr(c->node, "axes")) {
        *given = false;
        *n = 0;
        return IMP_OK;
    }
    *n = imp_attr_ints(c->node, "axes", axes, IMP_MAX_RANK);
    IMP_CHECK(c, *n >= 0, IMP_ERR_FORMAT, "axes must be a list of at most %d ints",
              IMP_MAX_RANK);
    return IMP_OK;
}

static enum imp_status squeeze_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    const struct imp_shape *xs = &c->in[0]->shape;
    int64_t axes[IMP_MAX_RANK];
    int n;
    bool given;
    st = read_axes(c, axes, &n, &given);
    if (st != IMP_OK)
        return st;
    bool drop[IMP_MAX_RANK] = {false};
    if (!given) {
        for (int d = 0; d < xs->rank; d++)
            drop[d] = xs->d[d] == 1;
    }
    for (int i = 0; i < n; i++) {
        int ax;
        IMP_CHECK(c, imp_norm_axis(axes[i], xs->rank, &ax), IMP_ERR_SHAPE,
                  "axis %lld is out of range for rank %d", (long long)axes[i], xs->rank);
        IMP_CHECK(c, !drop[ax], IMP_ERR_SHAPE, "axis %lld is repeated",
                  (long long)axes[i]);
        IMP_CHECK(c, xs->d[ax] == 1, IMP_ERR_SHAPE, "cannot squeeze axis %d of size %lld",
                  ax, (long long)xs->d[ax]);
        drop[ax] = true;
    }
    struct imp_shape out = {0};
    for (int d = 0; d < xs->rank; d++)
        if (!drop[d])
            out.d[out.rank++] = xs->d[d];
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = out;
    return IMP_OK;
}

static enum imp_status unsqueeze_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    const struct imp_shape *xs = &c->in[0]->shape;
    int64_t axes[IMP_MAX_RANK];
    int n;
    bool given;
    st = read_axes(c, axes, &n, &given);
    if (st != IMP_OK)
        return st;
    IMP_CHECK(c, given, IMP_ERR_FORMAT, "axes are required (input 1 or attribute)");
    int rank = xs->rank + n;
    IMP_CHECK(c, rank <= IMP_MAX_RANK, IMP_ERR_UNSUPPORTED,
              "result would have rank %d (at most %d)", rank, IMP_MAX_RANK);
    bool ins[IMP_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        int ax;
        IMP_CHECK(c, imp_norm_axis(axes[i], rank, &ax), IMP_ERR_SHAPE,
                  "axis %lld is out of range for output rank %d", (long long)axes[i],
                  rank);
        IMP_CHECK(c, !ins[ax], IMP_ERR_SHAPE, "axis %lld is repeated",
                  (long long)axes[i]);
        ins[ax] = true;
    }
    struct imp_shape out = {.rank = rank};
    for (int d = 0, k = 0; d < rank; d++)
        out.d[d] = ins[d] ? 1 : xs->d[k++];
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = out;
    return IMP_OK;
}

#define VIEW_OP(ID, infer_fn, plan)                                          \
    IMP_REF_ENGINES(ID, view_run, NULL, NULL);                               \
    const struct imp_op_def imp_opdef_##ID = {                               \
        .infer = infer_fn, .engines = ID##_engines, .flags = IMP_OPF_ALIAS,   \
        .plan_inputs = plan}

VIEW_OP(RESHAPE, reshape_infer, 1u << 1);
VIEW_OP(FLATTEN, flatten_infer, 0);
VIEW_OP(SQUEEZE, squeeze_infer, 1u << 1);
VIEW_OP(UNSQUEEZE, unsqueeze_infer, 1u << 1);

/* ---- Transpose ---------------------------------------------------------- */

/* perm attribute, or the reversal of the dims when absent. */
static bool transpose_perm(const struct imp_node *n, int rank, int *perm)
{
    int64_t raw[IMP_MAX_RANK];
    int count = rank;
    if (imp_node_attr(n, "perm")) {
        count = imp_attr_ints(n, "perm", raw, IMP_MAX_RANK);
        if (count != rank)
            return false;
    } else {
        for (int i = 0; i < rank; i++)
            raw[i] = rank - 1 - i;
    }
    bool seen[IMP_MAX_RANK] = {false};
    for (int i = 0; i < rank; i++) {
        if (raw[i] < 0 || raw[i] >= rank || seen[raw[i]])
            return false;
        seen[raw[i]] = true;
        perm[i] = (int)raw[i];
    }
    return true;
}

static enum imp_status transpose_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    const struct imp_shape *xs = &c->in[0]->shape;
    int perm[IMP_MAX_RANK];
    IMP_CHECK(c, transpose_perm(c->node, xs->rank, perm), IMP_ERR_SHAPE,
              "perm must be a permutation of the %d axes", xs->rank);
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape.rank = xs->rank;
    for (int i = 0; i < xs->rank; i++)
        c->out[0].shape.d[i] = xs->d[perm[i]];
    return IMP_OK;
}

static void transpose_run(const struct imp_kernel_args *a)
{
    const struct imp_tensor *x = a->in[0];
    struct imp_tensor *y = a->out[0];
    size_t es = imp_dtype_size(x->dtype);
    int r = y->shape.rank, perm[IMP_MAX_RANK];
    if (imp_numel(y) == 0 || !transpose_perm(a->node, r, perm))
        return;
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return;
    }
    int64_t xstride[IMP_MAX_RANK], stride[IMP_MAX_RANK];
    imp_shape_strides(&x->shape, xstride);
    for (int i = 0; i < r; i++)
        stride[i] = xstride[perm[i]]; /* input step per output axis step */
    int64_t width = y->shape.d[r - 1];
    const char *src = x->data;
    char *dst = y->data;
    int64_t idx[IMP_MAX_RANK] = {0};
    do {
        int64_t off = 0;
        for (int d = 0; d < r - 1; d++)
            off += idx[d] * stride[d];
        imp_copy_strided(dst, src + off * (int64_t)es, width, stride[r - 1], es);
        dst += width * (int64_t)es;
    } while (imp_index_next(idx, y->shape.d, r - 1) >= 0);
}

/* NCHW <-> NHWC: "layout" (transpose_layout.c). */
extern const struct imp_engine imp_transpose_layout_engine;
static const struct imp_engine transpose_ref = {.name = "ref", .run = transpose_run};
static const struct imp_engine *const TRANSPOSE_engines[] = {&imp_transpose_layout_engine,
                                                             &transpose_ref, NULL};
const struct imp_op_def imp_opdef_TRANSPOSE = {.infer = transpose_infer,
                                               .engines = TRANSPOSE_engines};

/* ---- Shape ---------------------------------------------------------------- */

/* [start, end) of the dims Shape reports (opset 15), clamped like ONNX. */
static void shape_range(const struct imp_node *n, int rank, int *lo, int *hi)
{
    int64_t s = imp_node_int(n, "start", 0), e = imp_node_int(n, "end", rank);
    if (s < 0)
        s += rank;
    if (e < 0)
        e += rank;
    s = s < 0 ? 0 : s > rank ? rank : s;
    e = e < 0 ? 0 : e > rank ? rank : e;
    *lo = (int)s;
    *hi = (int)(e > s ? e : s);
}

static enum imp_status shape_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    int lo, hi;
    shape_range(c->node, c->in[0]->shape.rank, &lo, &hi);
    c->out[0].dtype = IMP_DTYPE_I64;
    c->out[0].shape.rank = 1;
    c->out[0].shape.d[0] = hi - lo;
    return IMP_OK;
}

/* Reads only the input's shape: its data may be NULL here. */
static void shape_run(const struct imp_kernel_args *a)
{
    int lo, hi;
    shape_range(a->node, a->in[0]->shape.rank, &lo, &hi);
    int64_t *y = a->out[0]->data;
    for (int i = lo; i < hi; i++)
        y[i - lo] = a->in[0]->shape.d[i];
}

IMP_REF_ENGINES(SHAPE, shape_run, NULL, NULL);
const struct imp_op_def imp_opdef_SHAPE = {
    .infer = shape_infer, .engines = SHAPE_engines, .flags = IMP_OPF_SHAPE_ONLY};

/* ---- Constant ------------------------------------------------------------- */

static enum imp_status constant_infer(struct imp_infer_ctx *c)
{
    const struct imp_node *n = c->node;
    const struct imp_attr *at;
    struct imp_tensor *y = &c->out[0];
    IMP_CHECK(c, c->n_out == 1, IMP_ERR_FORMAT, "needs exactly one output");
    if ((at = imp_node_attr(n, "value_float")) && at->type == IMP_ATTR_FLOAT) {
        y->dtype = IMP_DTYPE_F32;
        y->shape.rank = 0;
    } else if ((at = imp_node_attr(n, "value_int")) && at->type == IMP_ATTR_INT) {
        y->dtype = IMP_DTYPE_I64;
        y->shape.rank = 0;
    } else if ((at = imp_node_attr(n, "value_floats")) && at->type == IMP_ATTR_FLOATS) {
        y->dtype = IMP_DTYPE_F32;
        y->shape.rank = 1;
        y->shape.d[0] = at->n;
    } else if ((at = imp_node_attr(n, "value_ints")) && at->type == IMP_ATTR_INTS) {
        y->dtype = IMP_DTYPE_I64;
        y->shape.rank = 1;
        y->shape.d[0] = at->n;
    } else if (imp_node_attr(n, "value")) {
        return imp_fail(c->err, IMP_ERR_UNSUPPORTED,
                        "a tensor-valued Constant must be turned into a constant value "
                        "by the reader");
    } else {
        return imp_fail(c->err, IMP_ERR_UNSUPPORTED,
                        "no supported value attribute (value_float(s), value_int(s))");
    }
    return IMP_OK;
}

static void constant_run(const struct imp_kernel_args *a)
{
    const struct imp_node *n = a->node;
    const struct imp_attr *at;
    void *y = a->out[0]->data;
    if ((at = imp_node_attr(n, "value_float")) && at->type == IMP_ATTR_FLOAT)
        memcpy(y, &at->f, sizeof at->f);
    else if ((at = imp_node_attr(n, "value_int")) && at->type == IMP_ATTR_INT)
        memcpy(y, &at->i, sizeof at->i);
    else if ((at = imp_node_attr(n, "value_floats")) && at->type == IMP_ATTR_FLOATS &&
             at->n > 0)
        memcpy(y, at->floats, sizeof(float) * (size_t)at->n);
    else if ((at = imp_node_attr(n, "value_ints")) && at->type == IMP_ATTR_INTS &&
             at->n > 0)
        memcpy(y, at->ints, sizeof(int64_t) * (size_t)at->n);
}

IMP_REF_ENGINES(CONSTANT, constant_run, NULL, NULL);
const struct imp_op_def imp_opdef_CONSTANT = {.infer = constant_infer,
                                              .engines = CONSTANT_engines};

/* ---- ConstantOfShape -------------------------------------------------------
 * Inputs: the shape (int64, known at plan time) and, in our IR, the fill
 * value as an optional one-element input 1: the ONNX reader moves the
 * `value` tensor attribute there, since inference sees inputs, not the
 * graph. Absent, the value is float32 0. */

static enum imp_status constant_of_shape_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    int64_t dims[IMP_MAX_RANK];
    int rank;
    st = imp_input_ints(c->in[0], 0, dims, IMP_MAX_RANK, &rank, c->err);
    if (st != IMP_OK)
        return st;
    const struct imp_tensor *value = imp_opt_input(c->in, c->n_in, 1);
    IMP_CHECK(c, !value || imp_numel(value) == 1, IMP_ERR_SHAPE,
              "the value must hold exactly one element");
    c->out[0].dtype = value ? value->dtype : IMP_DTYPE_F32;
    c->out[0].shape = imp_shape_make(rank, dims);
    return imp_check_out_shape(&c->out[0].shape, c->err);
}

static void constant_of_shape_run(const struct imp_kernel_args *a)
{
    const struct imp_tensor *value = imp_opt_input(a->in, a->n_in, 1);
    const float zero = 0.0f;
    size_t esize = imp_dtype_size(a->out[0]->dtype);
    imp_fill_value(a->out[0]->data, value ? value->data : (const void *)&zero,
                   imp_numel(a->out[0]), esize);
}

IMP_REF_ENGINES(CONSTANT_OF_SHAPE, constant_of_shape_run, NULL, NULL);
const struct imp_op_def imp_opdef_CONSTANT_OF_SHAPE = {
    .infer = constant_of_shape_infer, .engines = CONSTANT_OF_SHAPE_engines,
    .plan_inputs = 1u << 0};
