/*
 * Layout-sensitive TFLite operators: convolutions, pooling, resizing.
 * They run on NCHW between Transposes (NHWC -> NCHW and back), with
 * constant weights re-laid out once at load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "formats/tflite_ops.h"

/* Kernel sizes, strides and dilations beyond this are hostile. */
#define MAX_WINDOW 65536

/* Height and width of input k from the file (-1 where unknown). */
static void spatial(const struct imp_tfl_op *c, int k, int64_t *h, int64_t *w)
{
    const struct imp_tfl_tensor *t = imp_tfl_in_tensor(c, k);
    bool ok = t->shape_known && t->shape.rank == 4;
    *h = ok ? t->shape.d[1] : -1;
    *w = ok ? t->shape.d[2] : -1;
}

static int64_t channels(const struct imp_tfl_op *c, int k)
{
    const struct imp_tfl_tensor *t = imp_tfl_in_tensor(c, k);
    return t->shape_known && t->shape.rank == 4 ? t->shape.d[3] : -1;
}

/* TF SAME padding along one axis; false when it depends on a size the
 * file does not fix (then ONNX's SAME_UPPER computes the same thing). */
static bool same_pads(int64_t in, int64_t k, int64_t s, int64_t d, int64_t *b,
                      int64_t *e)
{
    int64_t eff = (k - 1) * d + 1, total;
    if (s == 1) {
        total = eff - 1;
    } else {
        if (in < 0)
            return false;
        int64_t out = (in + s - 1) / s;
        total = (out - 1) * s + eff - in;
        if (total < 0)
            total = 0;
    }
    *b = total / 2;
    *e = total - *b;
    return true;
}

static enum imp_status check_window(struct imp_tfl_op *c, const char *what, int64_t v)
{
    if (v < 1 || v > MAX_WINDOW)
        return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT, "%s %lld out of range", what,
                               (long long)v);
    return IMP_OK;
}

/* Sets pads (or auto_pad) on a windowed node over input 0. */
static enum imp_status set_padding(struct imp_tfl_op *c, int node, int padding,
                                   const int64_t k[2], const int64_t s[2],
                                   const int64_t d[2])
{
    struct imp_tfl_reader *r = c->r;
    if (padding != IMP_TFL_PAD_SAME && padding != IMP_TFL_PAD_VALID)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "padding type %d", padding);
    int64_t pads[4] = {0, 0, 0, 0};
    if (padding == IMP_TFL_PAD_SAME) {
        int64_t in[2];
        spatial(c, 0, &in[0], &in[1]);
        if (!same_pads(in[0], k[0], s[0], d[0], &pads[0], &pads[2]) ||
            !same_pads(in[1], k[1], s[1], d[1], &pads[1], &pads[3]))
            return imp_tfl_set_string(r, node, "auto_pad", "SAME_UPPER");
    }
    return imp_tfl_set_ints(r, node, "pads", pads, 4);
}

/* ---- weights ------------------------------------------------------------ */

enum { W_OIHW = 1, W_DEPTHWISE = 2, W_IOHW = 3 };

/* Constant 4-D float weights of input k, re-laid out for ONNX:
 *   W_OIHW      [O,kh,kw,I]     -> [O,I,kh,kw]   (Conv)
 *   W_DEPTHWISE [1,kh,kw,C*M]   -> [C*M,1,kh,kw] (Conv, group = C)
 *   W_IOHW      [O,kh,kw,I]     -> [I,O,kh,kw]   (ConvTranspose)
 * `dims` gets the TFLite dims. Cached per tensor. */
