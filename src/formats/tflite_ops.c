/*
 * TFLite operators -> ONNX-semantics graph nodes.
 *
 * Values keep TFLite's layout (NHWC); convolution, pooling and resizing
 * (tflite_conv.c) run on NCHW between a pair of Transposes, with their
 * constant weights re-laid out once. Fused activations become separate
 * nodes. SAME padding becomes explicit pads where the sizes it depends on
 * are known from the file, and ONNX's equivalent auto_pad="SAME_UPPER"
 * otherwise. This file holds the per-operator context, the element-wise
 * operators and the dispatch by operator code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "formats/tflite_ops.h"

/* Builtin operator codes (BuiltinOperator in schema.fbs). */
enum {
    B_ADD = 0, B_AVERAGE_POOL_2D = 1, B_CONCATENATION = 2, B_CONV_2D = 3,
    B_DEPTHWISE_CONV_2D = 4, B_DEPTH_TO_SPACE = 5, B_DEQUANTIZE = 6, B_FULLY_CONNECTED = 9,
    B_LOGISTIC = 14, B_MAX_POOL_2D = 17, B_MUL = 18, B_RELU = 19,
    B_RELU_N1_TO_1 = 20, B_RELU6 = 21, B_RESHAPE = 22, B_RESIZE_BILINEAR = 23,
    B_SOFTMAX = 25, B_TANH = 28, B_CUSTOM = 32, B_PAD = 34, B_GATHER = 36,
    B_TRANSPOSE = 39, B_MEAN = 40, B_SUB = 41, B_DIV = 42, B_SQUEEZE = 43,
    B_STRIDED_SLICE = 45, B_CAST = 53, B_PRELU = 54, B_PADV2 = 60,
    B_SLICE = 65, B_TRANSPOSE_CONV = 67, B_EXPAND_DIMS = 70, B_SQRT = 75,
    B_RSQRT = 76, B_SHAPE = 77, B_POW = 78, B_PACK = 83,
    B_RESIZE_NEAREST_NEIGHBOR = 97, B_LEAKY_RELU = 98,
    B_SQUARED_DIFFERENCE = 99, B_MIRROR_PAD = 100, B_QUANTIZE = 114,
    B_HARD_SWISH = 117,
};

/* Operator table fields. */
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3,
       OP_CUSTOM_OPTIONS = 5, OP_CUSTOM_FORMAT = 6 };

