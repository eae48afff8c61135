/*
 * TFLite operators -> ONNX-semantics graph nodes.
 *
 * Values keep TFLite's layout (NHWC); convolution, pooling and resizing
 * run on NCHW between a pair of Transposes, with their constant weights
 * re-laid out once here. Fused activations become separate nodes. SAME
 * padding becomes explicit pads where the sizes it depends on are known
 * from the file, and ONNX's equivalent auto_pad="SAME_UPPER" otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "formats/tflite_priv.h"

/* Builtin operator codes (BuiltinOperator in schema.fbs). */
enum {
    B_ADD = 0, B_AVERAGE_POOL_2D = 1, B_CONCATENATION = 2, B_CONV_2D = 3,
    B_DEPTHWISE_CONV_2D = 4, B_DEQUANTIZE = 6, B_FULLY_CONNECTED = 9,
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

/* BuiltinOptions union members. */
enum {
    O_CONV2D = 1, O_DEPTHWISE = 2, O_POOL2D = 5, O_FULLY_CONNECTED = 8,
    O_SOFTMAX = 9, O_CONCATENATION = 10, O_ADD = 11, O_RESIZE_BILINEAR = 15,
    O_RESHAPE = 17, O_MUL = 21, O_PAD = 22, O_GATHER = 23, O_TRANSPOSE = 26,
    O_REDUCER = 27, O_SUB = 28, O_DIV = 29, O_SQUEEZE = 30,
    O_STRIDED_SLICE = 32, O_CAST = 37, O_DEQUANTIZE = 38, O_PADV2 = 43,
    O_SLICE = 48, O_TRANSPOSE_CONV = 49, O_EXPAND_DIMS = 52, O_SHAPE = 55,
    O_POW = 56, O_PACK = 59, O_RESIZE_NEAREST = 74, O_LEAKY_RELU = 75,
    O_SQUARED_DIFFERENCE = 76, O_MIRROR_PAD = 77, O_QUANTIZE = 89,
    O_HARD_SWISH = 91,
};

/* Operator table fields. */
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3,
       OP_CUSTOM_OPTIONS = 5, OP_CUSTOM_FORMAT = 6 };

#define MAX_IO 64
/* Kernel sizes, strides and dilations beyond this are hostile. */
#define MAX_WINDOW 65536

const char *tfl_op_name(int32_t code)
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

/* One operator being translated. */
struct op_ctx {
    struct tfl_reader *r;
    int32_t code;
    int n_in, n_out;
    int in[MAX_IO];  /* tensor indices; -1 = omitted */
    int out[MAX_IO];
    uint8_t opts_type;
    struct imp_fb_table opts; /* zeroed (all defaults) when absent */
    const char *name;         /* first output's name, for node names */
};

static const struct tfl_tensor *tensor(const struct op_ctx *c, int k)
{
    return &c->r->tensors[c->in[k]];
}

static enum imp_status need_io(struct op_ctx *c, int min_in, int max_in,
                               int n_out)
{
    if (c->n_in < min_in || c->n_in > max_in)
        return tfl_op_fail(c->r, IMP_ERR_FORMAT, "has %d inputs, expected %d..%d",
                           c->n_in, min_in, max_in);
    if (c->n_out != n_out)
        return tfl_op_fail(c->r, IMP_ERR_FORMAT, "has %d outputs, expected %d",
                           c->n_out, n_out);
    for (int k = 0; k < min_in; k++)
        if (c->in[k] < 0)
            return tfl_op_fail(c->r, IMP_ERR_FORMAT, "input %d is missing", k);
    return IMP_OK;
}

/* The options table must be of the expected union member (or absent). */
static enum imp_status need_options(struct op_ctx *c, uint8_t type)
{
    if (c->opts_type != 0 && c->opts_type != type)
        return tfl_op_fail(c->r, IMP_ERR_FORMAT,
                           "builtin options of type %u, expected %u",
                           c->opts_type, type);
    return IMP_OK;
}

static int in_value(struct op_ctx *c, int k)
{
    return c->in[k] < 0 ? -1 : tfl_value(c->r, c->in[k]);
}

static int out_value(struct op_ctx *c, int k)
{
    return tfl_value(c->r, c->out[k]);
}

/* A node with one output; dst < 0 makes a float temp named name+suffix.
 * Returns the output value (or -1); *node gets the node index. */
static int emit(struct op_ctx *c, enum imp_op op, const char *suffix, int n_in,
                const int *in, int dst, int *node)
{
    struct tfl_reader *r = c->r;
    if (dst < 0)
        dst = tfl_temp(r, c->name, suffix, IMP_DTYPE_F32);
    char node_name[600];
    snprintf(node_name, sizeof node_name, "%s%s", c->name, suffix ? suffix : "");
    int n = dst >= 0 ? tfl_node(r, op, node_name, n_in, in, 1, &dst) : -1;
    if (node)
        *node = n;
    return n >= 0 ? dst : -1;
}

static int emit_i64_temp(struct op_ctx *c, enum imp_op op, const char *suffix,
                         int n_in, const int *in, int *node)
{
    int dst = tfl_temp(c->r, c->name, suffix, IMP_DTYPE_I64);
    return dst < 0 ? -1 : emit(c, op, suffix, n_in, in, dst, node);
}

static enum imp_status status_of(struct op_ctx *c)
{
    if (!c->r->failed)
        return IMP_OK;
    return c->r->err && c->r->err->status != IMP_OK ? c->r->err->status
                                                     : IMP_ERR_FORMAT;
}

/* ---- activations and layout ----------------------------------------------- */

static enum imp_status check_act(struct op_ctx *c, int act)
{
    if (act < TFL_ACT_NONE || act > TFL_ACT_TANH)
        return tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED,
                           "fused activation %d is not supported", act);
    return IMP_OK;
}

/* act(src) into dst (a temp when dst < 0); with no activation, src is
 * returned as it is (dst must then be < 0). */
static int add_act(struct op_ctx *c, int src, int act, int dst)
{
    struct tfl_reader *r = c->r;
    if (act == TFL_ACT_NONE)
        return src;
    if (act == TFL_ACT_RELU)
        return emit(c, IMP_OP_RELU, "/relu", 1, &src, dst, NULL);
    if (act == TFL_ACT_TANH)
        return emit(c, IMP_OP_TANH, "/tanh", 1, &src, dst, NULL);
    float lo = act == TFL_ACT_RELU6 ? 0.0f : -1.0f;
    float hi = act == TFL_ACT_RELU6 ? 6.0f : 1.0f;
    char base[600];
    snprintf(base, sizeof base, "%s/clip_min", c->name);
    int in[3] = {src, tfl_const_f32_scalar(r, base, lo), -1};
    snprintf(base, sizeof base, "%s/clip_max", c->name);
    in[2] = tfl_const_f32_scalar(r, base, hi);
    return emit(c, IMP_OP_CLIP, act == TFL_ACT_RELU6 ? "/relu6" : "/relu1", 3,
                in, dst, NULL);
}

