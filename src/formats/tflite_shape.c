/*
 * TFLite reductions, shape computations and data movement. Values keep
 * TFLite's layout, so axes, pads and perms carry over unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "formats/tflite_ops.h"

/* ---- reductions, shapes, data movement ---------------------------------- */

/* Constant int input k as an int64 constant value (for axes, pads, ...). */
/* Where NHWC axis a sits in NCHW, and which NHWC axis NCHW axis i is. */
static const int NHWC_AXIS_IN_NCHW[4] = {0, 2, 3, 1};
static const int NCHW_AXIS_FROM_NHWC[4] = {0, 3, 1, 2};

static int const_i64_input(struct imp_tfl_op *c, int k, const char *suffix,
                           int64_t *vals, int max, int *count)
{
    int n = imp_tfl_const_ints(c->r, c->in[k], vals, max);
    if (n < 0)
        return -1;
    if (count)
        *count = n;
    char name[600];
    snprintf(name, sizeof name, "%s%s", c->name, suffix);
    return imp_tfl_const_i64(c->r, name, vals, n);
}

/* An int input as int64: constants converted here, others by a Cast. */
static int i64_input(struct imp_tfl_op *c, int k, const char *suffix)
{
    int64_t vals[IMP_MAX_RANK * 2];
    if (imp_tfl_is_const(c->r, c->in[k]))
        return const_i64_input(c, k, suffix, vals, IMP_MAX_RANK * 2, NULL);
    int v = imp_tfl_in(c, k), node;
    int out = imp_tfl_emit_i64(c, IMP_OP_CAST, suffix, 1, &v, &node);
    if (out >= 0 && imp_tfl_set_int(c->r, node, "to", IMP_TFL_ONNX_INT64) != IMP_OK)
        return -1;
    return out;
}

