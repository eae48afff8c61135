/* Pad: constant, reflect, edge and wrap modes on any dtype.
 *
 * Pads come from the `pads` (or opset-1 `paddings`) attribute, or from
 * input 1, optionally restricted to the axes in input 3 (opset 18).
 * Negative pads crop; like ONNX Runtime, cropping happens first and the
 * reflect/edge/wrap padding refers to the cropped extent. prepare() turns
 * the pads into one table per dim mapping each output index to its source
 * index (-1: the constant), so run() is a gather.
 *
 * The "planes" engine takes the common image case, pads on the last two
 * axes only: each output plane is built from its own input plane row by
 * row (one memcpy for the interior, the table for the few edge columns),
 * planes split between threads. */
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/threadpool.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

/* Pads beyond this are certainly hostile; keeps dim arithmetic exact. */
#define PAD_LIMIT ((int64_t)1 << 40)

struct pad_params {
    enum pad_mode mode;
    struct imp_shape out;
    int64_t begin[IMP_MAX_RANK], end[IMP_MAX_RANK];
    /* Constant from the legacy `value` attribute, in the data's dtype. */
    unsigned char attr_value[8];
};

static enum imp_status pad_parse(const struct imp_node *n,
                                 const struct imp_tensor *const *in, int n_in,
                                 struct pad_params *p, struct imp_error *err)
{
    memset(p, 0, sizeof *p);
    const struct imp_tensor *x = imp_opt_input(in, n_in, 0);
    if (!x)
        return imp_fail(err, IMP_ERR_FORMAT, "input 0 is required");
    int rank = x->shape.rank;
    size_t esize = imp_dtype_size(x->dtype);
    if (esize == 0 || esize > sizeof p->attr_value)
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "cannot pad %s data",
                        imp_dtype_name(x->dtype));

    const char *mode = imp_node_string(n, "mode", "constant");
    if (strcmp(mode, "constant") == 0)
        p->mode = PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0)
        p->mode = PAD_REFLECT;
    else if (strcmp(mode, "edge") == 0)
        p->mode = PAD_EDGE;
    else if (strcmp(mode, "wrap") == 0)
        p->mode = PAD_WRAP;
    else
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "unknown mode '%s' (constant, reflect, edge, wrap)", mode);

    int64_t raw[2 * IMP_MAX_RANK];
    int n_pads;
    enum imp_status st;
    const struct imp_tensor *pads = imp_opt_input(in, n_in, 1);
    if (pads) {
        st = imp_input_ints(pads, 1, raw, 2 * IMP_MAX_RANK, &n_pads, err);
        if (st != IMP_OK)
            return st;
    } else {
        const char *name = imp_node_attr(n, "pads") ? "pads" : "paddings";
        if (!imp_node_attr(n, name))
            return imp_fail(err, IMP_ERR_FORMAT,
                            "no pads (neither input 1 nor attribute)");
        n_pads = imp_attr_ints(n, name, raw, 2 * IMP_MAX_RANK);
        if (n_pads < 0)
            return imp_fail(err, IMP_ERR_FORMAT,
                            "attribute %s must be a list of at most %d ints", name,
                            2 * IMP_MAX_RANK);
    }

    int axes[IMP_MAX_RANK], n_axes = rank;
    for (int i = 0; i < rank; i++)
        axes[i] = i;
    const struct imp_tensor *axes_in = imp_opt_input(in, n_in, 3);
    if (axes_in) {
        int64_t raw_axes[IMP_MAX_RANK];
        st = imp_input_ints(axes_in, 3, raw_axes, IMP_MAX_RANK, &n_axes, err);
        if (st != IMP_OK)
            return st;
        bool seen[IMP_MAX_RANK] = {false};
        for (int i = 0; i < n_axes; i++) {
            if (!imp_norm_axis(raw_axes[i], rank, &axes[i]))
                return imp_fail(err, IMP_ERR_SHAPE,
                                "axis %lld is out of range for rank %d",
                                (long long)raw_axes[i], rank);
            if (seen[axes[i]])
                return imp_fail(err, IMP_ERR_SHAPE, "axis %lld is repeated",
                                (long long)raw_axes[i]);
            seen[axes[i]] = true;
        }
    }
    if (n_pads != 2 * n_axes)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "%d pads for %d axes; expected %d (begin and end per axis)",
                        n_pads, n_axes, 2 * n_axes);
    for (int i = 0; i < n_axes; i++) {
        p->begin[axes[i]] = raw[i];
        p->end[axes[i]] = raw[n_axes + i];
    }

    p->out.rank = rank;
    for (int d = 0; d < rank; d++) {
        int64_t b = p->begin[d], e = p->end[d], dim = x->shape.d[d];
        if (b > PAD_LIMIT || b < -PAD_LIMIT || e > PAD_LIMIT || e < -PAD_LIMIT)
            return imp_fail(err, IMP_ERR_SHAPE, "pads %lld/%lld on dim %d are absurd",
                            (long long)b, (long long)e, d);
        int64_t kept = dim - (b < 0 ? -b : 0) - (e < 0 ? -e : 0);
        if (kept < 0)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "negative pads %lld/%lld crop more than dim %d holds (%lld)",
                            (long long)b, (long long)e, d, (long long)dim);
        int64_t grow_b = b > 0 ? b : 0, grow_e = e > 0 ? e : 0;
        if (p->mode == PAD_REFLECT && (grow_b >= kept || grow_e >= kept) &&
            (grow_b || grow_e))
            return imp_fail(err, IMP_ERR_SHAPE,
                            "reflect pads %lld/%lld must be smaller than dim %d (%lld)",
                            (long long)grow_b, (long long)grow_e, d, (long long)kept);
        if ((p->mode == PAD_EDGE || p->mode == PAD_WRAP) && kept == 0 &&
            (grow_b || grow_e))
            return imp_fail(err, IMP_ERR_SHAPE, "cannot %s-pad dim %d: it is empty", mode,
                            d);
        p->out.d[d] = kept + grow_b + grow_e;
    }
    st = imp_check_out_shape(&p->out, err);
    if (st != IMP_OK)
        return st;

    const struct imp_tensor *cv = imp_opt_input(in, n_in, 2);
    if (cv) {
        int64_t count = imp_shape_count(&cv->shape);
        if (cv->dtype != x->dtype)
            return imp_fail(err, IMP_ERR_FORMAT, "constant_value is %s but data is %s",
                            imp_dtype_name(cv->dtype), imp_dtype_name(x->dtype));
        if (count > 1)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "constant_value must be one value, has %lld",
                            (long long)count);
    }
    float value = imp_node_float(n, "value", 0.0f);
    imp_convert(x->dtype, p->attr_value, IMP_DTYPE_F32, &value, 1);
    return IMP_OK;
}

