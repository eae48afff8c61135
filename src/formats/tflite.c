/*
 * TFLite (schema v3) reader: file structure, tensors and constants.
 * Operators are translated in tflite_ops.c (dispatch, element-wise),
 * tflite_conv.c and tflite_shape.c; tflite_graph.c has the helpers.
 *
 * Field numbers below are declaration indices in tensorflow/lite's
 * schema.fbs (a union takes two: its type, then its value).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/util.h"
#include "formats/formats.h"
#include "formats/tflite_priv.h"

/* Model */
enum { MODEL_VERSION = 0, MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2,
       MODEL_DESCRIPTION = 3, MODEL_BUFFERS = 4, MODEL_METADATA = 6 };
enum { META_NAME = 0, META_BUFFER = 1 };
/* OperatorCode */
enum { OPC_DEPRECATED_CODE = 0, OPC_CUSTOM = 1, OPC_BUILTIN_CODE = 3 };
/* SubGraph */
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3 };
/* Tensor */
enum { TEN_SHAPE = 0, TEN_TYPE = 1, TEN_BUFFER = 2, TEN_NAME = 3,
       TEN_QUANT = 4, TEN_VARIABLE = 5, TEN_SPARSITY = 6,
       TEN_SIGNATURE = 7 };
/* QuantizationParameters */
enum { Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DETAILS_TYPE = 4, Q_DIM = 6 };
/* Buffer */
enum { BUF_DATA = 0, BUF_OFFSET = 1, BUF_SIZE = 2 };
/* Operator */
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2 };

#define IMP_TFL_DEQUANTIZE 6
#define IMP_TFL_QUANTIZE 114

bool imp_tflite_probe(const uint8_t *data, size_t size)
{
    return size >= 8 && memcmp(data + 4, "TFL3", 4) == 0;
}

static enum imp_status bad_bytes(struct imp_tfl_reader *r, const char *where)
{
    r->failed = true;
    return imp_fail(r->err, IMP_ERR_FORMAT, "%s: %s at byte %zu", where,
                    r->fb.bad_what ? r->fb.bad_what : "malformed flatbuffer",
                    r->fb.bad_at);
}

/* ---- tensors ------------------------------------------------------------ */

static size_t type_size(int type)
{
    switch (type) {
    case IMP_TFL_FLOAT32:
    case IMP_TFL_INT32: return 4;
    case IMP_TFL_FLOAT16:
    case IMP_TFL_INT16: return 2;
    case IMP_TFL_UINT8:
    case IMP_TFL_INT8:
    case IMP_TFL_BOOL: return 1;
    case IMP_TFL_INT64:
    case IMP_TFL_FLOAT64: return 8;
    default: return 0;
    }
}

static const char *type_name(int type)
{
    static const char *const names[] = {"FLOAT32",   "FLOAT16", "INT32",  "UINT8",
                                        "INT64",     "STRING",  "BOOL",   "INT16",
                                        "COMPLEX64", "INT8",    "FLOAT64"};
    return type >= 0 && type < (int)(sizeof names / sizeof *names) ? names[type]
                                                                   : "unknown";
}

/* The dtype a non-constant tensor has in the graph. Quantized and fp16
 * activations run in float32 (QUANTIZE/DEQUANTIZE become Identity). */
static enum imp_dtype activation_dtype(const struct imp_tfl_tensor *t)
{
    switch (t->type) {
    case IMP_TFL_FLOAT32:
    case IMP_TFL_FLOAT16: return IMP_DTYPE_F32;
    case IMP_TFL_INT8: return t->quantized ? IMP_DTYPE_F32 : IMP_DTYPE_I8;
    case IMP_TFL_UINT8: return t->quantized ? IMP_DTYPE_F32 : IMP_DTYPE_U8;
    case IMP_TFL_INT16: return IMP_DTYPE_F32;
    case IMP_TFL_INT32: return t->quantized ? IMP_DTYPE_F32 : IMP_DTYPE_I32;
    case IMP_TFL_INT64: return IMP_DTYPE_I64;
    case IMP_TFL_BOOL: return IMP_DTYPE_BOOL;
    case IMP_TFL_FLOAT64: return IMP_DTYPE_F64;
    default: return IMP_DTYPE_UNDEFINED;
    }
}