const char *imp_tfl_op_name(int32_t code)
{
    static const char *const names[] = {
        [0] = "ADD", [1] = "AVERAGE_POOL_2D", [2] = "CONCATENATION",
        [3] = "CONV_2D", [4] = "DEPTHWISE_CONV_2D", [5] = "DEPTH_TO_SPACE",
        [6] = "DEQUANTIZE", [7] = "EMBEDDING_LOOKUP", [8] = "FLOOR",
        [9] = "FULLY_CONNECTED", [10] = "HASHTABLE_LOOKUP",
        [11] = "L2_NORMALIZATION", [12] = "L2_POOL_2D",
        [13] = "LOCAL_RESPONSE_NORMALIZATION", [14] = "LOGISTIC",
        [15] = "LSH_PROJECTION", [16] = "LSTM", [17] = "MAX_POOL_2D",
        [18] = "MUL", [19] = "RELU", [20] = "RELU_N1_TO_1", [21] = "RELU6",
        [22] = "RESHAPE", [23] = "RESIZE_BILINEAR", [24] = "RNN",
        [25] = "SOFTMAX", [26] = "SPACE_TO_DEPTH", [27] = "SVDF", [28] = "TANH",
        [29] = "CONCAT_EMBEDDINGS", [30] = "SKIP_GRAM", [31] = "CALL",
        [32] = "CUSTOM", [33] = "EMBEDDING_LOOKUP_SPARSE", [34] = "PAD",
        [35] = "UNIDIRECTIONAL_SEQUENCE_RNN", [36] = "GATHER",
        [37] = "BATCH_TO_SPACE_ND", [38] = "SPACE_TO_BATCH_ND",
        [39] = "TRANSPOSE", [40] = "MEAN", [41] = "SUB", [42] = "DIV",
        [43] = "SQUEEZE", [44] = "UNIDIRECTIONAL_SEQUENCE_LSTM",
        [45] = "STRIDED_SLICE", [46] = "BIDIRECTIONAL_SEQUENCE_RNN",
        [47] = "EXP", [48] = "TOPK_V2", [49] = "SPLIT", [50] = "LOG_SOFTMAX",
        [51] = "DELEGATE", [52] = "BIDIRECTIONAL_SEQUENCE_LSTM", [53] = "CAST",
        [54] = "PRELU", [55] = "MAXIMUM", [56] = "ARG_MAX", [57] = "MINIMUM",
        [58] = "LESS", [59] = "NEG", [60] = "PADV2", [61] = "GREATER",
        [62] = "GREATER_EQUAL", [63] = "LESS_EQUAL", [64] = "SELECT",
        [65] = "SLICE", [66] = "SIN", [67] = "TRANSPOSE_CONV",
        [68] = "SPARSE_TO_DENSE", [69] = "TILE", [70] = "EXPAND_DIMS",
        [71] = "EQUAL", [72] = "NOT_EQUAL", [73] = "LOG", [74] = "SUM",
        [75] = "SQRT", [76] = "RSQRT", [77] = "SHAPE", [78] = "POW",
        [79] = "ARG_MIN", [80] = "FAKE_QUANT", [81] = "REDUCE_PROD",
        [82] = "REDUCE_MAX", [83] = "PACK", [84] = "LOGICAL_OR",
        [85] = "ONE_HOT", [86] = "LOGICAL_AND", [87] = "LOGICAL_NOT",
        [88] = "UNPACK", [89] = "REDUCE_MIN", [90] = "FLOOR_DIV",
        [91] = "REDUCE_ANY", [92] = "SQUARE", [93] = "ZEROS_LIKE", [94] = "FILL",
        [95] = "FLOOR_MOD", [96] = "RANGE", [97] = "RESIZE_NEAREST_NEIGHBOR",
        [98] = "LEAKY_RELU", [99] = "SQUARED_DIFFERENCE", [100] = "MIRROR_PAD",
        [101] = "ABS", [102] = "SPLIT_V", [103] = "UNIQUE", [104] = "CEIL",
        [105] = "REVERSE_V2", [106] = "ADD_N", [107] = "GATHER_ND",
        [108] = "COS", [109] = "WHERE", [110] = "RANK", [111] = "ELU",
        [112] = "REVERSE_SEQUENCE", [113] = "MATRIX_DIAG", [114] = "QUANTIZE",
        [115] = "MATRIX_SET_DIAG", [116] = "ROUND", [117] = "HARD_SWISH",
        [118] = "IF", [119] = "WHILE", [120] = "NON_MAX_SUPPRESSION_V4",
        [121] = "NON_MAX_SUPPRESSION_V5", [122] = "SCATTER_ND",
        [123] = "SELECT_V2", [124] = "DENSIFY", [125] = "SEGMENT_SUM",
        [126] = "BATCH_MATMUL",
    };
    if (code < 0 || code >= (int32_t)(sizeof names / sizeof *names))
        return NULL;
    return names[code];
}

const struct imp_tfl_tensor *imp_tfl_in_tensor(const struct imp_tfl_op *c, int k)
{
    return &c->r->tensors[c->in[k]];
}

enum imp_status imp_tfl_need_io(struct imp_tfl_op *c, int min_in, int max_in, int n_out)
{
    if (c->n_in < min_in || c->n_in > max_in)
        return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT, "has %d inputs, expected %d..%d",
                               c->n_in, min_in, max_in);
    if (c->n_out != n_out)
        return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT, "has %d outputs, expected %d",
                               c->n_out, n_out);
    for (int k = 0; k < min_in; k++)
        if (c->in[k] < 0)
            return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT, "input %d is missing", k);
    return IMP_OK;
}

/* The options table must be of the expected union member (or absent). */
enum imp_status imp_tfl_need_options(struct imp_tfl_op *c, uint8_t type)
{
    if (c->opts_type != 0 && c->opts_type != type)
        return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT,
                               "builtin options of type %u, expected %u", c->opts_type,
                               type);
    return IMP_OK;
}

int imp_tfl_in(struct imp_tfl_op *c, int k)
{
    return c->in[k] < 0 ? -1 : imp_tfl_value(c->r, c->in[k]);
}

int imp_tfl_out(struct imp_tfl_op *c, int k)
{
    return imp_tfl_value(c->r, c->out[k]);
}