static int weights(struct imp_tfl_op *c, int k, int kind, int64_t dims[4])
{
    struct imp_tfl_reader *r = c->r;
    int ti = c->in[k];
    if (!imp_tfl_is_const(r, ti)) {
        imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "weights '%s' must be constant",
                        r->tensors[ti].name);
        return -1;
    }
    int v = imp_tfl_const_value(r, ti);
    if (v < 0)
        return -1;
    const struct imp_value *val = &r->g->values[v];
    if (val->dtype != IMP_DTYPE_F32 || val->shape.rank != 4) {
        imp_tfl_op_fail(r, IMP_ERR_FORMAT, "weights '%s' must be 4-D float",
                        r->tensors[ti].name);
        return -1;
    }
    for (int i = 0; i < 4; i++)
        dims[i] = val->shape.d[i];
    if (kind == W_DEPTHWISE && dims[0] != 1) {
        imp_tfl_op_fail(r, IMP_ERR_FORMAT, "depthwise weights '%s' must be [1,h,w,c]",
                        r->tensors[ti].name);
        return -1;
    }
    struct imp_tfl_tensor *t = &r->tensors[ti];
    if (t->wvalue >= 0 && t->wkind == kind)
        return t->wvalue;
    int64_t O = dims[0], H = dims[1], W = dims[2], I = dims[3];
    int64_t n = O * H * W * I;
    float *dst = malloc((size_t)(n ? n : 1) * sizeof *dst);
    if (!dst) {
        imp_tfl_op_fail(r, IMP_ERR_NOMEM, "out of memory");
        return -1;
    }
    const float *src = val->data;
    struct imp_shape s;
    s.rank = 4;
    for (int64_t o = 0; o < O; o++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t w = 0; w < W; w++)
                for (int64_t i = 0; i < I; i++) {
                    float x = src[((o * H + h) * W + w) * I + i];
                    if (kind == W_OIHW)
                        dst[((o * I + i) * H + h) * W + w] = x;
                    else if (kind == W_DEPTHWISE)
                        dst[(i * H + h) * W + w] = x; /* O == 1 */
                    else
                        dst[((i * O + o) * H + h) * W + w] = x;
                }
    int64_t ld[3][4] = {{O, I, H, W}, {I, 1, H, W}, {I, O, H, W}};
    for (int i = 0; i < 4; i++)
        s.d[i] = ld[kind - 1][i];
    char name[600];
    snprintf(name, sizeof name, "%s/%s", t->name,
             kind == W_OIHW        ? "oihw"
             : kind == W_DEPTHWISE ? "dw"
                                   : "iohw");
    int wv = imp_tfl_const(r, name, IMP_DTYPE_F32, &s, dst);
    free(dst);
    t->wvalue = wv;
    t->wkind = kind;
    return wv;
}

/* ---- convolution and pooling -------------------------------------------- */

enum imp_status imp_tfl_conv2d(struct imp_tfl_op *c, bool depthwise)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 2, 3, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, depthwise ? IMP_TFL_OPT_DEPTHWISE
                                               : IMP_TFL_OPT_CONV2D);
    if (st != IMP_OK)
        return st;
    const struct imp_fb_table *o = &c->opts;
    int padding = imp_fb_i8(o, 0, 0);
    int64_t s[2] = {imp_fb_i32(o, 2, 0), imp_fb_i32(o, 1, 0)};
    int act = imp_fb_i8(o, depthwise ? 4 : 3, 0);
    int64_t d[2] = {imp_fb_i32(o, depthwise ? 6 : 5, 1),
                    imp_fb_i32(o, depthwise ? 5 : 4, 1)};
    int64_t mult = depthwise ? imp_fb_i32(o, 3, 0) : 0;
    for (int i = 0; i < 2 && st == IMP_OK; i++) {
        st = check_window(c, "stride", s[i]);
        if (st == IMP_OK)
            st = check_window(c, "dilation", d[i]);
    }
    if (st == IMP_OK)
        st = imp_tfl_check_act(c, act);
    if (st != IMP_OK)
        return st;

    int64_t wd[4];
    int w = weights(c, 1, depthwise ? W_DEPTHWISE : W_OIHW, wd);
    if (w < 0)
        return imp_tfl_status(c);
    int64_t cin = channels(c, 0), cout = wd[depthwise ? 3 : 0], group = 1;
    if (depthwise) {
        if (cin > 0 && cout % cin == 0)
            group = cin;
        else if (cin < 0 && mult > 0 && cout % mult == 0)
            group = cout / mult;
        else
            return imp_tfl_op_fail(r, IMP_ERR_SHAPE,
                                   "%lld output channels do not fit %lld input "
                                   "channels",
                                   (long long)cout, (long long)cin);
    } else if (cin > 0 && cin != wd[3]) {
        if (cin % wd[3] != 0)
            return imp_tfl_op_fail(r, IMP_ERR_SHAPE,
                                   "weights take %lld channels, input has %lld",
                                   (long long)wd[3], (long long)cin);
        group = cin / wd[3];
    }
    int64_t k[2] = {wd[1], wd[2]};
    for (int i = 0; i < 2 && st == IMP_OK; i++)
        st = check_window(c, "kernel size", k[i]);
    if (st != IMP_OK)
        return st;

    int b = imp_tfl_bias(c, 2, cout);
    int xt = imp_tfl_nchw_in(c, 0);
    int ins[3] = {xt, w, b};
    int node;
    int conv = imp_tfl_emit(c, IMP_OP_CONV, "/conv", b >= 0 ? 3 : 2, ins, -1, &node);
    if (conv < 0)
        return imp_tfl_status(c);
    if (imp_tfl_set_ints(r, node, "kernel_shape", k, 2) != IMP_OK ||
        imp_tfl_set_ints(r, node, "strides", s, 2) != IMP_OK ||
        imp_tfl_set_ints(r, node, "dilations", d, 2) != IMP_OK ||
        imp_tfl_set_int(r, node, "group", group) != IMP_OK ||
        set_padding(c, node, padding, k, s, d) != IMP_OK)
        return imp_tfl_status(c);
    int post = imp_tfl_act(c, conv, act, -1);
    imp_tfl_nhwc_out(c, post);
    return imp_tfl_status(c);
}

