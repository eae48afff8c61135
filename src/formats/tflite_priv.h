/*
 * Internals of the TFLite reader, shared by tflite.c (file structure,
 * tensors, constants) and tflite_ops.c (operator translation).
 *
 * Every graph value mirrors one TFLite tensor in TFLite's own layout
 * (NHWC for images), so element-wise, shape and reduction operators
 * translate one to one. Only layout-sensitive operators (convolutions,
 * pooling, resizing) are wrapped in Transpose nodes to NCHW and back; a
 * later pass cancels adjacent pairs.
 */
#ifndef IMP_TFLITE_PRIV_H
#define IMP_TFLITE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"
#include "formats/fb.h"

/* TensorType */
enum {
    IMP_TFL_FLOAT32 = 0, IMP_TFL_FLOAT16 = 1, IMP_TFL_INT32 = 2, IMP_TFL_UINT8 = 3,
    IMP_TFL_INT64 = 4, IMP_TFL_STRING = 5, IMP_TFL_BOOL = 6, IMP_TFL_INT16 = 7,
    IMP_TFL_COMPLEX64 = 8, IMP_TFL_INT8 = 9, IMP_TFL_FLOAT64 = 10,
};

/* ONNX TensorProto element types, for Cast's `to`. */
enum { IMP_TFL_ONNX_FLOAT = 1, IMP_TFL_ONNX_INT32 = 6, IMP_TFL_ONNX_INT64 = 7 };

/* Fused activations (ActivationFunctionType). */
enum { IMP_TFL_ACT_NONE = 0, IMP_TFL_ACT_RELU = 1, IMP_TFL_ACT_RELU_N1_TO_1 = 2,
       IMP_TFL_ACT_RELU6 = 3, IMP_TFL_ACT_TANH = 4, IMP_TFL_ACT_SIGN_BIT = 5 };

/* Padding: SAME = 0, VALID = 1 in builtin options. */
enum { IMP_TFL_PAD_SAME = 0, IMP_TFL_PAD_VALID = 1 };

struct imp_tfl_tensor {
    struct imp_fb_table t;
    char *name;             /* unique within the graph                    */
    int type;               /* TensorType                                  */
    bool shape_known;       /* the file gives a shape (else: rank unknown) */
    struct imp_shape shape; /* file dims; -1 where shape_signature is */
    struct imp_shape dflt;  /* file dims as written (the default)     */
    const uint8_t *data;    /* constant bytes inside the file, or NULL    */
    size_t nbytes;
    /* Quantization (scale empty: none). Pointers into the file. */
    struct imp_fb_vec scale, zero_point;
    int qdim;
    bool quantized;
    bool is_input;  /* listed in the subgraph inputs               */
    bool is_output; /* listed in the subgraph outputs              */
    int producer;   /* operator writing it, or -1                  */
    int alias;      /* tensor whose value this one is (DEQUANTIZE of
                      * a constant), or -1                            */
    int value;      /* graph value, or -1 until created            */
    int wvalue;     /* cached re-laid-out weight value, or -1       */
    int wkind;      /* which re-layout wvalue holds                */
    int nchw;       /* the same data as NCHW (a layout op's result
                     * before its Transpose back, or the Transpose
                     * its consumers share), or -1                  */
};

struct imp_tfl_reader {
    struct imp_fb fb;
    struct imp_graph *g;
    struct imp_error *err;
    struct imp_tfl_tensor *tensors;
    uint32_t n_tensors;
    /* Operator codes: builtin code, or the custom name for CUSTOM. */
    int32_t *codes;
    char **custom;
    uint32_t n_codes;
    struct imp_fb_vec buffers;
    /* Names already given to values (open addressing, power of two). */
    char **names;
    size_t names_cap, names_used;
    /* Bytes of constants created so far, against a cap derived from the
     * file size, so shared buffers cannot multiply memory. */
    uint64_t const_bytes, const_cap;
    /* Sticky: some helper failed and set the error. */
    bool failed;
    /* The operator being translated, for messages. */
    int op_index;
    const char *op_name;
};

/* `base` + `suffix`, cut to a sane length and made unique among the
 * graph's names; owned by the reader. NULL when out of memory. */
const char *imp_tfl_unique_name(struct imp_tfl_reader *r, const char *base,
                                const char *suffix);
/* Report running out of memory (sets the sticky failure). */
enum imp_status imp_tfl_nomem(struct imp_tfl_reader *r);

/* Builtin operator name for messages ("CONV_2D"), or NULL. */
const char *imp_tfl_op_name(int32_t code);

/* Fail with "operator N (NAME): ..." context. */
enum imp_status imp_tfl_op_fail(struct imp_tfl_reader *r, enum imp_status st,
                                const char *fmt, ...) IMP_PRINTF(3, 4);

/* The graph value for tensor `t` (created on first use: activation,
 * input or constant). -1 with the error set on failure. */
int imp_tfl_value(struct imp_tfl_reader *r, int t);
/* A fresh value named after `base` + `suffix`, made unique. */
int imp_tfl_temp(struct imp_tfl_reader *r, const char *base, const char *suffix,
                 enum imp_dtype dtype);
/* A new constant (data copied); counts against the constant budget. */
int imp_tfl_const(struct imp_tfl_reader *r, const char *name, enum imp_dtype dtype,
                  const struct imp_shape *shape, const void *data);
int imp_tfl_const_i64(struct imp_tfl_reader *r, const char *name, const int64_t *v,
                      int n);
int imp_tfl_const_f32_scalar(struct imp_tfl_reader *r, const char *name, float v);
/* Add a node; -1 (error set) on failure. Its name is made from `name`. */
int imp_tfl_node(struct imp_tfl_reader *r, enum imp_op op, const char *name, int n_in,
                 const int *in, int n_out, const int *out);
/* Attribute setters that report NOMEM through the reader. */
enum imp_status imp_tfl_set_int(struct imp_tfl_reader *r, int node, const char *k,
                                int64_t v);
enum imp_status imp_tfl_set_ints(struct imp_tfl_reader *r, int node, const char *k,
                                 const int64_t *v, int n);
enum imp_status imp_tfl_set_float(struct imp_tfl_reader *r, int node, const char *k,
                                  float v);
enum imp_status imp_tfl_set_string(struct imp_tfl_reader *r, int node, const char *k,
                                   const char *v);

/* Whether tensor t (after following aliases) holds constant data. */
bool imp_tfl_is_const(const struct imp_tfl_reader *r, int t);
/* Constant tensor t as a graph constant value (materialised as float32
 * for float and quantized types); -1 with the error set otherwise. */
int imp_tfl_const_value(struct imp_tfl_reader *r, int t);
/* The constant's elements as int64 (integer tensors only, at most max);
 * returns the count, or -1 with the error set. */
int imp_tfl_const_ints(struct imp_tfl_reader *r, int t, int64_t *out, int max);

/* Translate operator `index` (table `op`). */
enum imp_status imp_tfl_translate_op(struct imp_tfl_reader *r, int index,
                                     const struct imp_fb_table *op);

#endif