/* A buffer's bytes: the inline vector, or (files over 2 GB) an
 * offset/size pair relative to the start of the file. */
static enum imp_status buffer_bytes(struct imp_tfl_reader *r, uint32_t index,
                                    const char *tensor, const uint8_t **data,
                                    size_t *size)
{
    *data = NULL;
    *size = 0;
    struct imp_fb_table b;
    if (!imp_fb_vec_table(&r->buffers, index, &b))
        return bad_bytes(r, tensor);
    struct imp_fb_vec v;
    if (imp_fb_vector(&b, BUF_DATA, 1, &v) && v.n) {
        *data = imp_fb_vec_data(&v);
        *size = v.n;
    } else {
        uint64_t off = imp_fb_u64(&b, BUF_OFFSET, 0);
        uint64_t len = imp_fb_u64(&b, BUF_SIZE, 0);
        if (off > 1 && len) {
            if (off > r->fb.size || len > r->fb.size - off)
                return imp_fail(r->err, IMP_ERR_FORMAT,
                                "tensor '%s': buffer %u (offset %llu, %llu "
                                "bytes) lies past the end of the file",
                                tensor, index, (unsigned long long)off,
                                (unsigned long long)len);
            *data = r->fb.data + off;
            *size = (size_t)len;
        }
    }
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, tensor);
    return IMP_OK;
}