enum imp_status imp_tfl_pool2d(struct imp_tfl_op *c, bool average)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_POOL2D);
    if (st != IMP_OK)
        return st;
    const struct imp_fb_table *o = &c->opts;
    int padding = imp_fb_i8(o, 0, 0);
    int64_t s[2] = {imp_fb_i32(o, 2, 0), imp_fb_i32(o, 1, 0)};
    int64_t k[2] = {imp_fb_i32(o, 4, 0), imp_fb_i32(o, 3, 0)};
    int64_t d[2] = {1, 1};
    int act = imp_fb_i8(o, 5, 0);
    for (int i = 0; i < 2 && st == IMP_OK; i++) {
        st = check_window(c, "stride", s[i]);
        if (st == IMP_OK)
            st = check_window(c, "filter size", k[i]);
    }
    if (st == IMP_OK)
        st = imp_tfl_check_act(c, act);
    if (st != IMP_OK)
        return st;
    int xt = imp_tfl_nchw_in(c, 0);
    int node;
    int p = imp_tfl_emit(c, average ? IMP_OP_AVERAGE_POOL : IMP_OP_MAX_POOL,
                         average ? "/avgpool" : "/maxpool", 1, &xt, -1, &node);
    if (p < 0)
        return imp_tfl_status(c);
    if (imp_tfl_set_ints(r, node, "kernel_shape", k, 2) != IMP_OK ||
        imp_tfl_set_ints(r, node, "strides", s, 2) != IMP_OK ||
        set_padding(c, node, padding, k, s, d) != IMP_OK)
        return imp_tfl_status(c);
    /* TFLite averages over the valid part of the window only. */
    if (average && imp_tfl_set_int(r, node, "count_include_pad", 0) != IMP_OK)
        return imp_tfl_status(c);
    int post = imp_tfl_act(c, p, act, -1);
    imp_tfl_nhwc_out(c, post);
    return imp_tfl_status(c);
}

/* ConvTranspose from x (input xk) with OHWI weights (input wk), bias
 * (input bk or -1), and explicit begin/end pads (end may be negative:
 * it then becomes output_padding). */
static enum imp_status conv_transpose(struct imp_tfl_op *c, int xk, int wk, int bk,
                                      const int64_t s[2], const int64_t pb[2],
                                      const int64_t pe[2], int act)
{
    struct imp_tfl_reader *r = c->r;
    int64_t wd[4];
    int w = weights(c, wk, W_IOHW, wd);
    if (w < 0)
        return imp_tfl_status(c);
    int64_t k[2] = {wd[1], wd[2]};
    int b = bk >= 0 ? imp_tfl_bias(c, bk, wd[0]) : -1;
    if (r->failed)
        return imp_tfl_status(c);
    int64_t pads[4] = {pb[0], pb[1], pe[0] > 0 ? pe[0] : 0, pe[1] > 0 ? pe[1] : 0};
    int64_t out_pad[2] = {pe[0] < 0 ? -pe[0] : 0, pe[1] < 0 ? -pe[1] : 0};
    int xt = imp_tfl_nchw_in(c, xk);
    int ins[3] = {xt, w, b};
    int node;
    int ct = imp_tfl_emit(c, IMP_OP_CONV_TRANSPOSE, "/convtranspose", b >= 0 ? 3 : 2,
                          ins, -1, &node);
    if (ct < 0)
        return imp_tfl_status(c);
    if (imp_tfl_set_ints(r, node, "kernel_shape", k, 2) != IMP_OK ||
        imp_tfl_set_ints(r, node, "strides", s, 2) != IMP_OK ||
        imp_tfl_set_ints(r, node, "pads", pads, 4) != IMP_OK ||
        ((out_pad[0] || out_pad[1]) &&
         imp_tfl_set_ints(r, node, "output_padding", out_pad, 2) != IMP_OK))
        return imp_tfl_status(c);
    int post = imp_tfl_act(c, ct, act, -1);
    imp_tfl_nhwc_out(c, post);
    return imp_tfl_status(c);
}