static const int64_t TO_NCHW[4] = {0, 3, 1, 2};
static const int64_t TO_NHWC[4] = {0, 2, 3, 1};

static int transpose(struct op_ctx *c, int src, const int64_t perm[4],
                     const char *suffix, int dst)
{
    int node;
    int v = emit(c, IMP_OP_TRANSPOSE, suffix, 1, &src, dst, &node);
    if (v >= 0 && tfl_set_ints(c->r, node, "perm", perm, 4) != IMP_OK)
        return -1;
    return v;
}

/* Height and width of input k from the file (-1 where unknown). */
static void spatial(const struct op_ctx *c, int k, int64_t *h, int64_t *w)
{
    const struct tfl_tensor *t = tensor(c, k);
    bool ok = t->shape_known && t->shape.rank == 4;
    *h = ok ? t->shape.d[1] : -1;
    *w = ok ? t->shape.d[2] : -1;
}

static int64_t channels(const struct op_ctx *c, int k)
{
    const struct tfl_tensor *t = tensor(c, k);
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

static enum imp_status check_window(struct op_ctx *c, const char *what,
                                    int64_t v)
{
    if (v < 1 || v > MAX_WINDOW)
        return tfl_op_fail(c->r, IMP_ERR_FORMAT, "%s %lld out of range", what,
                           (long long)v);
    return IMP_OK;
}

/* Sets pads (or auto_pad) on a windowed node over input 0. */
static enum imp_status set_padding(struct op_ctx *c, int node, int padding,
                                   const int64_t k[2], const int64_t s[2],
                                   const int64_t d[2])
{
    struct tfl_reader *r = c->r;
    if (padding != TFL_PAD_SAME && padding != TFL_PAD_VALID)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "padding type %d", padding);
    int64_t pads[4] = {0, 0, 0, 0};
    if (padding == TFL_PAD_SAME) {
        int64_t in[2];
        spatial(c, 0, &in[0], &in[1]);
        if (!same_pads(in[0], k[0], s[0], d[0], &pads[0], &pads[2]) ||
            !same_pads(in[1], k[1], s[1], d[1], &pads[1], &pads[3]))
            return tfl_set_string(r, node, "auto_pad", "SAME_UPPER");
    }
    return tfl_set_ints(r, node, "pads", pads, 4);
}

/* ---- weights ---------------------------------------------------------------- */

enum { W_OIHW = 1, W_DEPTHWISE = 2, W_IOHW = 3 };

/* Constant 4-D float weights of input k, re-laid out for ONNX:
 *   W_OIHW      [O,kh,kw,I]     -> [O,I,kh,kw]   (Conv)
 *   W_DEPTHWISE [1,kh,kw,C*M]   -> [C*M,1,kh,kw] (Conv, group = C)
 *   W_IOHW      [O,kh,kw,I]     -> [I,O,kh,kw]   (ConvTranspose)
 * `dims` gets the TFLite dims. Cached per tensor. */
static int weights(struct op_ctx *c, int k, int kind, int64_t dims[4])
{
    struct tfl_reader *r = c->r;
    int ti = c->in[k];
    if (!tfl_is_const(r, ti)) {
        tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "weights '%s' must be constant",
                    r->tensors[ti].name);
        return -1;
    }
    int v = tfl_const_value(r, ti);
    if (v < 0)
        return -1;
    const struct imp_value *val = &r->g->values[v];
    if (val->dtype != IMP_DTYPE_F32 || val->shape.rank != 4) {
        tfl_op_fail(r, IMP_ERR_FORMAT, "weights '%s' must be 4-D float",
                    r->tensors[ti].name);
        return -1;
    }
    for (int i = 0; i < 4; i++)
        dims[i] = val->shape.d[i];
    if (kind == W_DEPTHWISE && dims[0] != 1) {
        tfl_op_fail(r, IMP_ERR_FORMAT, "depthwise weights '%s' must be [1,h,w,c]",
                    r->tensors[ti].name);
        return -1;
    }
    struct tfl_tensor *t = &r->tensors[ti];
    if (t->wvalue >= 0 && t->wkind == kind)
        return t->wvalue;
    int64_t O = dims[0], H = dims[1], W = dims[2], I = dims[3];
    int64_t n = O * H * W * I;
    float *dst = malloc((size_t)(n ? n : 1) * sizeof *dst);
    if (!dst) {
        tfl_op_fail(r, IMP_ERR_NOMEM, "out of memory");
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
             kind == W_OIHW ? "oihw" : kind == W_DEPTHWISE ? "dw" : "iohw");
    int wv = tfl_const(r, name, IMP_DTYPE_F32, &s, dst);
    free(dst);
    t->wvalue = wv;
    t->wkind = kind;
    return wv;
}

/* Optional constant bias of `count` elements at input k (-1: none). */
static int bias(struct op_ctx *c, int k, int64_t count)
{
    struct tfl_reader *r = c->r;
    if (k >= c->n_in || c->in[k] < 0)
        return -1;
    int v = tfl_const_value(r, c->in[k]);
    if (v < 0)
        return -1;
    const struct imp_value *val = &r->g->values[v];
    if (val->dtype != IMP_DTYPE_F32 || imp_shape_count(&val->shape) != count) {
        tfl_op_fail(r, IMP_ERR_FORMAT, "bias '%s' must hold %lld floats",
                    r->tensors[c->in[k]].name, (long long)count);
        return -1;
    }
    return v;
}

/* ---- convolution and pooling ------------------------------------------------ */