static enum imp_status read_tensor(struct imp_tfl_reader *r, uint32_t i,
                                   const struct imp_fb_vec *tensors)
{
    struct imp_tfl_tensor *t = &r->tensors[i];
    t->producer = t->alias = t->value = t->wvalue = t->nchw = -1;
    char where[32];
    snprintf(where, sizeof where, "tensor %u", i);
    if (!imp_fb_vec_table(tensors, i, &t->t))
        return bad_bytes(r, where);
    const char *s;
    size_t len;
    char fallback[32];
    if (!imp_fb_string(&t->t, TEN_NAME, &s, &len) || len == 0) {
        snprintf(fallback, sizeof fallback, "tensor%u", i);
        s = fallback;
    }
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, where);
    t->name = (char *)imp_tfl_unique_name(r, s, NULL);
    if (!t->name)
        return imp_tfl_nomem(r);

    t->type = imp_fb_i8(&t->t, TEN_TYPE, IMP_TFL_FLOAT32);
    if (!type_size(t->type))
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "tensor '%s': element type %s (%d) is not supported", t->name,
                        type_name(t->type), t->type);
    if (imp_fb_bool(&t->t, TEN_VARIABLE, false))
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "tensor '%s': variable (stateful) tensors are not "
                        "supported",
                        t->name);
    if (imp_fb_has(&t->t, TEN_SPARSITY))
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "tensor '%s': sparse tensors are not supported", t->name);

    struct imp_fb_vec shape, sig;
    t->shape_known = imp_fb_vector(&t->t, TEN_SHAPE, 4, &shape);
    bool has_sig = imp_fb_vector(&t->t, TEN_SIGNATURE, 4, &sig);
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, t->name);
    if (shape.n > IMP_MAX_RANK)
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED, "tensor '%s': rank %u exceeds %d",
                        t->name, shape.n, IMP_MAX_RANK);
    if (has_sig && sig.n != shape.n)
        return imp_fail(r->err, IMP_ERR_FORMAT,
                        "tensor '%s': shape_signature has rank %u, shape %u", t->name,
                        sig.n, shape.n);
    t->shape.rank = t->dflt.rank = (int)shape.n;
    for (uint32_t k = 0; k < shape.n; k++) {
        int32_t d = imp_fb_vec_i32(&shape, k);
        int32_t sd = has_sig ? imp_fb_vec_i32(&sig, k) : d;
        if (d < -1 || sd < -1)
            return imp_fail(r->err, IMP_ERR_FORMAT, "tensor '%s': dimension %u is %d",
                            t->name, k, d < -1 ? d : sd);
        t->dflt.d[k] = d;
        t->shape.d[k] = sd < 0 ? -1 : d;
    }

    /* Quantization: scales, zero points, and the axis they run along. */
    struct imp_fb_table q;
    if (imp_fb_table(&t->t, TEN_QUANT, &q)) {
        imp_fb_vector(&q, Q_SCALE, 4, &t->scale);
        imp_fb_vector(&q, Q_ZERO_POINT, 8, &t->zero_point);
        t->qdim = imp_fb_i32(&q, Q_DIM, 0);
        if (imp_fb_u8(&q, Q_DETAILS_TYPE, 0) != 0)
            return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                            "tensor '%s': custom quantization is not supported",
                            t->name);
        t->quantized = t->scale.n > 0;
        if (t->zero_point.n && t->zero_point.n != t->scale.n)
            return imp_fail(r->err, IMP_ERR_FORMAT,
                            "tensor '%s': %u zero points for %u scales", t->name,
                            t->zero_point.n, t->scale.n);
    }
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, t->name);

    uint32_t buf = imp_fb_u32(&t->t, TEN_BUFFER, 0);
    if (buf == 0)
        return IMP_OK; /* the empty sentinel: not a constant */
    if (buf >= r->buffers.n)
        return imp_fail(r->err, IMP_ERR_FORMAT,
                        "tensor '%s': buffer index %u out of range (%u buffers)",
                        t->name, buf, r->buffers.n);
    enum imp_status st = buffer_bytes(r, buf, t->name, &t->data, &t->nbytes);
    if (st != IMP_OK)
        return st;
    if (t->data) {
        int64_t count = imp_shape_count(&t->dflt);
        if (count < 0 || (uint64_t)count > SIZE_MAX / 8 ||
            (size_t)count * type_size(t->type) != t->nbytes)
            return imp_fail(r->err, IMP_ERR_FORMAT,
                            "tensor '%s': buffer %u holds %zu bytes, but %lld "
                            "elements of %s need %zu bytes each",
                            t->name, buf, t->nbytes, (long long)count,
                            type_name(t->type), (size_t)type_size(t->type));
    }
    return IMP_OK;
}

/* ---- constants ---------------------------------------------------------- */

static int resolve_alias(const struct imp_tfl_reader *r, int t)
{
    /* Aliases point from an operator's output to its input, set in
     * operator order, so chains are short and acyclic; the bound is a
     * belt for the braces. */
    for (uint32_t k = 0; k <= r->n_tensors && r->tensors[t].alias >= 0; k++)
        t = r->tensors[t].alias;
    return t;
}

bool imp_tfl_is_const(const struct imp_tfl_reader *r, int t)
{
    if (t < 0 || (uint32_t)t >= r->n_tensors)
        return false;
    return r->tensors[resolve_alias(r, t)].data != NULL;
}