static enum imp_status pad_infer(struct imp_infer_ctx *c)
{
    struct pad_params p;
    enum imp_status st = pad_parse(c->node, c->in, c->n_in, &p, c->err);
    if (st != IMP_OK)
        return st;
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = p.out;
    return IMP_OK;
}

struct pad_state {
    struct pad_params p;
    int64_t *src[IMP_MAX_RANK]; /* per dim: source index per output index */
    /* Last dim: output [mid_begin, mid_begin + mid_len) is a contiguous
     * run of the source starting at mid_src. */
    int64_t mid_begin, mid_len, mid_src;
    int64_t table[]; /* backing store of src[] */
};

/* Source index along one dim for output index o, or -1 for the constant. */
static int64_t pad_source(enum pad_mode mode, int64_t o, int64_t begin, int64_t end,
                          int64_t dim)
{
    int64_t lo = begin < 0 ? -begin : 0;
    int64_t kept = dim - lo - (end < 0 ? -end : 0);
    int64_t i = o - (begin > 0 ? begin : 0); /* index into the cropped extent */
    if (i >= 0 && i < kept)
        return lo + i;
    switch (mode) {
    case PAD_CONSTANT: return -1;
    case PAD_EDGE: i = i < 0 ? 0 : kept - 1; break;
    case PAD_REFLECT: i = i < 0 ? -i : 2 * (kept - 1) - i; break;
    case PAD_WRAP: i = ((i % kept) + kept) % kept; break;
    }
    return lo + i;
}