static enum imp_status conv2d(struct op_ctx *c, bool depthwise)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 2, 3, 1);
    if (st == IMP_OK)
        st = need_options(c, depthwise ? O_DEPTHWISE : O_CONV2D);
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
        st = check_act(c, act);
    if (st != IMP_OK)
        return st;

    int64_t wd[4];
    int w = weights(c, 1, depthwise ? W_DEPTHWISE : W_OIHW, wd);
    if (w < 0)
        return status_of(c);
    int64_t cin = channels(c, 0), cout = wd[depthwise ? 3 : 0], group = 1;
    if (depthwise) {
        if (cin > 0 && cout % cin == 0)
            group = cin;
        else if (cin < 0 && mult > 0 && cout % mult == 0)
            group = cout / mult;
        else
            return tfl_op_fail(r, IMP_ERR_SHAPE,
                               "%lld output channels do not fit %lld input "
                               "channels", (long long)cout, (long long)cin);
    } else if (cin > 0 && cin != wd[3]) {
        if (cin % wd[3] != 0)
            return tfl_op_fail(r, IMP_ERR_SHAPE,
                               "weights take %lld channels, input has %lld",
                               (long long)wd[3], (long long)cin);
        group = cin / wd[3];
    }
    int64_t k[2] = {wd[1], wd[2]};
    for (int i = 0; i < 2 && st == IMP_OK; i++)
        st = check_window(c, "kernel size", k[i]);
    if (st != IMP_OK)
        return st;

    int b = bias(c, 2, cout);
    int x = in_value(c, 0), y = out_value(c, 0);
    int xt = transpose(c, x, TO_NCHW, "/nchw", -1);
    int ins[3] = {xt, w, b};
    int node;
    int conv = emit(c, IMP_OP_CONV, "/conv", b >= 0 ? 3 : 2, ins, -1, &node);
    if (conv < 0)
        return status_of(c);
    if (tfl_set_ints(r, node, "kernel_shape", k, 2) != IMP_OK ||
        tfl_set_ints(r, node, "strides", s, 2) != IMP_OK ||
        tfl_set_ints(r, node, "dilations", d, 2) != IMP_OK ||
        tfl_set_int(r, node, "group", group) != IMP_OK ||
        set_padding(c, node, padding, k, s, d) != IMP_OK)
        return status_of(c);
    int post = add_act(c, conv, act, -1);
    transpose(c, post, TO_NHWC, "/nhwc", y);
    return status_of(c);
}

static enum imp_status pool2d(struct op_ctx *c, bool average)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = need_options(c, O_POOL2D);
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
        st = check_act(c, act);
    if (st != IMP_OK)
        return st;
    int x = in_value(c, 0), y = out_value(c, 0);
    int xt = transpose(c, x, TO_NCHW, "/nchw", -1);
    int node;
    int p = emit(c, average ? IMP_OP_AVERAGE_POOL : IMP_OP_MAX_POOL,
                 average ? "/avgpool" : "/maxpool", 1, &xt, -1, &node);
    if (p < 0)
        return status_of(c);
    if (tfl_set_ints(r, node, "kernel_shape", k, 2) != IMP_OK ||
        tfl_set_ints(r, node, "strides", s, 2) != IMP_OK ||
        set_padding(c, node, padding, k, s, d) != IMP_OK)
        return status_of(c);
    /* TFLite averages over the valid part of the window only. */
    if (average && tfl_set_int(r, node, "count_include_pad", 0) != IMP_OK)
        return status_of(c);
    int post = add_act(c, p, act, -1);
    transpose(c, post, TO_NHWC, "/nhwc", y);
    return status_of(c);
}

/* ConvTranspose from x (input xk) with OHWI weights (input wk), bias
 * (input bk or -1), and explicit begin/end pads (end may be negative:
 * it then becomes output_padding). */
static enum imp_status conv_transpose(struct op_ctx *c, int xk, int wk, int bk,
                                      const int64_t s[2], const int64_t pb[2],
                                      const int64_t pe[2], int act)
{
    struct tfl_reader *r = c->r;
    int64_t wd[4];
    int w = weights(c, wk, W_IOHW, wd);
    if (w < 0)
        return status_of(c);
    int64_t k[2] = {wd[1], wd[2]};
    int b = bk >= 0 ? bias(c, bk, wd[0]) : -1;
    if (r->failed)
        return status_of(c);
    int64_t pads[4] = {pb[0], pb[1], pe[0] > 0 ? pe[0] : 0, pe[1] > 0 ? pe[1] : 0};
    int64_t out_pad[2] = {pe[0] < 0 ? -pe[0] : 0, pe[1] < 0 ? -pe[1] : 0};
    int x = in_value(c, xk), y = out_value(c, 0);
    int xt = transpose(c, x, TO_NCHW, "/nchw", -1);
    int ins[3] = {xt, w, b};
    int node;
    int ct = emit(c, IMP_OP_CONV_TRANSPOSE, "/convtranspose", b >= 0 ? 3 : 2, ins,
                  -1, &node);
    if (ct < 0)
        return status_of(c);
    if (tfl_set_ints(r, node, "kernel_shape", k, 2) != IMP_OK ||
        tfl_set_ints(r, node, "strides", s, 2) != IMP_OK ||
        tfl_set_ints(r, node, "pads", pads, 4) != IMP_OK ||
        ((out_pad[0] || out_pad[1]) &&
         tfl_set_ints(r, node, "output_padding", out_pad, 2) != IMP_OK))
        return status_of(c);
    int post = add_act(c, ct, act, -1);
    transpose(c, post, TO_NHWC, "/nhwc", y);
    return status_of(c);
}

/* Builtin TRANSPOSE_CONV: (output_shape, weights, input[, bias]). */
static enum imp_status transpose_conv(struct op_ctx *c)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 3, 4, 1);
    if (st == IMP_OK)
        st = need_options(c, O_TRANSPOSE_CONV);
    if (st != IMP_OK)
        return st;
    const struct imp_fb_table *o = &c->opts;
    int padding = imp_fb_i8(o, 0, 0);
    int64_t s[2] = {imp_fb_i32(o, 2, 0), imp_fb_i32(o, 1, 0)};
    int act = imp_fb_i8(o, 3, 0);
    for (int i = 0; i < 2 && st == IMP_OK; i++)
        st = check_window(c, "stride", s[i]);
    if (st == IMP_OK)
        st = check_act(c, act);
    if (st != IMP_OK)
        return st;
    if (padding != TFL_PAD_SAME && padding != TFL_PAD_VALID)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "padding type %d", padding);
    int64_t oshape[4];
    if (tfl_const_ints(r, c->in[0], oshape, 4) != 4)
        return r->failed ? status_of(c)
                         : tfl_op_fail(r, IMP_ERR_FORMAT, "output_shape must have 4 values");
    const struct tfl_tensor *wt = &r->tensors[c->in[1]];
    if (wt->dflt.rank != 4)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "weights must be 4-D");
    int64_t in[2];
    {
        const struct tfl_tensor *x = tensor(c, 2);
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
            return tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                               "needs static input and output sizes");
        /* The pads a forward SAME conv from the output size would use. */
        int64_t total = 0;
        if (padding == TFL_PAD_SAME) {
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
static enum imp_status conv2d_transpose_bias(struct op_ctx *c,
                                             const struct imp_fb_vec *copts)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 3, 3, 1);
    if (st != IMP_OK)
        return st;
    if (copts->n < 12)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "custom options hold %u bytes, "
                           "12 expected", copts->n);
    const uint8_t *p = imp_fb_vec_data(copts);
    int32_t v[3];
    for (int i = 0; i < 3; i++)
        v[i] = (int32_t)((uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) |
                         ((uint32_t)p[4 * i + 2] << 16) |
                         ((uint32_t)p[4 * i + 3] << 24));
    if (v[0] != 1 && v[0] != 2)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "padding type %d", v[0]);
    int64_t s[2] = {v[2], v[1]};
    for (int i = 0; i < 2 && st == IMP_OK; i++)
        st = check_window(c, "stride", s[i]);
    if (st != IMP_OK)
        return st;
    const struct tfl_tensor *wt = &r->tensors[c->in[1]];
    if (wt->dflt.rank != 4)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "weights must be 4-D");
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
                return tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                                   "SAME padding needs a static input size");
            total = k - (in[i] - 1) % s[i] - 1;
            if (total < 0)
                total = 0;
        }
        pb[i] = total / 2;
        pe[i] = total - pb[i];
    }
    return conv_transpose(c, 0, 1, 2, s, pb, pe, TFL_ACT_NONE);
}