/* Builtin TRANSPOSE_CONV: (output_shape, weights, input[, bias]). */
enum imp_status imp_tfl_transpose_conv(struct imp_tfl_op *c)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 3, 4, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_TRANSPOSE_CONV);
    if (st != IMP_OK)
        return st;
    const struct imp_fb_table *o = &c->opts;
    int padding = imp_fb_i8(o, 0, 0);
    int64_t s[2] = {imp_fb_i32(o, 2, 0), imp_fb_i32(o, 1, 0)};
    int act = imp_fb_i8(o, 3, 0);
    for (int i = 0; i < 2 && st == IMP_OK; i++)
        st = check_window(c, "stride", s[i]);
    if (st == IMP_OK)
        st = imp_tfl_check_act(c, act);
    if (st != IMP_OK)
        return st;
    if (padding != IMP_TFL_PAD_SAME && padding != IMP_TFL_PAD_VALID)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "padding type %d", padding);
    int64_t oshape[4];
    if (imp_tfl_const_ints(r, c->in[0], oshape, 4) != 4)
        return r->failed ? imp_tfl_status(c)
                         : imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                                           "output_shape must have 4 values");
    const struct imp_tfl_tensor *wt = &r->tensors[c->in[1]];
    if (wt->dflt.rank != 4)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "weights must be 4-D");
    int64_t in[2];
    {
        const struct imp_tfl_tensor *x = imp_tfl_in_tensor(c, 2);
        bool ok = x->shape_known && x->shape.rank == 4;
        in[0] = ok ? x->shape.d[1] : -1;
        in[1] = ok ? x->shape.d[2] : -1;
    }
    int64_t pb[2], pe[2];
    for (int i = 0; i < 2; i++) {
        int64_t k = wt->dflt.d[1 + i], out = oshape[1 + i];
        if ((st = check_window(c, "kernel size", k)) != IMP_OK)
            return st;
        if (in[i] < 1 || out < 1 || out > (int64_t)1 << 31)
            return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                                   "needs static input and output sizes");
        /* The pads a forward SAME conv from the output size would use. */
        int64_t total = 0;
        if (padding == IMP_TFL_PAD_SAME) {
            int64_t fwd = (out + s[i] - 1) / s[i];
            total = (fwd - 1) * s[i] + k - out;
            if (total < 0)
                total = 0;
        }
        pb[i] = total / 2;
        pe[i] = (in[i] - 1) * s[i] + k - pb[i] - out;
    }
    return conv_transpose(c, 2, 1, c->n_in > 3 ? 3 : -1, s, pb, pe, act);
}

/* MediaPipe's CUSTOM Convolution2DTransposeBias: (input, weights OHWI,
 * bias), options = three little-endian int32 {padding, stride_w,
 * stride_h} with padding 1 = SAME, 2 = VALID (TfLitePadding). */
enum imp_status imp_tfl_conv2d_transpose_bias(struct imp_tfl_op *c,
                                              const struct imp_fb_vec *copts)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 3, 3, 1);
    if (st != IMP_OK)
        return st;
    if (copts->n < 12)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                               "custom options hold %u bytes, "
                               "12 expected",
                               copts->n);
    const uint8_t *p = imp_fb_vec_data(copts);
    int32_t v[3];
    for (int i = 0; i < 3; i++)
        v[i] =
            (int32_t)((uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) |
                      ((uint32_t)p[4 * i + 2] << 16) | ((uint32_t)p[4 * i + 3] << 24));
    if (v[0] != 1 && v[0] != 2)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "padding type %d", v[0]);
    int64_t s[2] = {v[2], v[1]};
    for (int i = 0; i < 2 && st == IMP_OK; i++)
        st = check_window(c, "stride", s[i]);
    if (st != IMP_OK)
        return st;
    const struct imp_tfl_tensor *wt = &r->tensors[c->in[1]];
    if (wt->dflt.rank != 4)
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "weights must be 4-D");
    int64_t in[2];
    spatial(c, 0, &in[0], &in[1]);
    int64_t pb[2], pe[2];
    for (int i = 0; i < 2; i++) {
        int64_t k = wt->dflt.d[1 + i];
        if ((st = check_window(c, "kernel size", k)) != IMP_OK)
            return st;
        int64_t total = 0;
        if (v[0] == 1) {
            if (in[i] < 1)
                return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                                       "SAME padding needs a static input size");
            total = k - (in[i] - 1) % s[i] - 1;
            if (total < 0)
                total = 0;
        }
        pb[i] = total / 2;
        pe[i] = total - pb[i];
    }
    return conv_transpose(c, 0, 1, 2, s, pb, pe, IMP_TFL_ACT_NONE);
}