/* Scale and zero point of element i of a quantized tensor. */
static enum imp_status dequantize(struct imp_tfl_reader *r,
                                  const struct imp_tfl_tensor *t, float *out,
                                  int64_t count)
{
    uint32_t nq = t->scale.n;
    int64_t inner = 1, axis_len = 1;
    if (nq > 1) {
        if (t->qdim < 0 || t->qdim >= t->dflt.rank || t->dflt.d[t->qdim] != nq)
            return imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                                   "tensor '%s': %u scales do not match dimension %d",
                                   t->name, nq, t->qdim);
        axis_len = nq;
        for (int k = t->qdim + 1; k < t->dflt.rank; k++)
            inner *= t->dflt.d[k];
    }
    const uint8_t *p = t->data;
    for (int64_t i = 0; i < count; i++) {
        uint32_t c = nq > 1 ? (uint32_t)((i / inner) % axis_len) : 0;
        float scale = imp_fb_vec_f32(&t->scale, c);
        int64_t zp = t->zero_point.n ? imp_fb_vec_i64(&t->zero_point, c) : 0;
        int64_t q;
        switch (t->type) {
        case IMP_TFL_INT8: q = (int8_t)p[i]; break;
        case IMP_TFL_UINT8: q = p[i]; break;
        case IMP_TFL_INT16: {
            int16_t v;
            memcpy(&v, p + 2 * i, 2);
            q = v;
            break;
        }
        case IMP_TFL_INT32: {
            int32_t v;
            memcpy(&v, p + 4 * i, 4);
            q = v;
            break;
        }
        default:
            return imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                                   "tensor '%s': quantized type %s is not supported",
                                   t->name, type_name(t->type));
        }
        /* In double: a hostile zero point (INT64_MIN) must not overflow. */
        out[i] = (float)((double)scale * ((double)q - (double)zp));
    }
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, t->name);
    return IMP_OK;
}

int imp_tfl_const_value(struct imp_tfl_reader *r, int ti)
{
    if (ti < 0 || (uint32_t)ti >= r->n_tensors) {
        imp_tfl_op_fail(r, IMP_ERR_FORMAT, "tensor index %d out of range", ti);
        return -1;
    }
    ti = resolve_alias(r, ti);
    struct imp_tfl_tensor *t = &r->tensors[ti];
    if (t->value >= 0)
        return t->value;
    if (!t->data) {
        imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "tensor '%s' must be a constant",
                        t->name);
        return -1;
    }
    int64_t count = imp_shape_count(&t->dflt);
    enum imp_dtype dtype;
    bool to_float =
        t->quantized || t->type == IMP_TFL_FLOAT16 || t->type == IMP_TFL_FLOAT32;
    if (to_float)
        dtype = IMP_DTYPE_F32;
    else if (t->type == IMP_TFL_INT16)
        dtype = IMP_DTYPE_I32;
    else
        dtype = activation_dtype(t);
    if (dtype == IMP_DTYPE_UNDEFINED) {
        imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "tensor '%s': constant of type %s",
                        t->name, type_name(t->type));
        return -1;
    }
    void *buf = imp_aligned_alloc((size_t)count * imp_dtype_size(dtype));
    if (!buf) {
        imp_tfl_nomem(r);
        return -1;
    }
    enum imp_status st = IMP_OK;
    if (t->quantized) {
        st = dequantize(r, t, buf, count);
    } else if (t->type == IMP_TFL_FLOAT16) {
        float *f = buf;
        for (int64_t i = 0; i < count; i++) {
            uint16_t h = (uint16_t)(t->data[2 * i] | (t->data[2 * i + 1] << 8));
            f[i] = imp_half_to_float(h);
        }
    } else if (t->type == IMP_TFL_INT16) {
        int32_t *o = buf;
        for (int64_t i = 0; i < count; i++) {
            int16_t v;
            memcpy(&v, t->data + 2 * i, 2);
            o[i] = v;
        }
    } else if (count) {
        memcpy(buf, t->data, t->nbytes);
    }
    int v = -1;
    if (st == IMP_OK)
        v = imp_tfl_const(r, t->name, dtype, &t->dflt, buf);
    imp_aligned_free(buf);
    t->value = v;
    return v;
}

int imp_tfl_const_ints(struct imp_tfl_reader *r, int ti, int64_t *out, int max)
{
    if (!imp_tfl_is_const(r, ti)) {
        imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "input tensor %d must be a constant",
                        ti);
        return -1;
    }
    const struct imp_tfl_tensor *t = &r->tensors[resolve_alias(r, ti)];
    int64_t count = imp_shape_count(&t->dflt);
    if (t->type != IMP_TFL_INT32 && t->type != IMP_TFL_INT64) {
        imp_tfl_op_fail(r, IMP_ERR_FORMAT, "tensor '%s' must be INT32 or INT64, not %s",
                        t->name, type_name(t->type));
        return -1;
    }
    if (count > max) {
        imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED,
                        "tensor '%s' has %lld elements, at "
                        "most %d expected",
                        t->name, (long long)count, max);
        return -1;
    }
    for (int64_t i = 0; i < count; i++) {
        if (t->type == IMP_TFL_INT32) {
            int32_t v;
            memcpy(&v, t->data + 4 * i, 4);
            out[i] = v;
        } else {
            memcpy(&out[i], t->data + 8 * i, 8);
        }
    }
    return (int)count;
}