/* ---- resizing ------------------------------------------------------------------- */

/* ONNX `sizes` [N, C, H, W] for the NCHW view `xt` of input 0, from the
 * TFLite size tensor (input 1, [H, W]). Constant when the file fixes all
 * of it, else computed from Shape(xt) at plan time. */
static int resize_sizes(struct op_ctx *c, int xt)
{
    struct tfl_reader *r = c->r;
    const struct tfl_tensor *x = tensor(c, 0);
    int64_t hw[2];
    bool nc_known = x->shape_known && x->shape.rank == 4 && x->shape.d[0] >= 0 &&
                    x->shape.d[3] >= 0;
    char name[600];
    snprintf(name, sizeof name, "%s/sizes", c->name);
    if (tfl_is_const(r, c->in[1])) {
        int n = tfl_const_ints(r, c->in[1], hw, 2);
        if (n < 0)
            return -1;
        if (n != 2 || hw[0] < 1 || hw[1] < 1 || hw[0] > 1 << 24 || hw[1] > 1 << 24) {
            tfl_op_fail(r, IMP_ERR_FORMAT, "size must be two positive values");
            return -1;
        }
        if (nc_known) {
            int64_t sizes[4] = {x->shape.d[0], x->shape.d[3], hw[0], hw[1]};
            return tfl_const_i64(r, name, sizes, 4);
        }
    }
    int shape = emit_i64_temp(c, IMP_OP_SHAPE, "/shape", 1, &xt, NULL);
    int64_t zero = 0, two = 2;
    snprintf(name, sizeof name, "%s/nc_start", c->name);
    int st0 = tfl_const_i64(r, name, &zero, 1);
    snprintf(name, sizeof name, "%s/nc_end", c->name);
    int en0 = tfl_const_i64(r, name, &two, 1);
    int sl_in[3] = {shape, st0, en0};
    int nc = emit_i64_temp(c, IMP_OP_SLICE, "/nc", 3, sl_in, NULL);
    int size = in_value(c, 1), node;
    int hw64 = emit_i64_temp(c, IMP_OP_CAST, "/hw", 1, &size, &node);
    if (hw64 < 0 || tfl_set_int(r, node, "to", ONNX_T_INT64) != IMP_OK)
        return -1;
    int cat_in[2] = {nc, hw64};
    int sizes = emit_i64_temp(c, IMP_OP_CONCAT, "/sizes", 2, cat_in, &node);
    if (sizes < 0 || tfl_set_int(r, node, "axis", 0) != IMP_OK)
        return -1;
    return sizes;
}

static enum imp_status resize(struct op_ctx *c, bool bilinear)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = need_options(c, bilinear ? O_RESIZE_BILINEAR : O_RESIZE_NEAREST);
    if (st != IMP_OK)
        return st;
    bool align = imp_fb_bool(&c->opts, bilinear ? 2 : 0, false);
    bool half = imp_fb_bool(&c->opts, bilinear ? 3 : 1, false);
    if (align && half)
        return tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
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
    const char *ctm = align ? "align_corners"
                      : half ? (bilinear ? "half_pixel" : "tf_half_pixel_for_nn")
                             : "asymmetric";
    int x = in_value(c, 0), y = out_value(c, 0);
    int xt = transpose(c, x, TO_NCHW, "/nchw", -1);
    int sizes = xt >= 0 ? resize_sizes(c, xt) : -1;
    int ins[4] = {xt, -1, -1, sizes};
    int node;
    int rs = sizes >= 0 ? emit(c, IMP_OP_RESIZE, "/resize", 4, ins, -1, &node) : -1;
    if (rs < 0)
        return status_of(c);
    if (tfl_set_string(r, node, "mode", bilinear ? "linear" : "nearest") != IMP_OK ||
        tfl_set_string(r, node, "coordinate_transformation_mode", ctm) != IMP_OK ||
        (!bilinear && tfl_set_string(r, node, "nearest_mode",
                                     align ? "round_prefer_ceil" : "floor") != IMP_OK))
        return status_of(c);
    transpose(c, rs, TO_NHWC, "/nhwc", y);
    return status_of(c);
}

/* ---- element-wise ------------------------------------------------------------------ */

static enum imp_status binary(struct op_ctx *c, enum imp_op op, uint8_t opts,
                              int act_field)
{
    enum imp_status st = need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = need_options(c, opts);
    int act = act_field >= 0 ? imp_fb_i8(&c->opts, act_field, 0) : 0;
    if (st == IMP_OK)
        st = check_act(c, act);
    if (st != IMP_OK)
        return st;
    int ins[2] = {in_value(c, 0), in_value(c, 1)};
    int y = out_value(c, 0);
    if (act == TFL_ACT_NONE) {
        emit(c, op, NULL, 2, ins, y, NULL);
    } else {
        int pre = emit(c, op, "/pre_act", 2, ins, -1, NULL);
        if (pre >= 0)
            add_act(c, pre, act, y);
    }
    return status_of(c);
}

static enum imp_status unary(struct op_ctx *c, enum imp_op op)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    int x = in_value(c, 0);
    emit(c, op, NULL, 1, &x, out_value(c, 0), NULL);
    return status_of(c);
}

/* RELU6 / RELU_N1_TO_1 / RELU / TANH as standalone operators. */
static enum imp_status activation(struct op_ctx *c, int act)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    add_act(c, in_value(c, 0), act, out_value(c, 0));
    return status_of(c);
}

static enum imp_status squared_difference(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = need_options(c, O_SQUARED_DIFFERENCE);
    if (st != IMP_OK)
        return st;
    int ins[2] = {in_value(c, 0), in_value(c, 1)};
    int d = emit(c, IMP_OP_SUB, "/diff", 2, ins, -1, NULL);
    int sq[2] = {d, d};
    emit(c, IMP_OP_MUL, NULL, 2, sq, out_value(c, 0), NULL);
    return status_of(c);
}