enum imp_status imp_tfl_mean(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_REDUCER);
    if (st != IMP_OK)
        return st;
    bool keep = imp_fb_bool(&c->opts, 0, false);
    int64_t axes[IMP_MAX_RANK * 2];
    int n = -1;
    int a = imp_tfl_is_const(c->r, c->in[1])
                ? const_i64_input(c, 1, "/axes", axes, IMP_MAX_RANK * 2, &n)
                : i64_input(c, 1, "/axes");
    /* Over an input that exists as NCHW, with kept dims, reduce there
     * over the same axes in NCHW order; the result stays NCHW too. */
    bool nchw = keep && n > 0 && imp_tfl_in_tensor(c, 0)->nchw >= 0;
    for (int i = 0; i < n && nchw; i++) {
        int64_t ax = axes[i] < 0 ? axes[i] + 4 : axes[i];
        nchw = ax >= 0 && ax < 4;
        if (nchw)
            axes[i] = NHWC_AXIS_IN_NCHW[ax];
    }
    int x = nchw ? imp_tfl_nchw_in(c, 0) : imp_tfl_in(c, 0);
    int y = nchw ? -1 : imp_tfl_out(c, 0);
    if (nchw) {
        char name[600];
        snprintf(name, sizeof name, "%s/axes_nchw", c->name);
        a = imp_tfl_const_i64(c->r, name, axes, n);
    }
    if (n == 0) { /* TF reduces nothing over no axes; ONNX would reduce all */
        imp_tfl_emit(c, IMP_OP_IDENTITY, NULL, 1, &x, y, NULL);
    } else {
        int ins[2] = {x, a}, node;
        y = imp_tfl_emit(c, IMP_OP_REDUCE_MEAN, NULL, 2, ins, y, &node);
        if (y >= 0)
            imp_tfl_set_int(c->r, node, "keepdims", keep ? 1 : 0);
        if (nchw)
            imp_tfl_nhwc_out(c, y);
    }
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_pad(struct imp_tfl_op *c, bool mirror, bool v2)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 2, v2 ? 3 : 2, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, mirror ? IMP_TFL_OPT_MIRROR_PAD
                                     : v2   ? IMP_TFL_OPT_PADV2
                                            : IMP_TFL_OPT_PAD);
    if (st != IMP_OK)
        return st;
    if (mirror && imp_fb_i8(&c->opts, 0, 0) != 0)
        return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                               "SYMMETRIC mirror padding is not supported");
    int64_t p[IMP_MAX_RANK * 2];
    int n = imp_tfl_const_ints(r, c->in[1], p, IMP_MAX_RANK * 2);
    if (n < 0)
        return imp_tfl_status(c);
    if (n % 2)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "paddings has %d values", n);
    /* TFLite [rank][2] (before, after) -> ONNX all befores, then afters;
     * in NCHW order when the input exists as NCHW. */
    int rank = n / 2;
    /* A float image padded on H and W only (reflection before a network's
     * first convolution) is padded after the Transpose the convolution
     * needs anyway: the Pad then runs on whole planes. */
    const struct imp_tfl_tensor *x = imp_tfl_in_tensor(c, 0);
    bool spatial = rank == 4 && !p[0] && !p[1] && !p[6] && !p[7] &&
                   x->type == IMP_TFL_FLOAT32;
    bool nchw = rank == 4 && (x->nchw >= 0 || spatial);
    int64_t onnx[IMP_MAX_RANK * 2];
    for (int i = 0; i < rank; i++) {
        int from = nchw ? NCHW_AXIS_FROM_NHWC[i] : i;
        onnx[i] = p[2 * from];
        onnx[rank + i] = p[2 * from + 1];
    }
    char name[600];
    snprintf(name, sizeof name, "%s/pads", c->name);
    int pv = imp_tfl_const_i64(r, name, onnx, n);
    int ins[3] = {nchw ? imp_tfl_nchw_in(c, 0) : imp_tfl_in(c, 0), pv, -1};
    if (v2 && c->n_in > 2 && c->in[2] >= 0)
        ins[2] = imp_tfl_in(c, 2);
    int node;
    int y = imp_tfl_emit(c, IMP_OP_PAD, NULL, 3, ins, nchw ? -1 : imp_tfl_out(c, 0),
                         &node);
    if (y >= 0)
        imp_tfl_set_string(r, node, "mode", mirror ? "reflect" : "constant");
    if (nchw)
        imp_tfl_nhwc_out(c, y);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_reshape(struct imp_tfl_op *c)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 1, 2, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_RESHAPE);
    if (st != IMP_OK)
        return st;
    int shape = -1;
    bool zero = false;
    char name[600];
    snprintf(name, sizeof name, "%s/shape", c->name);
    if (c->n_in > 1 && c->in[1] >= 0) {
        if (imp_tfl_is_const(r, c->in[1])) {
            int64_t v[IMP_MAX_RANK];
            int n = imp_tfl_const_ints(r, c->in[1], v, IMP_MAX_RANK);
            for (int i = 0; i < n; i++)
                zero = zero || v[i] == 0;
            shape = n >= 0 ? imp_tfl_const_i64(r, name, v, n) : -1;
        } else {
            shape = i64_input(c, 1, "/shape");
        }
    } else {
        struct imp_fb_vec ns;
        imp_fb_vector(&c->opts, 0, 4, &ns);
        if (ns.n > IMP_MAX_RANK)
            return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "new_shape rank %u", ns.n);
        int64_t v[IMP_MAX_RANK];
        for (uint32_t i = 0; i < ns.n; i++) {
            v[i] = imp_fb_vec_i32(&ns, i);
            zero = zero || v[i] == 0;
        }
        shape = imp_tfl_const_i64(r, name, v, (int)ns.n);
    }
    int ins[2] = {imp_tfl_in(c, 0), shape}, node;
    /* In TF a 0 in the shape is a zero-sized dim, not "copy". */
    int y = imp_tfl_out(c, 0);
    if (imp_tfl_emit(c, IMP_OP_RESHAPE, NULL, 2, ins, y, &node) >= 0 && zero)
        imp_tfl_set_int(r, node, "allowzero", 1);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_squeeze(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_SQUEEZE);
    if (st != IMP_OK)
        return st;
    struct imp_fb_vec dims;
    imp_fb_vector(&c->opts, 0, 4, &dims);
    if (dims.n > IMP_MAX_RANK)
        return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT, "%u squeeze dims", dims.n);
    int64_t v[IMP_MAX_RANK];
    for (uint32_t i = 0; i < dims.n; i++)
        v[i] = imp_fb_vec_i32(&dims, i);
    int ins[2] = {imp_tfl_in(c, 0), -1};
    char name[600];
    snprintf(name, sizeof name, "%s/axes", c->name);
    if (dims.n)
        ins[1] = imp_tfl_const_i64(c->r, name, v, (int)dims.n);
    imp_tfl_emit(c, IMP_OP_SQUEEZE, NULL, dims.n ? 2 : 1, ins, imp_tfl_out(c, 0), NULL);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_expand_dims(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 2, 2, 1);
    if (st != IMP_OK)
        return st;
    int64_t axis;
    int ins[2] = {imp_tfl_in(c, 0), -1};
    ins[1] = const_i64_input(c, 1, "/axes", &axis, 1, NULL);
    imp_tfl_emit(c, IMP_OP_UNSQUEEZE, NULL, 2, ins, imp_tfl_out(c, 0), NULL);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_transpose_op(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 2, 2, 1);
    if (st != IMP_OK)
        return st;
    int64_t perm[IMP_MAX_RANK];
    int n = imp_tfl_const_ints(c->r, c->in[1], perm, IMP_MAX_RANK);
    if (n < 0)
        return imp_tfl_status(c);
    int x = imp_tfl_in(c, 0), node;
    if (imp_tfl_emit(c, IMP_OP_TRANSPOSE, NULL, 1, &x, imp_tfl_out(c, 0), &node) >= 0)
        imp_tfl_set_ints(c->r, node, "perm", perm, n);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_concatenation(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, IMP_TFL_MAX_IO, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_CONCATENATION);
    int act = imp_fb_i8(&c->opts, 1, 0);
    if (st == IMP_OK)
        st = imp_tfl_check_act(c, act);
    if (st != IMP_OK)
        return st;
    int ins[IMP_TFL_MAX_IO];
    for (int k = 0; k < c->n_in; k++) {
        if (c->in[k] < 0)
            return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT, "input %d is missing", k);
        ins[k] = imp_tfl_in(c, k);
    }
    int y = imp_tfl_out(c, 0), node;
    int cat = imp_tfl_emit(c, IMP_OP_CONCAT, act ? "/concat" : NULL, c->n_in, ins,
                           act ? -1 : y, &node);
    int32_t axis = imp_fb_i32(&c->opts, 0, 0);
    if (cat >= 0 && imp_tfl_set_int(c->r, node, "axis", axis) == IMP_OK)
        imp_tfl_act(c, cat, act, act ? y : -1);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_pack(struct imp_tfl_op *c)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 1, IMP_TFL_MAX_IO, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_PACK);
    if (st != IMP_OK)
        return st;
    int64_t axis = imp_fb_i32(&c->opts, 1, 0);
    int32_t count = imp_fb_i32(&c->opts, 0, c->n_in);
    if (count != c->n_in)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "values_count %d but %d inputs",
                               count, c->n_in);
    char name[600];
    snprintf(name, sizeof name, "%s/axis", c->name);
    int ax = imp_tfl_const_i64(r, name, &axis, 1);
    int ins[IMP_TFL_MAX_IO];
    for (int k = 0; k < c->n_in; k++) {
        if (c->in[k] < 0)
            return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "input %d is missing", k);
        int v = imp_tfl_in(c, k);
        int un[2] = {v, ax};
        char suffix[32];
        snprintf(suffix, sizeof suffix, "/unsqueeze%d", k);
        /* Keep the input's dtype: PACK mostly builds int32 shapes. */
        enum imp_dtype dt = v >= 0 ? r->g->values[v].dtype : IMP_DTYPE_F32;
        int u = imp_tfl_temp(r, c->name, suffix, dt);
        ins[k] =
            u >= 0 ? imp_tfl_emit(c, IMP_OP_UNSQUEEZE, suffix, 2, un, u, NULL) : -1;
    }
    int node;
    int y = imp_tfl_out(c, 0);
    if (imp_tfl_emit(c, IMP_OP_CONCAT, NULL, c->n_in, ins, y, &node) >= 0)
        imp_tfl_set_int(r, node, "axis", axis);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_shape_op(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_SHAPE);
    if (st != IMP_OK)
        return st;
    int x = imp_tfl_in(c, 0), y = imp_tfl_out(c, 0);
    int out_type = c->r->tensors[c->out[0]].type;
    if (out_type == IMP_TFL_INT64) {
        imp_tfl_emit(c, IMP_OP_SHAPE, NULL, 1, &x, y, NULL);
    } else if (out_type == IMP_TFL_INT32) {
        int s = imp_tfl_emit_i64(c, IMP_OP_SHAPE, "/i64", 1, &x, NULL), node;
        if (imp_tfl_emit(c, IMP_OP_CAST, NULL, 1, &s, y, &node) >= 0)
            imp_tfl_set_int(c->r, node, "to", IMP_TFL_ONNX_INT32);
    } else {
        return imp_tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED, "output type %d", out_type);
    }
    return imp_tfl_status(c);
}