int imp_tfl_value(struct imp_tfl_reader *r, int ti)
{
    if (ti < 0 || (uint32_t)ti >= r->n_tensors) {
        imp_tfl_op_fail(r, IMP_ERR_FORMAT, "tensor index %d out of range", ti);
        return -1;
    }
    ti = resolve_alias(r, ti);
    struct imp_tfl_tensor *t = &r->tensors[ti];
    if (t->value >= 0)
        return t->value;
    if (t->data)
        return imp_tfl_const_value(r, ti);
    enum imp_dtype dtype = activation_dtype(t);
    if (dtype == IMP_DTYPE_UNDEFINED) {
        imp_tfl_op_fail(r, IMP_ERR_UNSUPPORTED, "tensor '%s' of type %s", t->name,
                        type_name(t->type));
        return -1;
    }
    if (t->is_input) {
        t->value =
            imp_graph_add_value(r->g, t->name, IMP_VALUE_INPUT, dtype, &t->shape);
    } else {
        t->value =
            imp_graph_add_value(r->g, t->name, IMP_VALUE_ACTIVATION, dtype, NULL);
    }
    if (t->value < 0)
        imp_tfl_nomem(r);
    return t->value;
}

/* ---- model -------------------------------------------------------------- */

static enum imp_status read_opcodes(struct imp_tfl_reader *r,
                                    const struct imp_fb_table *model)
{
    struct imp_fb_vec codes;
    imp_fb_vector(model, MODEL_OPCODES, 4, &codes);
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, "operator_codes");
    r->n_codes = codes.n;
    r->codes = calloc((size_t)codes.n + 1, sizeof *r->codes);
    r->custom = calloc((size_t)codes.n + 1, sizeof *r->custom);
    if (!r->codes || !r->custom)
        return imp_tfl_nomem(r);
    for (uint32_t i = 0; i < codes.n; i++) {
        struct imp_fb_table c;
        imp_fb_vec_table(&codes, i, &c);
        /* Files from before the code space grew past 127 only have the
         * byte field; newer ones have both, and the larger one wins. */
        int32_t dep = imp_fb_i8(&c, OPC_DEPRECATED_CODE, 0);
        int32_t code = imp_fb_i32(&c, OPC_BUILTIN_CODE, 0);
        r->codes[i] = code > dep ? code : dep;
        const char *s;
        size_t len;
        if (imp_fb_string(&c, OPC_CUSTOM, &s, &len)) {
            char buf[128];
            snprintf(buf, sizeof buf, "%.*s", (int)(len < 100 ? len : 100), s);
            r->custom[i] = imp_strdup(buf);
            if (!r->custom[i])
                return imp_tfl_nomem(r);
        }
        if (imp_fb_bad(&r->fb)) {
            char where[48];
            snprintf(where, sizeof where, "operator code %u", i);
            return bad_bytes(r, where);
        }
    }
    return IMP_OK;
}