static enum imp_status rsqrt(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    int x = in_value(c, 0);
    int s = emit(c, IMP_OP_SQRT, "/sqrt", 1, &x, -1, NULL);
    char name[600];
    snprintf(name, sizeof name, "%s/one", c->name);
    int ins[2] = {tfl_const_f32_scalar(c->r, name, 1.0f), s};
    emit(c, IMP_OP_DIV, NULL, 2, ins, out_value(c, 0), NULL);
    return status_of(c);
}

static enum imp_status leaky_relu(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = need_options(c, O_LEAKY_RELU);
    if (st != IMP_OK)
        return st;
    int x = in_value(c, 0), node;
    if (emit(c, IMP_OP_LEAKY_RELU, NULL, 1, &x, out_value(c, 0), &node) >= 0)
        tfl_set_float(c->r, node, "alpha", imp_fb_f32(&c->opts, 0, 0.0f));
    return status_of(c);
}

/* QUANTIZE / DEQUANTIZE: activations run in float, so the value passes
 * through; constants were turned into aliases before translation. */
static enum imp_status requantize(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    if (c->r->tensors[c->out[0]].alias >= 0)
        return IMP_OK;
    return unary(c, IMP_OP_IDENTITY);
}

/* ---- reductions, shapes, data movement ------------------------------------------ */

/* Constant int input k as an int64 constant value (for axes, pads, ...). */
static int const_i64_input(struct op_ctx *c, int k, const char *suffix,
                           int64_t *vals, int max, int *count)
{
    int n = tfl_const_ints(c->r, c->in[k], vals, max);
    if (n < 0)
        return -1;
    if (count)
        *count = n;
    char name[600];
    snprintf(name, sizeof name, "%s%s", c->name, suffix);
    return tfl_const_i64(c->r, name, vals, n);
}

/* An int input as int64: constants converted here, others by a Cast. */
static int i64_input(struct op_ctx *c, int k, const char *suffix)
{
    int64_t vals[IMP_MAX_RANK * 2];
    if (tfl_is_const(c->r, c->in[k]))
        return const_i64_input(c, k, suffix, vals, IMP_MAX_RANK * 2, NULL);
    int v = in_value(c, k), node;
    int out = emit_i64_temp(c, IMP_OP_CAST, suffix, 1, &v, &node);
    if (out >= 0 && tfl_set_int(c->r, node, "to", ONNX_T_INT64) != IMP_OK)
        return -1;
    return out;
}

static enum imp_status mean(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = need_options(c, O_REDUCER);
    if (st != IMP_OK)
        return st;
    bool keep = imp_fb_bool(&c->opts, 0, false);
    int64_t axes[IMP_MAX_RANK * 2];
    int n = -1;
    int a = tfl_is_const(c->r, c->in[1])
                ? const_i64_input(c, 1, "/axes", axes, IMP_MAX_RANK * 2, &n)
                : i64_input(c, 1, "/axes");
    int x = in_value(c, 0), y = out_value(c, 0);
    if (n == 0) /* TF reduces nothing over no axes; ONNX would reduce all */
        emit(c, IMP_OP_IDENTITY, NULL, 1, &x, y, NULL);
    else {
        int ins[2] = {x, a}, node;
        if (emit(c, IMP_OP_REDUCE_MEAN, NULL, 2, ins, y, &node) >= 0)
            tfl_set_int(c->r, node, "keepdims", keep ? 1 : 0);
    }
    return status_of(c);
}

static enum imp_status pad(struct op_ctx *c, bool mirror, bool v2)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 2, v2 ? 3 : 2, 1);
    if (st == IMP_OK)
        st = need_options(c, mirror ? O_MIRROR_PAD : v2 ? O_PADV2 : O_PAD);
    if (st != IMP_OK)
        return st;
    if (mirror && imp_fb_i8(&c->opts, 0, 0) != 0)
        return tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                           "SYMMETRIC mirror padding is not supported");
    int64_t p[IMP_MAX_RANK * 2];
    int n = tfl_const_ints(r, c->in[1], p, IMP_MAX_RANK * 2);
    if (n < 0)
        return status_of(c);
    if (n % 2)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "paddings has %d values", n);
    /* TFLite [rank][2] (before, after) -> ONNX all befores, then afters. */
    int rank = n / 2;
    int64_t onnx[IMP_MAX_RANK * 2];
    for (int i = 0; i < rank; i++) {
        onnx[i] = p[2 * i];
        onnx[rank + i] = p[2 * i + 1];
    }
    char name[600];
    snprintf(name, sizeof name, "%s/pads", c->name);
    int pv = tfl_const_i64(r, name, onnx, n);
    int ins[3] = {in_value(c, 0), pv, -1};
    if (v2 && c->n_in > 2 && c->in[2] >= 0)
        ins[2] = in_value(c, 2);
    int node;
    if (emit(c, IMP_OP_PAD, NULL, 3, ins, out_value(c, 0), &node) >= 0)
        tfl_set_string(r, node, "mode", mirror ? "reflect" : "constant");
    return status_of(c);
}

static enum imp_status reshape(struct op_ctx *c)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 1, 2, 1);
    if (st == IMP_OK)
        st = need_options(c, O_RESHAPE);
    if (st != IMP_OK)
        return st;
    int shape = -1;
    bool zero = false;
    char name[600];
    snprintf(name, sizeof name, "%s/shape", c->name);
    if (c->n_in > 1 && c->in[1] >= 0) {
        if (tfl_is_const(r, c->in[1])) {
            int64_t v[IMP_MAX_RANK];
            int n = tfl_const_ints(r, c->in[1], v, IMP_MAX_RANK);
            for (int i = 0; i < n; i++)
                zero = zero || v[i] == 0;
            shape = n >= 0 ? tfl_const_i64(r, name, v, n) : -1;
        } else {
            shape = i64_input(c, 1, "/shape");
        }
    } else {
        struct imp_fb_vec ns;
        imp_fb_vector(&c->opts, 0, 4, &ns);
        if (ns.n > IMP_MAX_RANK)
            return tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "new_shape rank %u", ns.n);
        int64_t v[IMP_MAX_RANK];
        for (uint32_t i = 0; i < ns.n; i++) {
            v[i] = imp_fb_vec_i32(&ns, i);
            zero = zero || v[i] == 0;
        }
        shape = tfl_const_i64(r, name, v, (int)ns.n);
    }
    int ins[2] = {in_value(c, 0), shape}, node;
    /* In TF a 0 in the shape is a zero-sized dim, not "copy". */
    if (emit(c, IMP_OP_RESHAPE, NULL, 2, ins, out_value(c, 0), &node) >= 0 && zero)
        tfl_set_int(r, node, "allowzero", 1);
    return status_of(c);
}