/* ---- resizing ----------------------------------------------------------- */

/* ONNX `sizes` [N, C, H, W] for the NCHW view `xt` of input 0, from the
 * TFLite size tensor (input 1, [H, W]). Constant when the file fixes all
 * of it, else computed from Shape(xt) at plan time. */
static int resize_sizes(struct imp_tfl_op *c, int xt)
{
    struct imp_tfl_reader *r = c->r;
    const struct imp_tfl_tensor *x = imp_tfl_in_tensor(c, 0);
    int64_t hw[2];
    bool nc_known = x->shape_known && x->shape.rank == 4 && x->shape.d[0] >= 0 &&
                    x->shape.d[3] >= 0;
    char name[600];
    snprintf(name, sizeof name, "%s/sizes", c->name);
    if (imp_tfl_is_const(r, c->in[1])) {
        int n = imp_tfl_const_ints(r, c->in[1], hw, 2);
        if (n < 0)
            return -1;
        if (n != 2 || hw[0] < 1 || hw[1] < 1 || hw[0] > 1 << 24 || hw[1] > 1 << 24) {
            imp_tfl_op_fail(r, IMP_ERR_FORMAT, "size must be two positive values");
            return -1;
        }
        if (nc_known) {
            int64_t sizes[4] = {x->shape.d[0], x->shape.d[3], hw[0], hw[1]};
            return imp_tfl_const_i64(r, name, sizes, 4);
        }
    }
    int shape = imp_tfl_emit_i64(c, IMP_OP_SHAPE, "/shape", 1, &xt, NULL);
    int64_t zero = 0, two = 2;
    snprintf(name, sizeof name, "%s/nc_start", c->name);
    int st0 = imp_tfl_const_i64(r, name, &zero, 1);
    snprintf(name, sizeof name, "%s/nc_end", c->name);
    int en0 = imp_tfl_const_i64(r, name, &two, 1);
    int sl_in[3] = {shape, st0, en0};
    int nc = imp_tfl_emit_i64(c, IMP_OP_SLICE, "/nc", 3, sl_in, NULL);
    int size = imp_tfl_in(c, 1), node;
    int hw64 = imp_tfl_emit_i64(c, IMP_OP_CAST, "/hw", 1, &size, &node);
    if (hw64 < 0 || imp_tfl_set_int(r, node, "to", IMP_TFL_ONNX_INT64) != IMP_OK)
        return -1;
    int cat_in[2] = {nc, hw64};
    int sizes = imp_tfl_emit_i64(c, IMP_OP_CONCAT, "/sizes", 2, cat_in, &node);
    if (sizes < 0 || imp_tfl_set_int(r, node, "axis", 0) != IMP_OK)
        return -1;
    return sizes;
}

/* ONNX `scales` [1, 1, kh, kw] when the TFLite size tensor is a constant
 * whole multiple of input 0's static size (x2 upsampling written as
 * "384x384" in a network converted at 384x384): at that size the same
 * resize, and at any other the same x2, so the network stays fully
 * convolutional when its input is resized. *same_size: both factors are
 * 1 (the Magenta network resizes 384x384 to 384x384), so the op is a
 * copy. -1 (no error) otherwise. */
static int resize_scales(struct imp_tfl_op *c, bool *same_size)
{
    *same_size = false;
    struct imp_tfl_reader *r = c->r;
    const struct imp_tfl_tensor *x = imp_tfl_in_tensor(c, 0);
    int64_t hw[2];
    if (!x->shape_known || x->shape.rank != 4 || !imp_tfl_is_const(r, c->in[1]) ||
        imp_tfl_const_ints(r, c->in[1], hw, 2) != 2)
        return -1;
    float k[4] = {1.0f, 1.0f, 0, 0};
    for (int i = 0; i < 2; i++) {
        int64_t in = x->shape.d[1 + i];
        if (in < 1 || hw[i] < in || hw[i] % in != 0 || hw[i] / in > 64)
            return -1;
        k[2 + i] = (float)(hw[i] / in);
    }
    *same_size = k[2] == 1.0f && k[3] == 1.0f;
    char name[600];
    snprintf(name, sizeof name, "%s/scales", c->name);
    struct imp_shape s = {.rank = 1, .d = {4}};
    return imp_tfl_const(r, name, IMP_DTYPE_F32, &s, k);
}