/* Index lists of the subgraph: every entry in range. */
static enum imp_status read_io(struct imp_tfl_reader *r, const struct imp_fb_table *sg,
                               int field, bool is_input)
{
    struct imp_fb_vec v;
    imp_fb_vector(sg, field, 4, &v);
    const char *what = is_input ? "input" : "output";
    for (uint32_t i = 0; i < v.n; i++) {
        int32_t ti = imp_fb_vec_i32(&v, i);
        if (ti < 0 || (uint32_t)ti >= r->n_tensors)
            return imp_fail(r->err, IMP_ERR_FORMAT,
                            "subgraph %s %u: tensor index %d out of range", what, i,
                            ti);
        struct imp_tfl_tensor *t = &r->tensors[ti];
        if ((t->type == IMP_TFL_INT8 || t->type == IMP_TFL_UINT8 ||
             t->type == IMP_TFL_INT16) &&
            t->quantized)
            return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                            "%s '%s' is quantized %s; only float model "
                            "inputs and outputs are supported",
                            what, t->name, type_name(t->type));
        if (is_input) {
            if (t->data)
                return imp_fail(r->err, IMP_ERR_FORMAT, "input '%s' has constant data",
                                t->name);
            if (t->is_input)
                continue; /* listed twice: one graph input */
            t->is_input = true;
            int val = imp_tfl_value(r, ti);
            if (val < 0)
                return r->err ? r->err->status : IMP_ERR_NOMEM;
            if (imp_graph_add_input(r->g, val) != IMP_OK)
                return imp_tfl_nomem(r);
        } else {
            t->is_output = true;
        }
    }
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, is_input ? "subgraph inputs" : "subgraph outputs");
    return IMP_OK;
}

/* First pass over the operators: check indices, note producers, and
 * resolve QUANTIZE/DEQUANTIZE of constants into aliases (so weights behind
 * them are constants when their consumers are translated). */
static enum imp_status scan_ops(struct imp_tfl_reader *r, const struct imp_fb_vec *ops)
{
    for (uint32_t i = 0; i < ops->n; i++) {
        struct imp_fb_table op;
        struct imp_fb_vec in, out;
        imp_fb_vec_table(ops, i, &op);
        uint32_t code = imp_fb_u32(&op, OP_OPCODE, 0);
        imp_fb_vector(&op, OP_INPUTS, 4, &in);
        imp_fb_vector(&op, OP_OUTPUTS, 4, &out);
        if (imp_fb_bad(&r->fb)) {
            char where[48];
            snprintf(where, sizeof where, "operator %u", i);
            return bad_bytes(r, where);
        }
        r->op_index = (int)i;
        r->op_name = NULL;
        if (code >= r->n_codes)
            return imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                                   "opcode index %u out of range (%u codes)", code,
                                   r->n_codes);
        r->op_name = imp_tfl_op_name(r->codes[code]);
        for (uint32_t k = 0; k < in.n; k++) {
            int32_t ti = imp_fb_vec_i32(&in, k);
            if (ti < -1 || ti >= (int64_t)r->n_tensors)
                return imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                                       "input %u: tensor index %d out of range", k, ti);
        }
        for (uint32_t k = 0; k < out.n; k++) {
            int32_t ti = imp_fb_vec_i32(&out, k);
            if (ti < 0 || (uint32_t)ti >= r->n_tensors)
                return imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                                       "output %u: tensor index %d out of range", k,
                                       ti);
            struct imp_tfl_tensor *t = &r->tensors[ti];
            if (t->producer >= 0)
                return imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                                       "tensor '%s' is also written by operator %d",
                                       t->name, t->producer);
            if (t->data || t->is_input)
                return imp_tfl_op_fail(r, IMP_ERR_FORMAT,
                                       "writes tensor '%s', which is a %s", t->name,
                                       t->data ? "constant" : "model input");
            t->producer = (int)i;
        }
        int32_t c = r->codes[code];
        if ((c == IMP_TFL_DEQUANTIZE || c == IMP_TFL_QUANTIZE) && in.n == 1 &&
            out.n == 1) {
            int32_t src = imp_fb_vec_i32(&in, 0);
            int32_t dst = imp_fb_vec_i32(&out, 0);
            if (src >= 0 && src != dst && imp_tfl_is_const(r, src) &&
                !r->tensors[dst].is_output)
                r->tensors[dst].alias = src;
        }
    }
    r->op_index = -1;
    r->op_name = NULL;
    return IMP_OK;
}