/* A node with one output; dst < 0 makes a float temp named name+suffix.
 * Returns the output value (or -1); *node gets the node index. */
int imp_tfl_emit(struct imp_tfl_op *c, enum imp_op op, const char *suffix, int n_in,
                 const int *in, int dst, int *node)
{
    struct imp_tfl_reader *r = c->r;
    if (dst < 0)
        dst = imp_tfl_temp(r, c->name, suffix, IMP_DTYPE_F32);
    char node_name[600];
    snprintf(node_name, sizeof node_name, "%s%s", c->name, suffix ? suffix : "");
    int n = dst >= 0 ? imp_tfl_node(r, op, node_name, n_in, in, 1, &dst) : -1;
    if (node)
        *node = n;
    return n >= 0 ? dst : -1;
}

int imp_tfl_emit_i64(struct imp_tfl_op *c, enum imp_op op, const char *suffix, int n_in,
                     const int *in, int *node)
{
    int dst = imp_tfl_temp(c->r, c->name, suffix, IMP_DTYPE_I64);
    return dst < 0 ? -1 : imp_tfl_emit(c, op, suffix, n_in, in, dst, node);
}

enum imp_status imp_tfl_status(struct imp_tfl_op *c)
{
    if (!c->r->failed)
        return IMP_OK;
    return c->r->err && c->r->err->status != IMP_OK ? c->r->err->status
                                                    : IMP_ERR_FORMAT;
}

/* ---- activations and layout --------------------------------------------- */

enum imp_status imp_tfl_check_act(struct imp_tfl_op *c, int act)
{
    if (act < IMP_TFL_ACT_NONE || act > IMP_TFL_ACT_TANH)
        return imp_tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED,
                               "fused activation %d is not supported", act);
    return IMP_OK;
}

/* act(src) into dst (a temp when dst < 0); with no activation, src is
 * returned as it is (dst must then be < 0). */
int imp_tfl_act(struct imp_tfl_op *c, int src, int act, int dst)
{
    struct imp_tfl_reader *r = c->r;
    if (act == IMP_TFL_ACT_NONE)
        return src;
    if (act == IMP_TFL_ACT_RELU)
        return imp_tfl_emit(c, IMP_OP_RELU, "/relu", 1, &src, dst, NULL);
    if (act == IMP_TFL_ACT_TANH)
        return imp_tfl_emit(c, IMP_OP_TANH, "/tanh", 1, &src, dst, NULL);
    float lo = act == IMP_TFL_ACT_RELU6 ? 0.0f : -1.0f;
    float hi = act == IMP_TFL_ACT_RELU6 ? 6.0f : 1.0f;
    char base[600];
    snprintf(base, sizeof base, "%s/clip_min", c->name);
    int in[3] = {src, imp_tfl_const_f32_scalar(r, base, lo), -1};
    snprintf(base, sizeof base, "%s/clip_max", c->name);
    in[2] = imp_tfl_const_f32_scalar(r, base, hi);
    const char *sfx = act == IMP_TFL_ACT_RELU6 ? "/relu6" : "/relu1";
    return imp_tfl_emit(c, IMP_OP_CLIP, sfx, 3, in, dst, NULL);
}

/* ---- layout ------------------------------------------------------------- */

static const int64_t TO_NCHW[4] = {0, 3, 1, 2};
static const int64_t TO_NHWC[4] = {0, 2, 3, 1};

/* The NCHW view of input k. Chains of layout-sensitive operators thus
 * pass NCHW values directly, and several consumers of one NHWC tensor
 * share one Transpose. */
int imp_tfl_nchw_in(struct imp_tfl_op *c, int k)
{
    struct imp_tfl_reader *r = c->r;
    struct imp_tfl_tensor *t = &r->tensors[c->in[k]];
    if (t->nchw >= 0)
        return t->nchw;
    int x = imp_tfl_in(c, k);
    int v = x >= 0 ? imp_tfl_temp(r, t->name, "/nchw", IMP_DTYPE_F32) : -1;
    if (v < 0)
        return -1;
    char name[600];
    snprintf(name, sizeof name, "%s/nchw", t->name);
    int node = imp_tfl_node(r, IMP_OP_TRANSPOSE, name, 1, &x, 1, &v);
    if (node < 0 || imp_tfl_set_ints(r, node, "perm", TO_NCHW, 4) != IMP_OK)
        return -1;
    t->nchw = v;
    return v;
}