static enum imp_status squeeze(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = need_options(c, O_SQUEEZE);
    if (st != IMP_OK)
        return st;
    struct imp_fb_vec dims;
    imp_fb_vector(&c->opts, 0, 4, &dims);
    if (dims.n > IMP_MAX_RANK)
        return tfl_op_fail(c->r, IMP_ERR_FORMAT, "%u squeeze dims", dims.n);
    int64_t v[IMP_MAX_RANK];
    for (uint32_t i = 0; i < dims.n; i++)
        v[i] = imp_fb_vec_i32(&dims, i);
    int ins[2] = {in_value(c, 0), -1};
    char name[600];
    snprintf(name, sizeof name, "%s/axes", c->name);
    if (dims.n)
        ins[1] = tfl_const_i64(c->r, name, v, (int)dims.n);
    emit(c, IMP_OP_SQUEEZE, NULL, dims.n ? 2 : 1, ins, out_value(c, 0), NULL);
    return status_of(c);
}

static enum imp_status expand_dims(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 2, 2, 1);
    if (st != IMP_OK)
        return st;
    int64_t axis;
    int ins[2] = {in_value(c, 0), -1};
    ins[1] = const_i64_input(c, 1, "/axes", &axis, 1, NULL);
    emit(c, IMP_OP_UNSQUEEZE, NULL, 2, ins, out_value(c, 0), NULL);
    return status_of(c);
}

static enum imp_status transpose_op(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 2, 2, 1);
    if (st != IMP_OK)
        return st;
    int64_t perm[IMP_MAX_RANK];
    int n = tfl_const_ints(c->r, c->in[1], perm, IMP_MAX_RANK);
    if (n < 0)
        return status_of(c);
    int x = in_value(c, 0), node;
    if (emit(c, IMP_OP_TRANSPOSE, NULL, 1, &x, out_value(c, 0), &node) >= 0)
        tfl_set_ints(c->r, node, "perm", perm, n);
    return status_of(c);
}

static enum imp_status concatenation(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 1, MAX_IO, 1);
    if (st == IMP_OK)
        st = need_options(c, O_CONCATENATION);
    int act = imp_fb_i8(&c->opts, 1, 0);
    if (st == IMP_OK)
        st = check_act(c, act);
    if (st != IMP_OK)
        return st;
    int ins[MAX_IO];
    for (int k = 0; k < c->n_in; k++) {
        if (c->in[k] < 0)
            return tfl_op_fail(c->r, IMP_ERR_FORMAT, "input %d is missing", k);
        ins[k] = in_value(c, k);
    }
    int y = out_value(c, 0), node;
    int cat = emit(c, IMP_OP_CONCAT, act ? "/concat" : NULL, c->n_in, ins,
                   act ? -1 : y, &node);
    if (cat >= 0 && tfl_set_int(c->r, node, "axis", imp_fb_i32(&c->opts, 0, 0)) == IMP_OK)
        add_act(c, cat, act, act ? y : -1);
    return status_of(c);
}

static enum imp_status pack(struct op_ctx *c)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 1, MAX_IO, 1);
    if (st == IMP_OK)
        st = need_options(c, O_PACK);
    if (st != IMP_OK)
        return st;
    int64_t axis = imp_fb_i32(&c->opts, 1, 0);
    int32_t count = imp_fb_i32(&c->opts, 0, c->n_in);
    if (count != c->n_in)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "values_count %d but %d inputs",
                           count, c->n_in);
    char name[600];
    snprintf(name, sizeof name, "%s/axis", c->name);
    int ax = tfl_const_i64(r, name, &axis, 1);
    int ins[MAX_IO];
    for (int k = 0; k < c->n_in; k++) {
        if (c->in[k] < 0)
            return tfl_op_fail(r, IMP_ERR_FORMAT, "input %d is missing", k);
        int v = in_value(c, k);
        int un[2] = {v, ax};
        char suffix[32];
        snprintf(suffix, sizeof suffix, "/unsqueeze%d", k);
        /* Keep the input's dtype: PACK mostly builds int32 shapes. */
        enum imp_dtype dt = v >= 0 ? r->g->values[v].dtype : IMP_DTYPE_F32;
        int u = tfl_temp(r, c->name, suffix, dt);
        ins[k] = u >= 0 ? emit(c, IMP_OP_UNSQUEEZE, suffix, 2, un, u, NULL) : -1;
    }
    int node;
    if (emit(c, IMP_OP_CONCAT, NULL, c->n_in, ins, out_value(c, 0), &node) >= 0)
        tfl_set_int(r, node, "axis", axis);
    return status_of(c);
}

static enum imp_status shape_op(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = need_options(c, O_SHAPE);
    if (st != IMP_OK)
        return st;
    int x = in_value(c, 0), y = out_value(c, 0);
    int out_type = c->r->tensors[c->out[0]].type;
    if (out_type == TFL_INT64) {
        emit(c, IMP_OP_SHAPE, NULL, 1, &x, y, NULL);
    } else if (out_type == TFL_INT32) {
        int s = emit_i64_temp(c, IMP_OP_SHAPE, "/i64", 1, &x, NULL), node;
        if (emit(c, IMP_OP_CAST, NULL, 1, &s, y, &node) >= 0)
            tfl_set_int(c->r, node, "to", ONNX_T_INT32);
    } else {
        return tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED, "output type %d", out_type);
    }
    return status_of(c);
}

/* STRIDED_SLICE -> Slice (+ Squeeze for shrunk axes). Masks are bit sets
 * over the axes of begin/end/strides. */