/* Text a person would read: the metadata rules, and no control bytes
 * but tabs and line breaks (the binary entries, like TFLITE_METADATA's
 * flatbuffer, fail this and are left out). */
static bool plain_text(const char *s, size_t n)
{
    if (imp_metadata_check(s, n, false))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            return false;
    }
    return true;
}

static enum imp_status add_meta(struct imp_tfl_reader *r, const char *key,
                                const char *text, size_t n)
{
    struct imp_metadata *meta = &r->g->meta;
    if (imp_metadata_check(key, strlen(key), true) || imp_metadata_find(meta, key) ||
        meta->n >= IMP_META_MAX_ENTRIES || !plain_text(text, n))
        return IMP_OK;
    char *v = malloc(n + 1);
    if (!v)
        return imp_tfl_nomem(r);
    memcpy(v, text, n);
    v[n] = '\0';
    bool ok = imp_metadata_set(meta, key, v);
    free(v);
    return ok ? IMP_OK : imp_tfl_nomem(r);
}

/* Model.description and the Model.metadata entries whose buffers hold
 * plain text (e.g. min_runtime_version), by their own names. Trailing NUL
 * padding is not part of the text. */
static enum imp_status read_metadata(struct imp_tfl_reader *r,
                                     const struct imp_fb_table *model)
{
    const char *s;
    size_t n;
    enum imp_status st = IMP_OK;
    if (imp_fb_string(model, MODEL_DESCRIPTION, &s, &n) && n)
        st = add_meta(r, "tflite.description", s, n);
    struct imp_fb_vec entries;
    imp_fb_vector(model, MODEL_METADATA, 4, &entries);
    for (uint32_t i = 0; st == IMP_OK && i < entries.n && !imp_fb_bad(&r->fb); i++) {
        struct imp_fb_table e;
        const char *name;
        size_t name_len;
        if (!imp_fb_vec_table(&entries, i, &e) ||
            !imp_fb_string(&e, META_NAME, &name, &name_len) || strlen(name) != name_len)
            continue;
        uint32_t buf = imp_fb_u32(&e, META_BUFFER, 0);
        if (buf == 0 || buf >= r->buffers.n)
            continue;
        const uint8_t *d;
        size_t len;
        st = buffer_bytes(r, buf, name, &d, &len);
        while (st == IMP_OK && len > 0 && d[len - 1] == 0)
            len--;
        if (st == IMP_OK && d && len)
            st = add_meta(r, name, (const char *)d, len);
    }
    if (st == IMP_OK && imp_fb_bad(&r->fb))
        return bad_bytes(r, "metadata");
    return st;
}