/* Output 0 from its NCHW form `src`: a Transpose writes the NHWC tensor
 * (dead, and dropped, when only layout-sensitive operators read it). */
void imp_tfl_nhwc_out(struct imp_tfl_op *c, int src)
{
    int y = imp_tfl_out(c, 0), node;
    if (src < 0 || y < 0)
        return;
    if (imp_tfl_emit(c, IMP_OP_TRANSPOSE, "/nhwc", 1, &src, y, &node) < 0 ||
        imp_tfl_set_ints(c->r, node, "perm", TO_NHWC, 4) != IMP_OK)
        return;
    c->r->tensors[c->out[0]].nchw = src;
}

/* Optional constant bias of `count` elements at input k (-1: none). */
int imp_tfl_bias(struct imp_tfl_op *c, int k, int64_t count)
{
    struct imp_tfl_reader *r = c->r;
    if (k >= c->n_in || c->in[k] < 0)
        return -1;
    int v = imp_tfl_const_value(r, c->in[k]);
    if (v < 0)
        return -1;
    const struct imp_value *val = &r->g->values[v];
    if (val->dtype != IMP_DTYPE_F32 || imp_shape_count(&val->shape) != count) {
        imp_tfl_op_fail(r, IMP_ERR_FORMAT, "bias '%s' must hold %lld floats",
                        r->tensors[c->in[k]].name, (long long)count);
        return -1;
    }
    return v;
}

/* ---- element-wise ------------------------------------------------------- */

/* Element-wise operators run in the layout their inputs already have:
 * when every input that is not a scalar constant exists as NCHW (a
 * convolution's result, say), the operator computes on those, its result
 * becomes the output's NCHW view, and the NHWC output comes from one
 * Transpose that is dropped when nothing reads it. Conv -> activation ->
 * conv chains then need no Transposes. Fills ins[] with the inputs to
 * use, NCHW or as they are; returns whether they are NCHW. */
static bool layout_inputs(struct imp_tfl_op *c, int n, int *ins)
{
    struct imp_tfl_reader *r = c->r;
    bool nchw = true, any = false;
    for (int k = 0; k < n && nchw; k++) {
        const struct imp_tfl_tensor *t = &r->tensors[c->in[k]];
        if (t->nchw >= 0) {
            any = true;
            continue;
        }
        int v = imp_tfl_in(c, k);
        nchw = v >= 0 && r->g->values[v].kind == IMP_VALUE_CONST &&
               imp_shape_count(&r->g->values[v].shape) == 1;
    }
    nchw = nchw && any;
    for (int k = 0; k < n; k++) {
        const struct imp_tfl_tensor *t = &r->tensors[c->in[k]];
        ins[k] = nchw && t->nchw >= 0 ? t->nchw : imp_tfl_in(c, k);
    }
    return nchw;
}

/* Where an element-wise result goes: the output itself, or a temp whose
 * NCHW value finish() then turns into the output. */
static int result_dst(struct imp_tfl_op *c, bool nchw)
{
    return nchw ? -1 : imp_tfl_out(c, 0);
}

static enum imp_status finish(struct imp_tfl_op *c, bool nchw, int result)
{
    if (nchw)
        imp_tfl_nhwc_out(c, result);
    return imp_tfl_status(c);
}

static enum imp_status binary(struct imp_tfl_op *c, enum imp_op op, uint8_t opts,
                              int act_field)
{
    enum imp_status st = imp_tfl_need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, opts);
    int act = act_field >= 0 ? imp_fb_i8(&c->opts, act_field, 0) : 0;
    if (st == IMP_OK)
        st = imp_tfl_check_act(c, act);
    if (st != IMP_OK)
        return st;
    int ins[2];
    bool nchw = layout_inputs(c, 2, ins);
    int dst = result_dst(c, nchw), y;
    if (act == IMP_TFL_ACT_NONE) {
        y = imp_tfl_emit(c, op, NULL, 2, ins, dst, NULL);
    } else {
        int pre = imp_tfl_emit(c, op, "/pre_act", 2, ins, -1, NULL);
        y = pre >= 0 ? imp_tfl_act(c, pre, act, dst) : -1;
    }
    return finish(c, nchw, y);
}