static enum imp_status strided_slice(struct op_ctx *c)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 4, 4, 1);
    if (st == IMP_OK)
        st = need_options(c, O_STRIDED_SLICE);
    if (st != IMP_OK)
        return st;
    const struct imp_fb_table *o = &c->opts;
    uint32_t begin_mask = (uint32_t)imp_fb_i32(o, 0, 0);
    uint32_t end_mask = (uint32_t)imp_fb_i32(o, 1, 0);
    uint32_t shrink = (uint32_t)imp_fb_i32(o, 4, 0);
    if (imp_fb_i32(o, 2, 0) || imp_fb_i32(o, 3, 0) || imp_fb_bool(o, 5, false))
        return tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                           "ellipsis_mask, new_axis_mask and offset are not "
                           "supported");
    int64_t b[IMP_MAX_RANK], e[IMP_MAX_RANK], s[IMP_MAX_RANK];
    int nb = tfl_const_ints(r, c->in[1], b, IMP_MAX_RANK);
    int ne = nb >= 0 ? tfl_const_ints(r, c->in[2], e, IMP_MAX_RANK) : -1;
    int ns = ne >= 0 ? tfl_const_ints(r, c->in[3], s, IMP_MAX_RANK) : -1;
    if (ns < 0)
        return status_of(c);
    if (nb != ne || nb != ns)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "begin/end/strides lengths %d/%d/%d",
                           nb, ne, ns);
    int64_t axes[IMP_MAX_RANK], sq[IMP_MAX_RANK];
    int nsq = 0;
    for (int i = 0; i < nb; i++) {
        axes[i] = i;
        if (s[i] == 0)
            return tfl_op_fail(r, IMP_ERR_FORMAT, "stride %d is zero", i);
        bool fwd = s[i] > 0;
        if (begin_mask >> i & 1)
            b[i] = fwd ? 0 : INT64_MAX;
        if (shrink >> i & 1) {
            /* One element at begin; -1 would make end 0, so run to the end. */
            e[i] = b[i] == -1 ? INT64_MAX : b[i] + 1;
            s[i] = 1;
            sq[nsq++] = i;
        } else if (end_mask >> i & 1) {
            e[i] = fwd ? INT64_MAX : INT64_MIN;
        }
    }
    char name[600];
    int ins[5] = {in_value(c, 0), -1, -1, -1, -1};
    const char *sfx[4] = {"/starts", "/ends", "/axes", "/steps"};
    int64_t *vals[4] = {b, e, axes, s};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s%s", c->name, sfx[i]);
        ins[i + 1] = tfl_const_i64(r, name, vals[i], nb);
    }
    int y = out_value(c, 0);
    enum imp_dtype dt = ins[0] >= 0 ? r->g->values[ins[0]].dtype : IMP_DTYPE_F32;
    int sl = y;
    if (nsq) {
        sl = tfl_temp(r, c->name, "/slice", dt);
        if (sl < 0)
            return status_of(c);
    }
    sl = emit(c, IMP_OP_SLICE, nsq ? "/slice" : NULL, 5, ins, sl, NULL);
    if (nsq && sl >= 0) {
        snprintf(name, sizeof name, "%s/squeeze_axes", c->name);
        int sq_in[2] = {sl, tfl_const_i64(r, name, sq, nsq)};
        emit(c, IMP_OP_SQUEEZE, NULL, 2, sq_in, y, NULL);
    }
    return status_of(c);
}

static enum imp_status slice(struct op_ctx *c)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 3, 3, 1);
    if (st != IMP_OK)
        return st;
    int64_t b[IMP_MAX_RANK], n[IMP_MAX_RANK], e[IMP_MAX_RANK];
    int nb = tfl_const_ints(r, c->in[1], b, IMP_MAX_RANK);
    int nn = nb >= 0 ? tfl_const_ints(r, c->in[2], n, IMP_MAX_RANK) : -1;
    if (nn < 0)
        return status_of(c);
    if (nb != nn)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "begin/size lengths %d/%d", nb, nn);
    for (int i = 0; i < nb; i++) {
        if (b[i] < 0 || n[i] < -1 || b[i] > INT32_MAX || n[i] > INT32_MAX)
            return tfl_op_fail(r, IMP_ERR_FORMAT, "begin %lld, size %lld",
                               (long long)b[i], (long long)n[i]);
        e[i] = n[i] == -1 ? INT64_MAX : b[i] + n[i];
    }
    char name[600];
    snprintf(name, sizeof name, "%s/starts", c->name);
    int ins[3] = {in_value(c, 0), tfl_const_i64(r, name, b, nb), -1};
    snprintf(name, sizeof name, "%s/ends", c->name);
    ins[2] = tfl_const_i64(r, name, e, nb);
    emit(c, IMP_OP_SLICE, NULL, 3, ins, out_value(c, 0), NULL);
    return status_of(c);
}

static enum imp_status gather(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 2, 2, 1);
    if (st == IMP_OK)
        st = need_options(c, O_GATHER);
    if (st != IMP_OK)
        return st;
    if (imp_fb_i32(&c->opts, 1, 0) != 0)
        return tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED, "batch_dims is not supported");
    int ins[2] = {in_value(c, 0), in_value(c, 1)}, node;
    if (emit(c, IMP_OP_GATHER, NULL, 2, ins, out_value(c, 0), &node) >= 0)
        tfl_set_int(c->r, node, "axis", imp_fb_i32(&c->opts, 0, 0));
    return status_of(c);
}

static enum imp_status softmax(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st == IMP_OK)
        st = need_options(c, O_SOFTMAX);
    if (st != IMP_OK)
        return st;
    float beta = imp_fb_f32(&c->opts, 0, 1.0f);
    int x = in_value(c, 0), node;
    if (beta != 1.0f) {
        char name[600];
        snprintf(name, sizeof name, "%s/beta", c->name);
        int ins[2] = {x, tfl_const_f32_scalar(c->r, name, beta)};
        x = emit(c, IMP_OP_MUL, "/scaled", 2, ins, -1, NULL);
    }
    if (emit(c, IMP_OP_SOFTMAX, NULL, 1, &x, out_value(c, 0), &node) >= 0)
        tfl_set_int(c->r, node, "axis", -1);
    return status_of(c);
}

static enum imp_status cast(struct op_ctx *c)
{
    enum imp_status st = need_io(c, 1, 1, 1);
    if (st != IMP_OK)
        return st;
    int y = out_value(c, 0);
    if (y < 0)
        return status_of(c);
    /* ONNX TensorProto codes of our dtypes. */
    int to;
    switch (c->r->g->values[y].dtype) {
    case IMP_DTYPE_F32: to = ONNX_T_FLOAT; break;
    case IMP_DTYPE_I32: to = ONNX_T_INT32; break;
    case IMP_DTYPE_I64: to = ONNX_T_INT64; break;
    case IMP_DTYPE_U8: to = 2; break;
    case IMP_DTYPE_I8: to = 3; break;
    case IMP_DTYPE_BOOL: to = 9; break;
    case IMP_DTYPE_F64: to = 11; break;
    default:
        return tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED, "cast to this type");
    }
    int x = in_value(c, 0), node;
    if (emit(c, IMP_OP_CAST, NULL, 1, &x, y, &node) >= 0)
        tfl_set_int(c->r, node, "to", to);
    return status_of(c);
}

