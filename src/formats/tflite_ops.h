/*
 * Operator translation internals shared by tflite_ops.c (context,
 * element-wise operators, dispatch), tflite_conv.c (layout-sensitive
 * operators) and tflite_shape.c (reductions, shapes, data movement).
 */
#ifndef IMP_TFLITE_OPS_H
#define IMP_TFLITE_OPS_H

#include "formats/tflite_priv.h"

/* Most inputs or outputs one operator may have. */
#define IMP_TFL_MAX_IO 64

/* BuiltinOptions union members (the options table types). */
enum {
    IMP_TFL_OPT_CONV2D = 1,
    IMP_TFL_OPT_DEPTHWISE = 2,
    IMP_TFL_OPT_POOL2D = 5,
    IMP_TFL_OPT_FULLY_CONNECTED = 8,
    IMP_TFL_OPT_SOFTMAX = 9,
    IMP_TFL_OPT_CONCATENATION = 10,
    IMP_TFL_OPT_ADD = 11,
    IMP_TFL_OPT_RESIZE_BILINEAR = 15,
    IMP_TFL_OPT_RESHAPE = 17,
    IMP_TFL_OPT_MUL = 21,
    IMP_TFL_OPT_PAD = 22,
    IMP_TFL_OPT_GATHER = 23,
    IMP_TFL_OPT_TRANSPOSE = 26,
    IMP_TFL_OPT_REDUCER = 27,
    IMP_TFL_OPT_SUB = 28,
    IMP_TFL_OPT_DIV = 29,
    IMP_TFL_OPT_SQUEEZE = 30,
    IMP_TFL_OPT_STRIDED_SLICE = 32,
    IMP_TFL_OPT_CAST = 37,
    IMP_TFL_OPT_DEQUANTIZE = 38,
    IMP_TFL_OPT_PADV2 = 43,
    IMP_TFL_OPT_SLICE = 48,
    IMP_TFL_OPT_TRANSPOSE_CONV = 49,
    IMP_TFL_OPT_EXPAND_DIMS = 52,
    IMP_TFL_OPT_SHAPE = 55,
    IMP_TFL_OPT_POW = 56,
    IMP_TFL_OPT_PACK = 59,
    IMP_TFL_OPT_RESIZE_NEAREST = 74,
    IMP_TFL_OPT_LEAKY_RELU = 75,
    IMP_TFL_OPT_SQUARED_DIFFERENCE = 76,
    IMP_TFL_OPT_MIRROR_PAD = 77,
    IMP_TFL_OPT_QUANTIZE = 89,
    IMP_TFL_OPT_HARD_SWISH = 91,
    IMP_TFL_OPT_DEPTH_TO_SPACE = 94,
};

/* One operator being translated. */
struct imp_tfl_op {
    struct imp_tfl_reader *r;
    int32_t code;
    int n_in, n_out;
    int in[IMP_TFL_MAX_IO]; /* tensor indices; -1 = omitted */
    int out[IMP_TFL_MAX_IO];
    uint8_t opts_type;
    struct imp_fb_table opts; /* zeroed (all defaults) when absent */
    const char *name;         /* first output's name, for node names */
};

/* Input k's tensor (k must name a present input). */
const struct imp_tfl_tensor *imp_tfl_in_tensor(const struct imp_tfl_op *c, int k);
/* Input count within [min_in, max_in] with the first min_in present, and
 * exactly n_out outputs; else a format error. */
enum imp_status imp_tfl_need_io(struct imp_tfl_op *c, int min_in, int max_in,
                                int n_out);
/* The options table is of union member `type`, or absent. */
enum imp_status imp_tfl_need_options(struct imp_tfl_op *c, uint8_t type);
/* Graph value of input k (-1 when omitted or on failure) / output k. */
int imp_tfl_in(struct imp_tfl_op *c, int k);
int imp_tfl_out(struct imp_tfl_op *c, int k);
/* A node with one output written to dst, or to a new float temp named
 * after the operator + suffix when dst < 0. Returns the output value or
 * -1; *node (may be NULL) gets the node index for attributes. */
int imp_tfl_emit(struct imp_tfl_op *c, enum imp_op op, const char *suffix, int n_in,
                 const int *in, int dst, int *node);
/* The same into a new int64 temp (shape arithmetic). */
int imp_tfl_emit_i64(struct imp_tfl_op *c, enum imp_op op, const char *suffix, int n_in,
                     const int *in, int *node);
/* IMP_OK, or the status of the error some helper already reported. */
enum imp_status imp_tfl_status(struct imp_tfl_op *c);
/* Fused activations we translate: NONE, RELU, RELU_N1_TO_1, RELU6, TANH. */
enum imp_status imp_tfl_check_act(struct imp_tfl_op *c, int act);
/* act(src) into dst (a temp when dst < 0); with no activation, src itself
 * (dst must then be < 0). */
int imp_tfl_act(struct imp_tfl_op *c, int src, int act, int dst);

/* The NCHW view of input k (made by one shared Transpose if it has none
 * yet); -1 on failure. */
int imp_tfl_nchw_in(struct imp_tfl_op *c, int k);
/* Write output 0 as NHWC from its NCHW form `src` and remember `src` as
 * its NCHW view. */
void imp_tfl_nhwc_out(struct imp_tfl_op *c, int src);
/* Optional constant float bias of `count` elements at input k: its
 * value, or -1 (none, or an error that is then reported). */
int imp_tfl_bias(struct imp_tfl_op *c, int k, int64_t count);

/* tflite_conv.c */
enum imp_status imp_tfl_conv2d(struct imp_tfl_op *c, bool depthwise);
enum imp_status imp_tfl_pool2d(struct imp_tfl_op *c, bool average);
enum imp_status imp_tfl_transpose_conv(struct imp_tfl_op *c);
enum imp_status imp_tfl_conv2d_transpose_bias(struct imp_tfl_op *c,
                                              const struct imp_fb_vec *copts);
enum imp_status imp_tfl_resize(struct imp_tfl_op *c, bool bilinear);
enum imp_status imp_tfl_depth_to_space(struct imp_tfl_op *c);

/* tflite_shape.c */
enum imp_status imp_tfl_mean(struct imp_tfl_op *c);
enum imp_status imp_tfl_pad(struct imp_tfl_op *c, bool mirror, bool v2);
enum imp_status imp_tfl_reshape(struct imp_tfl_op *c);
enum imp_status imp_tfl_squeeze(struct imp_tfl_op *c);
enum imp_status imp_tfl_expand_dims(struct imp_tfl_op *c);
enum imp_status imp_tfl_transpose_op(struct imp_tfl_op *c);
enum imp_status imp_tfl_concatenation(struct imp_tfl_op *c);
enum imp_status imp_tfl_pack(struct imp_tfl_op *c);
enum imp_status imp_tfl_shape_op(struct imp_tfl_op *c);
enum imp_status imp_tfl_strided_slice(struct imp_tfl_op *c);
enum imp_status imp_tfl_slice(struct imp_tfl_op *c);
enum imp_status imp_tfl_gather(struct imp_tfl_op *c);
enum imp_status imp_tfl_softmax(struct imp_tfl_op *c);
enum imp_status imp_tfl_cast(struct imp_tfl_op *c);
enum imp_status imp_tfl_fully_connected(struct imp_tfl_op *c);

#endif