static enum imp_status unary(struct imp_tfl_op *c, enum imp_op op)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    int x;
    bool nchw = layout_inputs(c, 1, &x);
    int y = imp_tfl_emit(c, op, NULL, 1, &x, result_dst(c, nchw), NULL);
    return finish(c, nchw, y);
}

/* RELU6 / RELU_N1_TO_1 / RELU / TANH as standalone operators. */
static enum imp_status activation(struct imp_tfl_op *c, int act)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    int x;
    bool nchw = layout_inputs(c, 1, &x);
    int y = imp_tfl_act(c, x, act, result_dst(c, nchw));
    return finish(c, nchw, y);
}

static enum imp_status squared_difference(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_SQUARED_DIFFERENCE);
    if (st != IMP_OK)
        return st;
    int ins[2];
    bool nchw = layout_inputs(c, 2, ins);
    int d = imp_tfl_emit(c, IMP_OP_SUB, "/diff", 2, ins, -1, NULL);
    int sq[2] = {d, d};
    int y = imp_tfl_emit(c, IMP_OP_MUL, NULL, 2, sq, result_dst(c, nchw), NULL);
    return finish(c, nchw, y);
}

static enum imp_status rsqrt(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    int x;
    bool nchw = layout_inputs(c, 1, &x);
    int s = imp_tfl_emit(c, IMP_OP_SQRT, "/sqrt", 1, &x, -1, NULL);
    char name[600];
    snprintf(name, sizeof name, "%s/one", c->name);
    int ins[2] = {imp_tfl_const_f32_scalar(c->r, name, 1.0f), s};
    int y = imp_tfl_emit(c, IMP_OP_DIV, NULL, 2, ins, result_dst(c, nchw), NULL);
    return finish(c, nchw, y);
}

static enum imp_status leaky_relu(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = imp_tfl_need_options(c, IMP_TFL_OPT_LEAKY_RELU);
    if (st != IMP_OK)
        return st;
    int x, node;
    bool nchw = layout_inputs(c, 1, &x);
    int y = imp_tfl_emit(c, IMP_OP_LEAKY_RELU, NULL, 1, &x, result_dst(c, nchw),
                         &node);
    if (y >= 0)
        imp_tfl_set_float(c->r, node, "alpha", imp_fb_f32(&c->opts, 0, 0.0f));
    return finish(c, nchw, y);
}

/* QUANTIZE / DEQUANTIZE: activations run in float, so the value passes
 * through; constants were turned into aliases before translation. */
static enum imp_status requantize(struct imp_tfl_op *c)
{
    enum imp_status st = imp_tfl_need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    if (c->r->tensors[c->out[0]].alias >= 0)
        return IMP_OK;
    return unary(c, IMP_OP_IDENTITY);
}

/* ---- dispatch ----------------------------------------------------------- */

static enum imp_status custom(struct imp_tfl_op *c, const char *name,
                              const struct imp_fb_table *op)
{
    if (!name)
        return imp_tfl_op_fail(c->r, IMP_ERR_FORMAT, "custom operator without a name");
    if (strcmp(name, "Convolution2DTransposeBias") == 0) {
        struct imp_fb_vec copts;
        imp_fb_vector(op, OP_CUSTOM_OPTIONS, 1, &copts);
        return imp_tfl_conv2d_transpose_bias(c, &copts);
    }
    return imp_tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED,
                           "custom operator '%s' is not supported", name);
}