/* FULLY_CONNECTED: y = x W^T + b over the last dim of x. */
static enum imp_status fully_connected(struct op_ctx *c)
{
    struct tfl_reader *r = c->r;
    enum imp_status st = need_io(c, 2, 3, 1);
    if (st == IMP_OK)
        st = need_options(c, O_FULLY_CONNECTED);
    int act = imp_fb_i8(&c->opts, 0, 0);
    if (st == IMP_OK)
        st = check_act(c, act);
    if (st != IMP_OK)
        return st;
    if (imp_fb_i8(&c->opts, 1, 0) != 0)
        return tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "shuffled weights format");
    if (imp_fb_bool(&c->opts, 2, false))
        return tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "keep_num_dims");
    if (!tfl_is_const(r, c->in[1]))
        return tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "weights must be constant");
    int w = tfl_const_value(r, c->in[1]);
    if (w < 0)
        return status_of(c);
    const struct imp_value *wv = &r->g->values[w];
    if (wv->shape.rank != 2 || wv->dtype != IMP_DTYPE_F32)
        return tfl_op_fail(r, IMP_ERR_FORMAT, "weights must be 2-D float");
    int64_t units = wv->shape.d[0], depth = wv->shape.d[1];
    int b = bias(c, 2, units);
    if (r->failed)
        return status_of(c);
    char name[600];
    snprintf(name, sizeof name, "%s/flat_shape", c->name);
    int64_t flat[2] = {-1, depth};
    int rs_in[2] = {in_value(c, 0), tfl_const_i64(r, name, flat, 2)};
    int x2 = emit(c, IMP_OP_RESHAPE, "/flat", 2, rs_in, -1, NULL);
    int y = out_value(c, 0);
    int ins[3] = {x2, w, b}, node;
    int gemm = emit(c, IMP_OP_GEMM, act ? "/gemm" : NULL, b >= 0 ? 3 : 2, ins,
                    act ? -1 : y, &node);
    if (gemm >= 0 && tfl_set_int(r, node, "transB", 1) == IMP_OK && act)
        add_act(c, gemm, act, y);
    return status_of(c);
}

/* ---- dispatch ------------------------------------------------------------------------ */

static enum imp_status custom(struct op_ctx *c, const char *name,
                              const struct imp_fb_table *op)
{
    if (!name)
        return tfl_op_fail(c->r, IMP_ERR_FORMAT, "custom operator without a name");
    if (strcmp(name, "Convolution2DTransposeBias") == 0) {
        struct imp_fb_vec copts;
        imp_fb_vector(op, OP_CUSTOM_OPTIONS, 1, &copts);
        return conv2d_transpose_bias(c, &copts);
    }
    return tfl_op_fail(c->r, IMP_ERR_UNSUPPORTED,
                       "custom operator '%s' is not supported", name);
}

enum imp_status tfl_translate_op(struct tfl_reader *r, int index,
                                 const struct imp_fb_table *op)
{
    struct op_ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    uint32_t code_index = imp_fb_u32(op, OP_OPCODE, 0); /* checked in scan */
    c.code = r->codes[code_index];
    r->op_index = index;
    r->op_name = tfl_op_name(c.code);
    struct imp_fb_vec in, out;
    imp_fb_vector(op, OP_INPUTS, 4, &in);
    imp_fb_vector(op, OP_OUTPUTS, 4, &out);
    if (in.n > MAX_IO || out.n > MAX_IO || out.n == 0)
        return tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "%u inputs, %u outputs",
                           in.n, out.n);
    c.n_in = (int)in.n;
    c.n_out = (int)out.n;
    for (int k = 0; k < c.n_in; k++)
        c.in[k] = imp_fb_vec_i32(&in, (uint32_t)k);
    for (int k = 0; k < c.n_out; k++)
        c.out[k] = imp_fb_vec_i32(&out, (uint32_t)k);
    bool present;
    c.opts_type = imp_fb_union(op, OP_OPTIONS_TYPE, &c.opts, &present);
    if (imp_fb_bad(&r->fb))
        return tfl_op_fail(r, IMP_ERR_FORMAT, "%s at byte %zu", r->fb.bad_what,
                           r->fb.bad_at);
    if (!present)
        c.opts_type = 0;
    c.name = r->tensors[c.out[0]].name;

    switch (c.code) {
    case B_ADD: return binary(&c, IMP_OP_ADD, O_ADD, 0);
    case B_SUB: return binary(&c, IMP_OP_SUB, O_SUB, 0);
    case B_MUL: return binary(&c, IMP_OP_MUL, O_MUL, 0);
    case B_DIV: return binary(&c, IMP_OP_DIV, O_DIV, 0);
    case B_POW: return binary(&c, IMP_OP_POW, O_POW, -1);
    case B_PRELU: return binary(&c, IMP_OP_PRELU, 0, -1);
    case B_SQUARED_DIFFERENCE: return squared_difference(&c);
    case B_CONV_2D: return conv2d(&c, false);
    case B_DEPTHWISE_CONV_2D: return conv2d(&c, true);
    case B_TRANSPOSE_CONV: return transpose_conv(&c);
    case B_AVERAGE_POOL_2D: return pool2d(&c, true);
    case B_MAX_POOL_2D: return pool2d(&c, false);
    case B_RESIZE_BILINEAR: return resize(&c, true);
    case B_RESIZE_NEAREST_NEIGHBOR: return resize(&c, false);
    case B_LOGISTIC: return unary(&c, IMP_OP_SIGMOID);
    case B_HARD_SWISH: return unary(&c, IMP_OP_HARD_SWISH);
    case B_SQRT: return unary(&c, IMP_OP_SQRT);
    case B_RSQRT: return rsqrt(&c);
    case B_RELU: return activation(&c, TFL_ACT_RELU);
    case B_RELU6: return activation(&c, TFL_ACT_RELU6);
    case B_RELU_N1_TO_1: return activation(&c, TFL_ACT_RELU_N1_TO_1);
    case B_TANH: return activation(&c, TFL_ACT_TANH);
    case B_LEAKY_RELU: return leaky_relu(&c);
    case B_QUANTIZE: case B_DEQUANTIZE: return requantize(&c);
    case B_MEAN: return mean(&c);
    case B_PAD: return pad(&c, false, false);
    case B_PADV2: return pad(&c, false, true);
    case B_MIRROR_PAD: return pad(&c, true, false);
    case B_RESHAPE: return reshape(&c);
    case B_SQUEEZE: return squeeze(&c);
    case B_EXPAND_DIMS: return expand_dims(&c);
    case B_TRANSPOSE: return transpose_op(&c);
    case B_CONCATENATION: return concatenation(&c);
    case B_PACK: return pack(&c);
    case B_SHAPE: return shape_op(&c);
    case B_STRIDED_SLICE: return strided_slice(&c);
    case B_SLICE: return slice(&c);
    case B_GATHER: return gather(&c);
    case B_SOFTMAX: return softmax(&c);
    case B_CAST: return cast(&c);
    case B_FULLY_CONNECTED: return fully_connected(&c);
    case B_CUSTOM: return custom(&c, r->custom[code_index], op);
    default:
        if (r->op_name)
            return tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "operator is not supported");
        return tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                           "unknown builtin operator code %d", c.code);
    }
}