/* STRIDED_SLICE -> Slice (+ Squeeze for shrunk axes). Masks are bit sets
 * over the axes of begin/end/strides. */
enum imp_status imp_tfl_strided_slice(struct imp_tfl_op *c)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 4, 4, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_STRIDED_SLICE);
    if (st != IMP_OK)
        return st;
    const struct imp_fb_table *o = &c->opts;
    uint32_t begin_mask = (uint32_t)imp_fb_i32(o, 0, 0);
    uint32_t end_mask = (uint32_t)imp_fb_i32(o, 1, 0);
    uint32_t shrink = (uint32_t)imp_fb_i32(o, 4, 0);
    if (imp_fb_i32(o, 2, 0) || imp_fb_i32(o, 3, 0) || imp_fb_bool(o, 5, false))
        return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                               "ellipsis_mask, new_axis_mask and offset are not "
                               "supported");
    int64_t b[IMP_MAX_RANK], e[IMP_MAX_RANK], s[IMP_MAX_RANK];
    int nb = imp_tfl_const_ints(r, c->in[1], b, IMP_MAX_RANK);
    int ne = nb >= 0 ? imp_tfl_const_ints(r, c->in[2], e, IMP_MAX_RANK) : -1;
    int ns = ne >= 0 ? imp_tfl_const_ints(r, c->in[3], s, IMP_MAX_RANK) : -1;
    if (ns < 0)
        return imp_tfl_status(c);
    if (nb != ne || nb != ns)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "begin/end/strides lengths %d/%d/%d",
                               nb, ne, ns);
    int64_t axes[IMP_MAX_RANK], sq[IMP_MAX_RANK];
    int nsq = 0;
    for (int i = 0; i < nb; i++) {
        axes[i] = i;
        if (s[i] == 0)
            return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "stride %d is zero", i);
        bool fwd = s[i] > 0;
        if (begin_mask >> i & 1)
            b[i] = fwd ? 0 : INT64_MAX;
        if (shrink >> i & 1) {
            /* One element at begin; -1 would make end 0, so run to the end. */
            e[i] = b[i] == -1 || b[i] >= INT64_MAX - 1 ? INT64_MAX : b[i] + 1;
            s[i] = 1;
            sq[nsq++] = i;
        } else if (end_mask >> i & 1) {
            e[i] = fwd ? INT64_MAX : INT64_MIN;
        }
    }
    char name[600];
    int ins[5] = {imp_tfl_in(c, 0), -1, -1, -1, -1};
    const char *sfx[4] = {"/starts", "/ends", "/axes", "/steps"};
    int64_t *vals[4] = {b, e, axes, s};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s%s", c->name, sfx[i]);
        ins[i + 1] = imp_tfl_const_i64(r, name, vals[i], nb);
    }
    int y = imp_tfl_out(c, 0);
    enum imp_dtype dt = ins[0] >= 0 ? r->g->values[ins[0]].dtype : IMP_DTYPE_F32;
    int sl = y;
    if (nsq) {
        sl = imp_tfl_temp(r, c->name, "/slice", dt);
        if (sl < 0)
            return imp_tfl_status(c);
    }
    sl = imp_tfl_emit(c, IMP_OP_SLICE, nsq ? "/slice" : NULL, 5, ins, sl, NULL);
    if (nsq && sl >= 0) {
        snprintf(name, sizeof name, "%s/squeeze_axes", c->name);
        int sq_in[2] = {sl, imp_tfl_const_i64(r, name, sq, nsq)};
        imp_tfl_emit(c, IMP_OP_SQUEEZE, NULL, 2, sq_in, y, NULL);
    }
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_slice(struct imp_tfl_op *c)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 3, 3, 1);
    if (st != IMP_OK)
        return st;
    int64_t b[IMP_MAX_RANK], n[IMP_MAX_RANK], e[IMP_MAX_RANK];
    int nb = imp_tfl_const_ints(r, c->in[1], b, IMP_MAX_RANK);
    int nn = nb >= 0 ? imp_tfl_const_ints(r, c->in[2], n, IMP_MAX_RANK) : -1;
    if (nn < 0)
        return imp_tfl_status(c);
    if (nb != nn)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "begin/size lengths %d/%d", nb, nn);
    for (int i = 0; i < nb; i++) {
        if (b[i] < 0 || n[i] < -1 || b[i] > INT32_MAX || n[i] > INT32_MAX)
            return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "begin %lld, size %lld",
                                   (long long)b[i], (long long)n[i]);
        e[i] = n[i] == -1 ? INT64_MAX : b[i] + n[i];
    }
    char name[600];
    snprintf(name, sizeof name, "%s/starts", c->name);
    int ins[3] = {imp_tfl_in(c, 0), imp_tfl_const_i64(r, name, b, nb), -1};
    snprintf(name, sizeof name, "%s/ends", c->name);
    ins[2] = imp_tfl_const_i64(r, name, e, nb);
    imp_tfl_emit(c, IMP_OP_SLICE, NULL, 3, ins, imp_tfl_out(c, 0), NULL);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_gather(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_GATHER);
    if (st != IMP_OK)
        return st;
    if (imp_fb_i32(&c->opts, 1, 0) != 0)
        return imp_tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED,
                               "batch_dims is not supported");
    int ins[2] = {imp_tfl_in(c, 0), imp_tfl_in(c, 1)}, node;
    if (imp_tfl_emit(c, IMP_OP_GATHER, NULL, 2, ins, imp_tfl_out(c, 0), &node) >= 0)
        imp_tfl_set_int(c->r, node, "axis", imp_fb_i32(&c->opts, 0, 0));
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_softmax(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_SOFTMAX);
    if (st != IMP_OK)
        return st;
    float beta = imp_fb_f32(&c->opts, 0, 1.0f);
    int x = imp_tfl_in(c, 0), node;
    if (beta != 1.0f) {
        char name[600];
        snprintf(name, sizeof name, "%s/beta", c->name);
        int ins[2] = {x, imp_tfl_const_f32_scalar(c->r, name, beta)};
        x = imp_tfl_emit(c, IMP_OP_MUL, "/scaled", 2, ins, -1, NULL);
    }
    if (imp_tfl_emit(c, IMP_OP_SOFTMAX, NULL, 1, &x, imp_tfl_out(c, 0), &node) >= 0)
        imp_tfl_set_int(c->r, node, "axis", -1);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_cast(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    int y = imp_tfl_out(c, 0);
    if (y < 0)
        return imp_tfl_status(c);
    /* ONNX TensorProto codes of our dtypes. */
    int to;
    switch (c->r->g->values[y].dtype) {
    case IMP_DTYPE_F32: to = IMP_TFL_ONNX_FLOAT; break;
    case IMP_DTYPE_I32: to = IMP_TFL_ONNX_INT32; break;
    case IMP_DTYPE_I64: to = IMP_TFL_ONNX_INT64; break;
    case IMP_DTYPE_U8: to = 2; break;
    case IMP_DTYPE_I8: to = 3; break;
    case IMP_DTYPE_BOOL: to = 9; break;
    case IMP_DTYPE_F64: to = 11; break;
    default: return imp_tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED, "cast to this type");
    }
    int x = imp_tfl_in(c, 0), node;
    if (imp_tfl_emit(c, IMP_OP_CAST, NULL, 1, &x, y, &node) >= 0)
        imp_tfl_set_int(c->r, node, "to", to);
    return imp_tfl_status(c);
}