static enum imp_status pad_prepare(const struct imp_kernel_args *a, void **state,
                                   size_t *scratch, struct imp_error *err)
{
    struct pad_params p;
    enum imp_status st = pad_parse(a->node, a->in, a->n_in, &p, err);
    if (st != IMP_OK)
        return st;
    int64_t total = 0;
    for (int d = 0; d < p.out.rank; d++)
        total += p.out.d[d];
    struct pad_state *s = malloc(sizeof *s + sizeof(int64_t) * (size_t)(total + 1));
    if (!s)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    s->p = p;
    const struct imp_shape *xs = &a->in[0]->shape;
    int64_t *t = s->table;
    for (int d = 0; d < p.out.rank; d++) {
        s->src[d] = t;
        for (int64_t o = 0; o < p.out.d[d]; o++)
            t[o] = pad_source(p.mode, o, p.begin[d], p.end[d], xs->d[d]);
        t += p.out.d[d];
    }
    s->mid_begin = s->mid_len = s->mid_src = 0;
    if (p.out.rank > 0) {
        int last = p.out.rank - 1;
        int64_t b = p.begin[last], e = p.end[last], dim = xs->d[last];
        s->mid_begin = b > 0 ? b : 0;
        s->mid_len = dim - (b < 0 ? -b : 0) - (e < 0 ? -e : 0);
        s->mid_src = b < 0 ? -b : 0;
    }
    *state = s;
    *scratch = 0;
    return IMP_OK;
}

static void pad_run(const struct imp_kernel_args *a)
{
    const struct pad_state *s = a->state;
    const struct imp_tensor *x = a->in[0];
    const struct imp_tensor *cv = imp_opt_input(a->in, a->n_in, 2);
    size_t es = imp_dtype_size(x->dtype);
    const void *value = s->p.attr_value;
    if (cv && imp_numel(cv) == 1)
        value = cv->data;
    const char *src = x->data;
    char *dst = a->out[0]->data;
    int r = s->p.out.rank;
    if (imp_numel(a->out[0]) == 0)
        return;
    if (r == 0) {
        memcpy(dst, src, es);
        return;
    }
    int64_t xstride[IMP_MAX_RANK];
    imp_shape_strides(&x->shape, xstride);
    int64_t width = s->p.out.d[r - 1];
    const int64_t *last = s->src[r - 1];
    int64_t idx[IMP_MAX_RANK] = {0};
    do {
        int64_t off = 0;
        bool constant_row = false;
        for (int d = 0; d < r - 1; d++) {
            int64_t si = s->src[d][idx[d]];
            constant_row |= si < 0;
            off += si * xstride[d];
        }
        if (constant_row) {
            imp_fill_value(dst, value, width, es);
        } else {
            /* An empty input leaves nothing but the constant to read. */
            const char *row = imp_numel(x) > 0 ? src + off * (int64_t)es : NULL;
            for (int64_t o = 0; o < width; o++) {
                if (o == s->mid_begin && s->mid_len > 0) {
                    memcpy(dst + o * (int64_t)es, row + s->mid_src * (int64_t)es,
                           (size_t)s->mid_len * es);
                    o += s->mid_len - 1;
                    continue;
                }
                memcpy(dst + o * (int64_t)es,
                       last[o] < 0 ? value : row + last[o] * (int64_t)es, es);
            }
        }
        dst += width * (int64_t)es;
    } while (imp_index_next(idx, s->p.out.d, r - 1) >= 0);
}

static void pad_release(void *state)
{
    free(state);
}

/* ---- planes engine --------------------------------------------------------- */

static bool pad_planes_supports(const struct imp_kernel_args *a)
{
    struct pad_params p;
    struct imp_error err = {0};
    if (pad_parse(a->node, a->in, a->n_in, &p, &err) != IMP_OK)
        return false;
    int r = p.out.rank;
    if (r < 2 || imp_numel(a->in[0]) == 0 || imp_shape_count(&p.out) == 0)
        return false;
    for (int d = 0; d < r - 2; d++)
        if (p.begin[d] != 0 || p.end[d] != 0)
            return false;
    return true;
}