enum imp_status imp_tfl_resize(struct imp_tfl_op *c, bool bilinear)
{
    struct imp_tfl_reader *r = c->r;
    enum imp_status st = imp_tfl_need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, bilinear ? IMP_TFL_OPT_RESIZE_BILINEAR
                                              : IMP_TFL_OPT_RESIZE_NEAREST);
    if (st != IMP_OK)
        return st;
    bool align = imp_fb_bool(&c->opts, bilinear ? 2 : 0, false);
    bool half = imp_fb_bool(&c->opts, bilinear ? 3 : 1, false);
    if (align && half)
        return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                               "align_corners with half_pixel_centers");
    /* TF's coordinate maps, in ONNX's words:
     *   half_pixel_centers: src = (dst + 0.5) / scale - 0.5, clamped
     *     (bilinear) = ONNX "half_pixel" (which, unlike
     *     "pytorch_half_pixel", keeps that formula for size-1 outputs,
     *     as TF does); nearest floors (dst + 0.5) / scale, which is
     *     "tf_half_pixel_for_nn" with floor.
     *   align_corners: src = dst * (in - 1) / (out - 1) = "align_corners";
     *     nearest rounds half away from zero (non-negative: prefer ceil).
     *   neither: src = dst / scale = "asymmetric"; nearest floors. */
    const char *ctm = align  ? "align_corners"
                      : half ? (bilinear ? "half_pixel" : "tf_half_pixel_for_nn")
                             : "asymmetric";
    int xt = imp_tfl_nchw_in(c, 0);
    bool same_size;
    int scales = xt >= 0 ? resize_scales(c, &same_size) : -1;
    int sizes = xt >= 0 && scales < 0 ? resize_sizes(c, xt) : -1;
    int ins[4] = {xt, -1, scales, sizes};
    int node;
    if (scales >= 0 && same_size) { /* every mode maps a pixel to itself */
        int y = imp_tfl_emit(c, IMP_OP_IDENTITY, "/same_size", 1, &xt, -1, &node);
        if (y >= 0)
            imp_tfl_nhwc_out(c, y);
        return imp_tfl_status(c);
    }
    int rs = sizes >= 0 || scales >= 0
                 ? imp_tfl_emit(c, IMP_OP_RESIZE, "/resize", scales >= 0 ? 3 : 4, ins, -1, &node)
                 : -1;
    if (rs < 0)
        return imp_tfl_status(c);
    const char *mode = bilinear ? "linear" : "nearest";
    if (imp_tfl_set_string(r, node, "mode", mode) != IMP_OK ||
        imp_tfl_set_string(r, node, "coordinate_transformation_mode", ctm) != IMP_OK ||
        (!bilinear &&
         imp_tfl_set_string(r, node, "nearest_mode",
                            align ? "round_prefer_ceil" : "floor") != IMP_OK))
        return imp_tfl_status(c);
    imp_tfl_nhwc_out(c, rs);
    return imp_tfl_status(c);
}

/* TF's DEPTH_TO_SPACE on NHWC takes output (h*b + i, w*b + j, c) from
 * input channel (i*b + j)*C' + c: ONNX's DCR order on the NCHW view. */
enum imp_status imp_tfl_depth_to_space(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_DEPTH_TO_SPACE);
    if (st != IMP_OK)
        return st;
    int32_t b = imp_fb_i32(&c->opts, 0, 0);
    if (b < 1)
        return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT, "block_size %d must be positive",
                               (int)b);
    int xt = imp_tfl_nchw_in(c, 0);
    int node;
    int y = xt >= 0 ? imp_tfl_emit(c, IMP_OP_DEPTH_TO_SPACE, "/d2s", 1, &xt, -1, &node)
                    : -1;
    if (y < 0)
        return imp_tfl_status(c);
    if (imp_tfl_set_int(c->r, node, "blocksize", b) != IMP_OK ||
        imp_tfl_set_string(c->r, node, "mode", "DCR") != IMP_OK)
        return imp_tfl_status(c);
    imp_tfl_nhwc_out(c, y);
    return imp_tfl_status(c);
}