enum imp_status imp_tfl_translate_op(struct imp_tfl_reader *r, int index,
                                     const struct imp_fb_table *op)
{
    struct imp_tfl_op c;
    memset(&c, 0, sizeof c);
    c.r = r;
    uint32_t code_index = imp_fb_u32(op, OP_OPCODE, 0); /* checked in scan */
    c.code = r->codes[code_index];
    r->op_index = index;
    r->op_name = imp_tfl_op_name(c.code);
    struct imp_fb_vec in, out;
    imp_fb_vector(op, OP_INPUTS, 4, &in);
    imp_fb_vector(op, OP_OUTPUTS, 4, &out);
    if (in.n > IMP_TFL_MAX_IO || out.n > IMP_TFL_MAX_IO || out.n == 0)
        return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "%u inputs, %u outputs", in.n,
                               out.n);
    c.n_in = (int)in.n;
    c.n_out = (int)out.n;
    for (int k = 0; k < c.n_in; k++)
        c.in[k] = imp_fb_vec_i32(&in, (uint32_t)k);
    for (int k = 0; k < c.n_out; k++)
        c.out[k] = imp_fb_vec_i32(&out, (uint32_t)k);
    bool present;
    c.opts_type = imp_fb_union(op, OP_OPTIONS_TYPE, &c.opts, &present);
    if (imp_fb_bad(&r->fb))
        return imp_tfl_op_fail(r, IMP_ERR_FORMAT, "%s at byte %zu", r->fb.bad_what,
                               r->fb.bad_at);
    if (!present)
        c.opts_type = 0;
    c.name = r->tensors[c.out[0]].name;

    switch (c.code) {
    case B_ADD: return binary(&c, IMP_OP_ADD, IMP_TFL_OPT_ADD, 0);
    case B_SUB: return binary(&c, IMP_OP_SUB, IMP_TFL_OPT_SUB, 0);
    case B_MUL: return binary(&c, IMP_OP_MUL, IMP_TFL_OPT_MUL, 0);
    case B_DIV: return binary(&c, IMP_OP_DIV, IMP_TFL_OPT_DIV, 0);
    case B_POW: return binary(&c, IMP_OP_POW, IMP_TFL_OPT_POW, -1);
    case B_PRELU: return binary(&c, IMP_OP_PRELU, 0, -1);
    case B_SQUARED_DIFFERENCE: return squared_difference(&c);
    case B_CONV_2D: return imp_tfl_conv2d(&c, false);
    case B_DEPTHWISE_CONV_2D: return imp_tfl_conv2d(&c, true);
    case B_TRANSPOSE_CONV: return imp_tfl_transpose_conv(&c);
    case B_AVERAGE_POOL_2D: return imp_tfl_pool2d(&c, true);
    case B_MAX_POOL_2D: return imp_tfl_pool2d(&c, false);
    case B_RESIZE_BILINEAR: return imp_tfl_resize(&c, true);
    case B_RESIZE_NEAREST_NEIGHBOR: return imp_tfl_resize(&c, false);
    case B_DEPTH_TO_SPACE: return imp_tfl_depth_to_space(&c);
    case B_LOGISTIC: return unary(&c, IMP_OP_SIGMOID);
    case B_HARD_SWISH: return unary(&c, IMP_OP_HARD_SWISH);
    case B_SQRT: return unary(&c, IMP_OP_SQRT);
    case B_RSQRT: return rsqrt(&c);
    case B_RELU: return activation(&c, IMP_TFL_ACT_RELU);
    case B_RELU6: return activation(&c, IMP_TFL_ACT_RELU6);
    case B_RELU_N1_TO_1: return activation(&c, IMP_TFL_ACT_RELU_N1_TO_1);
    case B_TANH: return activation(&c, IMP_TFL_ACT_TANH);
    case B_LEAKY_RELU: return leaky_relu(&c);
    case B_QUANTIZE:
    case B_DEQUANTIZE: return requantize(&c);
    case B_MEAN: return imp_tfl_mean(&c);
    case B_PAD: return imp_tfl_pad(&c, false, false);
    case B_PADV2: return imp_tfl_pad(&c, false, true);
    case B_MIRROR_PAD: return imp_tfl_pad(&c, true, false);
    case B_RESHAPE: return imp_tfl_reshape(&c);
    case B_SQUEEZE: return imp_tfl_squeeze(&c);
    case B_EXPAND_DIMS: return imp_tfl_expand_dims(&c);
    case B_TRANSPOSE: return imp_tfl_transpose_op(&c);
    case B_CONCATENATION: return imp_tfl_concatenation(&c);
    case B_PACK: return imp_tfl_pack(&c);
    case B_SHAPE: return imp_tfl_shape_op(&c);
    case B_STRIDED_SLICE: return imp_tfl_strided_slice(&c);
    case B_SLICE: return imp_tfl_slice(&c);
    case B_GATHER: return imp_tfl_gather(&c);
    case B_SOFTMAX: return imp_tfl_softmax(&c);
    case B_CAST: return imp_tfl_cast(&c);
    case B_FULLY_CONNECTED: return imp_tfl_fully_connected(&c);
    case B_CUSTOM: return custom(&c, r->custom[code_index], op);
    default:
        if (r->op_name)
            return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "operator is not supported");
        return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                               "unknown builtin operator code %d", c.code);
    }
}