struct pad_planes_task {
    const struct pad_state *s;
    const char *x;
    char *y;
    const void *value;
    size_t es;
    int64_t ih, iw, oh, ow;
};

static void pad_planes(void *ctx, size_t begin, size_t end, int thread)
{
    const struct pad_planes_task *t = ctx;
    const struct pad_state *s = t->s;
    const int r = s->p.out.rank;
    const int64_t *rows = s->src[r - 2], *cols = s->src[r - 1];
    const int64_t es = (int64_t)t->es, ow = t->ow;
    int64_t left = s->mid_begin < ow ? s->mid_begin : ow;
    int64_t mid = s->mid_len > 0 ? s->mid_len : 0;
    if (mid > ow - left)
        mid = ow - left;
    (void)thread;
    for (size_t p = begin; p < end; p++) {
        const char *plane = t->x + (int64_t)p * t->ih * t->iw * es;
        char *dst = t->y + (int64_t)p * t->oh * ow * es;
        for (int64_t oy = 0; oy < t->oh; oy++, dst += ow * es) {
            if (rows[oy] < 0) {
                imp_fill_value(dst, t->value, ow, t->es);
                continue;
            }
            const char *row = plane + rows[oy] * t->iw * es;
            memcpy(dst + left * es, row + s->mid_src * es, (size_t)(mid * es));
            if (es == 4) {
                uint32_t v, *d32 = (uint32_t *)(void *)dst;
                const uint32_t *r32 = (const uint32_t *)(const void *)row;
                memcpy(&v, t->value, 4);
                for (int64_t o = 0; o < left; o++)
                    d32[o] = cols[o] < 0 ? v : r32[cols[o]];
                for (int64_t o = left + mid; o < ow; o++)
                    d32[o] = cols[o] < 0 ? v : r32[cols[o]];
                continue;
            }
            for (int64_t o = 0; o < ow; o++) {
                if (o == left)
                    o += mid;
                if (o >= ow)
                    break;
                memcpy(dst + o * es, cols[o] < 0 ? t->value : row + cols[o] * es,
                       (size_t)es);
            }
        }
    }
}

static void pad_planes_run(const struct imp_kernel_args *a)
{
    const struct pad_state *s = a->state;
    const struct imp_tensor *x = a->in[0];
    const struct imp_tensor *cv = imp_opt_input(a->in, a->n_in, 2);
    int r = s->p.out.rank;
    struct pad_planes_task t = {
        .s = s, .x = x->data, .y = a->out[0]->data, .value = s->p.attr_value,
        .es = imp_dtype_size(x->dtype), .ih = x->shape.d[r - 2],
        .iw = x->shape.d[r - 1], .oh = s->p.out.d[r - 2], .ow = s->p.out.d[r - 1]};
    if (cv && imp_numel(cv) == 1)
        t.value = cv->data;
    int64_t planes = 1;
    for (int d = 0; d < r - 2; d++)
        planes *= s->p.out.d[d];
    int64_t grain = 65536 / (t.oh * t.ow);
    imp_parallel_for(a->pool, (size_t)planes, grain < 1 ? 1 : (size_t)grain, pad_planes,
                     &t);
}

static const struct imp_engine pad_planes_engine = {
    .name = "planes", .supports = pad_planes_supports, .prepare = pad_prepare,
    .run = pad_planes_run, .release = pad_release};
static const struct imp_engine pad_ref = {
    .name = "ref", .prepare = pad_prepare, .run = pad_run, .release = pad_release};
static const struct imp_engine *const pad_engines[] = {&pad_planes_engine, &pad_ref,
                                                       NULL};
/* pads and axes (constant_value is read when it runs) */
const struct imp_op_def imp_opdef_PAD = {.infer = pad_infer, .engines = pad_engines,
                                         .plan_inputs = (1u << 1) | (1u << 3)};