static enum imp_status read_model(struct imp_tfl_reader *r)
{
    struct imp_fb_table model;
    if (!imp_fb_root(&r->fb, "TFL3", &model))
        return bad_bytes(r, "header");
    uint32_t version = imp_fb_u32(&model, MODEL_VERSION, 0);
    if (version != 3)
        return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                        "schema version %u (only 3 is supported)", version);
    enum imp_status st = read_opcodes(r, &model);
    if (st != IMP_OK)
        return st;
    imp_fb_vector(&model, MODEL_BUFFERS, 4, &r->buffers);
    struct imp_fb_vec subgraphs;
    imp_fb_vector(&model, MODEL_SUBGRAPHS, 4, &subgraphs);
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, "model");
    if (r->buffers.n > 0) {
        const uint8_t *d;
        size_t n;
        st = buffer_bytes(r, 0, "buffer 0", &d, &n);
        if (st != IMP_OK)
            return st;
        if (d)
            return imp_fail(r->err, IMP_ERR_FORMAT,
                            "buffer 0 must be the empty sentinel, holds %zu bytes", n);
    }
    if (subgraphs.n == 0)
        return imp_fail(r->err, IMP_ERR_FORMAT, "model has no subgraph");
    /* Only the main subgraph runs; others (control flow) are unsupported
     * and refused when an operator calls them. */
    struct imp_fb_table sg;
    imp_fb_vec_table(&subgraphs, 0, &sg);
    struct imp_fb_vec tensors, ops;
    imp_fb_vector(&sg, SG_TENSORS, 4, &tensors);
    imp_fb_vector(&sg, SG_OPERATORS, 4, &ops);
    if (imp_fb_bad(&r->fb))
        return bad_bytes(r, "subgraph 0");

    r->n_tensors = tensors.n;
    r->tensors = calloc((size_t)tensors.n + 1, sizeof *r->tensors);
    if (!r->tensors)
        return imp_tfl_nomem(r);
    for (uint32_t i = 0; i < tensors.n; i++) {
        st = read_tensor(r, i, &tensors);
        if (st != IMP_OK)
            return st;
    }
    st = read_io(r, &sg, SG_INPUTS, true);
    if (st == IMP_OK)
        st = read_io(r, &sg, SG_OUTPUTS, false);
    if (st == IMP_OK)
        st = scan_ops(r, &ops);
    if (st != IMP_OK)
        return st;

    for (uint32_t i = 0; i < ops.n; i++) {
        struct imp_fb_table op;
        imp_fb_vec_table(&ops, i, &op);
        if (imp_fb_bad(&r->fb))
            return bad_bytes(r, "operators");
        st = imp_tfl_translate_op(r, (int)i, &op);
        if (st != IMP_OK)
            return st;
        if (imp_fb_bad(&r->fb)) {
            char where[48];
            snprintf(where, sizeof where, "operator %u", i);
            return bad_bytes(r, where);
        }
    }
    r->op_index = -1;
    r->op_name = NULL;

    struct imp_fb_vec outs;
    imp_fb_vector(&sg, SG_OUTPUTS, 4, &outs);
    if (outs.n == 0)
        return imp_fail(r->err, IMP_ERR_FORMAT, "subgraph 0 has no outputs");
    for (uint32_t i = 0; i < outs.n; i++) {
        int32_t ti = imp_fb_vec_i32(&outs, i);
        struct imp_tfl_tensor *t = &r->tensors[ti];
        if (t->producer < 0 && !t->is_input && !imp_tfl_is_const(r, ti))
            return imp_fail(r->err, IMP_ERR_FORMAT,
                            "output '%s' is not computed by any operator", t->name);
        int v = imp_tfl_value(r, ti);
        if (v < 0)
            return r->err ? r->err->status : IMP_ERR_FORMAT;
        if (imp_graph_add_output(r->g, v) != IMP_OK)
            return imp_tfl_nomem(r);
    }
    st = read_metadata(r, &model);
    if (st != IMP_OK)
        return st;
    return imp_graph_sort(r->g, r->err);
}

static void reader_release(struct imp_tfl_reader *r)
{
    for (size_t i = 0; i < r->names_cap; i++)
        free(r->names[i]);
    free(r->names);
    for (uint32_t i = 0; i < r->n_codes; i++)
        free(r->custom[i]);
    free(r->custom);
    free(r->codes);
    free(r->tensors);
}

enum imp_status imp_tflite_read(const uint8_t *data, size_t size, struct imp_graph *g,
                                struct imp_error *err)
{
    struct imp_error local;
    if (!err)
        err = &local;
    imp_error_clear(err);
    imp_graph_init(g);
    g->source_format = "tflite";
    struct imp_tfl_reader r;
    memset(&r, 0, sizeof r);
    r.g = g;
    r.err = err;
    r.op_index = -1;
    imp_fb_init(&r.fb, data, size);
    /* Dequantising int8 to float takes 4x, and re-laid-out weights one
     * more copy; anything far beyond that is a file sharing buffers to
     * make us allocate without bound. */
    r.const_cap = (uint64_t)size * 16 + (64u << 20);
    enum imp_status st = read_model(&r);
    reader_release(&r);
    if (st != IMP_OK) {
        if (err->status == IMP_OK)
            imp_fail(err, st, "failed");
        imp_error_prefix(err, "tflite");
        imp_graph_release(g);
        return st;
    }
    return IMP_OK;
}