/* FULLY_CONNECTED: y = x W^T + b over the last dim of x. */
enum imp_status imp_tfl_fully_connected(struct imp_tfl_op *c)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 2, 3, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_FULLY_CONNECTED);
    int act = imp_fb_i8(&c->opts, 0, 0);
    if (st == IMP_OK)
        st = imp_tfl_check_act(c, act);
    if (st != IMP_OK)
        return st;
    if (imp_fb_i8(&c->opts, 1, 0) != 0)
        return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "shuffled weights format");
    if (imp_fb_bool(&c->opts, 2, false))
        return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "keep_num_dims");
    if (!imp_tfl_is_const(r, c->in[1]))
        return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "weights must be constant");
    int w = imp_tfl_const_value(r, c->in[1]);
    if (w < 0)
        return imp_tfl_status(c);
    const struct imp_value *wv = &r->g->values[w];
    if (wv->shape.rank != 2 || wv->dtype != IMP_DTYPE_F32)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "weights must be 2-D float");
    int64_t units = wv->shape.d[0], depth = wv->shape.d[1];
    int b = imp_tfl_bias(c, 2, units);
    if (r->failed)
        return imp_tfl_status(c);
    char name[600];
    snprintf(name, sizeof name, "%s/flat_shape", c->name);
    int64_t flat[2] = {-1, depth};
    int rs_in[2] = {imp_tfl_in(c, 0), imp_tfl_const_i64(r, name, flat, 2)};
    int x2 = imp_tfl_emit(c, IMP_OP_RESHAPE, "/flat", 2, rs_in, -1, NULL);
    int y = imp_tfl_out(c, 0);
    int ins[3] = {x2, w, b}, node;
    int gemm = imp_tfl_emit(c, IMP_OP_GEMM, act ? "/gemm" : NULL, b >= 0 ? 3 : 2, ins,
                            act ? -1 : y, &node);
    if (gemm >= 0 && imp_tfl_set_int(r, node, "transB", 1) == IMP_OK && act)
        imp_tfl_act(c, gemm, act, y);
    return imp_tfl_status(c);
}
