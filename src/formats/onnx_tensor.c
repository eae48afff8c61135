/* ONNX TensorProto and ValueInfoProto decoding. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "formats/onnx_priv.h"

/* TensorProto field numbers (onnx.proto). */
enum {
    T_DIMS = 1, T_DATA_TYPE = 2, T_SEGMENT = 3, T_FLOAT_DATA = 4,
    T_INT32_DATA = 5, T_STRING_DATA = 6, T_INT64_DATA = 7, T_NAME = 8,
    T_RAW_DATA = 9, T_DOUBLE_DATA = 10, T_UINT64_DATA = 11,
    T_EXTERNAL_DATA = 13, T_DATA_LOCATION = 14,
};

/* TensorProto.DataType values. */
enum {
    ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_INT32 = 6,
    ONNX_INT64 = 7, ONNX_BOOL = 9, ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11,
};

enum imp_dtype imp_onnx_dtype(int32_t t)
{
    switch (t) {
    case ONNX_FLOAT: return IMP_DTYPE_F32;
    case ONNX_UINT8: return IMP_DTYPE_U8;
    case ONNX_INT8: return IMP_DTYPE_I8;
    case ONNX_INT32: return IMP_DTYPE_I32;
    case ONNX_INT64: return IMP_DTYPE_I64;
    case ONNX_BOOL: return IMP_DTYPE_BOOL;
    case ONNX_FLOAT16: return IMP_DTYPE_F16;
    case ONNX_DOUBLE: return IMP_DTYPE_F64;
    default: return IMP_DTYPE_UNDEFINED;
    }
}

const char *imp_onnx_dtype_name(int32_t t)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32",
        "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64",
        "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
        "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4"};
    if (t >= 0 && (size_t)t < sizeof names / sizeof names[0])
        return names[t];
    return "an unknown type";
}

enum imp_status imp_onnx_cstr(struct imp_pb *pb, const struct imp_pb_bytes *b,
                              size_t offset, char **out)
{
    *out = NULL;
    if (b->n && memchr(b->p, 0, b->n))
        return imp_pb_fail(pb, IMP_ERR_FORMAT,
                           "byte %zu: string contains a NUL byte", offset);
    char *s = malloc(b->n + 1);
    if (!s)
        return imp_pb_fail(pb, IMP_ERR_NOMEM, "out of memory");
    if (b->n)
        memcpy(s, b->p, b->n);
    s[b->n] = '\0';
    *out = s;
    return IMP_OK;
}

void imp_onnx_tensor_release(struct imp_onnx_tensor *t)
{
    free(t->name);
    imp_aligned_free(t->data);
    memset(t, 0, sizeof *t);
}

/* What the first scan of a TensorProto found. */
struct tensor_scan {
    int rank;
    int64_t dims[IMP_MAX_RANK];
    bool has_type;
    int32_t data_type;
    struct imp_pb_bytes name;
    size_t name_offset;
    bool has_raw;
    struct imp_pb_bytes raw;
    size_t n_float, n_int32, n_int64, n_double; /* element counts        */
    bool has_string, has_uint64, has_segment;
    int64_t location; /* data_location */
    bool has_external;
    struct imp_pb_bytes ext_location;
};

/* external_data entries are key/value pairs; remember "location". */
static enum imp_status scan_external(struct imp_pb *pb,
                                     const struct imp_pb_field *f,
                                     struct tensor_scan *s)
{
    struct imp_pb sub;
    struct imp_pb_field e;
    struct imp_pb_bytes key = {0}, value = {0};
    enum imp_status st = imp_pb_enter(pb, f, &sub);
    while (st == IMP_OK && imp_pb_next(&sub, &e)) {
        if (e.number == 1)
            st = imp_pb_bytes(&sub, &e, &key);
        else if (e.number == 2)
            st = imp_pb_bytes(&sub, &e, &value);
    }
    if (st == IMP_OK)
        st = sub.status;
    if (st == IMP_OK && key.n == 8 && memcmp(key.p, "location", 8) == 0)
        s->ext_location = value;
    s->has_external = true;
    return st;
}

static enum imp_status scan_tensor(struct imp_pb *pb, struct tensor_scan *s)
{
    struct imp_pb_field f;
    enum imp_status st = IMP_OK;
    memset(s, 0, sizeof *s);
    while (st == IMP_OK && imp_pb_next(pb, &f)) {
        size_t n = 0, got;
        switch (f.number) {
        case T_DIMS:
            st = imp_pb_count(pb, &f, IMP_PB_VARINT, &n);
            if (st != IMP_OK)
                break;
            if (n > (size_t)(IMP_MAX_RANK - s->rank))
                return imp_pb_fail(pb, IMP_ERR_UNSUPPORTED,
                                   "byte %zu: tensor has more than %d dims",
                                   f.offset, IMP_MAX_RANK);
            st = imp_pb_decode(pb, &f, IMP_PB_VARINT, s->dims + s->rank,
                               (size_t)(IMP_MAX_RANK - s->rank), &got);
            s->rank += (int)got;
            break;
        case T_DATA_TYPE:
            st = imp_pb_int32(pb, &f, &s->data_type);
            s->has_type = true;
            break;
        case T_SEGMENT: s->has_segment = true; break;
        case T_FLOAT_DATA:
            st = imp_pb_count(pb, &f, IMP_PB_FIXED32, &n);
            s->n_float += n;
            break;
        case T_INT32_DATA:
            st = imp_pb_count(pb, &f, IMP_PB_VARINT, &n);
            s->n_int32 += n;
            break;
        case T_STRING_DATA: s->has_string = true; break;
        case T_INT64_DATA:
            st = imp_pb_count(pb, &f, IMP_PB_VARINT, &n);
            s->n_int64 += n;
            break;
        case T_NAME:
            st = imp_pb_bytes(pb, &f, &s->name);
            s->name_offset = f.offset;
            break;
        case T_RAW_DATA:
            /* An optional bytes field: the last occurrence wins. */
            st = imp_pb_bytes(pb, &f, &s->raw);
            s->has_raw = true;
            break;
        case T_DOUBLE_DATA:
            st = imp_pb_count(pb, &f, IMP_PB_FIXED64, &n);
            s->n_double += n;
            break;
        case T_UINT64_DATA: s->has_uint64 = true; break;
        case T_EXTERNAL_DATA: st = scan_external(pb, &f, s); break;
        case T_DATA_LOCATION: st = imp_pb_int64(pb, &f, &s->location); break;
        default: break;
        }
    }
    return st != IMP_OK ? st : pb->status;
}


static enum imp_status tensor_fail(struct imp_pb *pb, const char *name,
                                   enum imp_status status, const char *fmt, ...)
    IMP_PRINTF(4, 5);

static enum imp_status tensor_fail(struct imp_pb *pb, const char *name,
                                   enum imp_status status, const char *fmt, ...)
{
    char what[IMP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return imp_pb_fail(pb, status, "tensor '%.100s': %s", name, what);
}

/* The typed field each element type keeps its values in. */
static uint32_t typed_field(enum imp_dtype t)
{
    switch (t) {
    case IMP_DTYPE_F32: return T_FLOAT_DATA;
    case IMP_DTYPE_F64: return T_DOUBLE_DATA;
    case IMP_DTYPE_I64: return T_INT64_DATA;
    default: return T_INT32_DATA; /* int32, fp16 bits, int8, uint8, bool */
    }
}

static const char *field_name(uint32_t number)
{
    switch (number) {
    case T_FLOAT_DATA: return "float_data";
    case T_DOUBLE_DATA: return "double_data";
    case T_INT64_DATA: return "int64_data";
    case T_INT32_DATA: return "int32_data";
    default: return "raw_data";
    }
}

static void to_host_order(void *data, size_t count, size_t size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t *p = data;
    for (size_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            uint8_t tmp = p[a];
            p[a] = p[b];
            p[b] = tmp;
        }
#else
    (void)data, (void)count, (void)size;
#endif
}

/* int32_data carries every narrow type; check each value fits. */
static enum imp_status narrow_from_int32(struct imp_pb *pb, const char *name,
                                         enum imp_dtype t, const int64_t *v,
                                         size_t count, void *dst)
{
    int64_t lo = INT32_MIN, hi = INT32_MAX;
    switch (t) {
    case IMP_DTYPE_F16: lo = 0, hi = 65535; break;
    case IMP_DTYPE_I8: lo = -128, hi = 127; break;
    case IMP_DTYPE_U8: lo = 0, hi = 255; break;
    case IMP_DTYPE_BOOL: lo = 0, hi = 1; break;
    default: break;
    }
    for (size_t i = 0; i < count; i++) {
        if (v[i] < lo || v[i] > hi)
            return tensor_fail(pb, name, IMP_ERR_FORMAT,
                               "int32_data[%zu] = %lld is out of range for %s",
                               i, (long long)v[i], imp_dtype_name(t));
        switch (t) {
        case IMP_DTYPE_F16: ((uint16_t *)dst)[i] = (uint16_t)v[i]; break;
        case IMP_DTYPE_I8: ((int8_t *)dst)[i] = (int8_t)v[i]; break;
        case IMP_DTYPE_U8:
        case IMP_DTYPE_BOOL: ((uint8_t *)dst)[i] = (uint8_t)v[i]; break;
        default: ((int32_t *)dst)[i] = (int32_t)v[i]; break;
        }
    }
    return IMP_OK;
}

/* Second scan: decode every chunk of field `number` into dst, in order. */
static enum imp_status decode_typed(struct imp_pb pb, const char *name,
                                    enum imp_dtype t, uint32_t number,
                                    size_t count, void *dst)
{
    enum imp_pb_wire kind = number == T_FLOAT_DATA ? IMP_PB_FIXED32 :
                            number == T_DOUBLE_DATA ? IMP_PB_FIXED64 :
                            IMP_PB_VARINT;
    int64_t *wide = NULL;
    void *out = dst;
    if (number == T_INT32_DATA) {
        wide = malloc(sizeof *wide * (count ? count : 1));
        if (!wide)
            return imp_pb_fail(&pb, IMP_ERR_NOMEM, "out of memory");
        out = wide;
    }
    size_t esize = kind == IMP_PB_FIXED32 ? 4 : 8, done = 0, got;
    struct imp_pb_field f;
    enum imp_status st = IMP_OK;
    while (st == IMP_OK && imp_pb_next(&pb, &f)) {
        if (f.number != number)
            continue;
        st = imp_pb_decode(&pb, &f, kind, (uint8_t *)out + done * esize,
                           count - done, &got);
        done += got;
    }
    if (st == IMP_OK)
        st = pb.status;
    if (st == IMP_OK && done != count)
        st = tensor_fail(&pb, name, IMP_ERR_FORMAT, "%s changed between scans",
                         field_name(number));
    if (st == IMP_OK && wide)
        st = narrow_from_int32(&pb, name, t, wide, count, dst);
    free(wide);
    return st;
}

enum imp_status imp_onnx_read_tensor(struct imp_pb *parent,
                                     const struct imp_pb_field *field,
                                     struct imp_onnx_tensor *t)
{
    memset(t, 0, sizeof *t);
    struct imp_pb pb, start;
    struct tensor_scan s;
    enum imp_status st = imp_pb_enter(parent, field, &pb);
    if (st != IMP_OK)
        return st;
    start = pb;
    st = scan_tensor(&pb, &s);
    if (st == IMP_OK)
        st = imp_onnx_cstr(&pb, &s.name, s.name_offset, &t->name);
    if (st != IMP_OK)
        return st;
    const char *nm = t->name;

    if (s.has_external || s.location == 1) {
        int n = s.ext_location.n > 200 ? 200 : (int)s.ext_location.n;
        return tensor_fail(&pb, nm, IMP_ERR_UNSUPPORTED,
                           "data is stored in an external file ('%.*s'); "
                           "external data is not supported",
                           n, s.ext_location.p ? (const char *)s.ext_location.p : "");
    }
    if (s.location != 0)
        return tensor_fail(&pb, nm, IMP_ERR_FORMAT, "bad data_location %lld",
                           (long long)s.location);
    if (s.has_segment)
        return tensor_fail(&pb, nm, IMP_ERR_UNSUPPORTED,
                           "segmented tensors are not supported");
    if (!s.has_type || s.data_type == 0)
        return tensor_fail(&pb, nm, IMP_ERR_FORMAT, "no data_type");
    t->dtype = imp_onnx_dtype(s.data_type);
    if (t->dtype == IMP_DTYPE_UNDEFINED)
        return tensor_fail(&pb, nm, IMP_ERR_UNSUPPORTED,
                           "element type %s (%d) is not supported",
                           imp_onnx_dtype_name(s.data_type), (int)s.data_type);

    int64_t count = 1, nonzero = 1;
    for (int d = 0; d < s.rank; d++) {
        if (s.dims[d] < 0 || s.dims[d] > IMP_ONNX_MAX_DIM)
            return tensor_fail(&pb, nm, IMP_ERR_FORMAT, "dim %d is %lld", d,
                               (long long)s.dims[d]);
        if (s.dims[d] == 0) {
            count = 0;
            continue;
        }
        if (nonzero > IMP_ONNX_MAX_ELEMS / s.dims[d])
            return tensor_fail(&pb, nm, IMP_ERR_FORMAT,
                               "dims overflow: more than 2^40 elements");
        nonzero *= s.dims[d];
    }
    if (count)
        count = nonzero;
    t->shape = imp_shape_make(s.rank, s.dims);
    size_t esize = imp_dtype_size(t->dtype);
    size_t bytes = (size_t)count * esize;
    char shape[96];
    imp_shape_str(&t->shape, shape, sizeof shape);

    if (s.has_string || s.has_uint64)
        return tensor_fail(&pb, nm, IMP_ERR_FORMAT,
                           "%s tensor has %s", imp_onnx_dtype_name(s.data_type),
                           s.has_string ? "string_data" : "uint64_data");
    const struct { uint32_t number; size_t n; } typed[] = {
        {T_FLOAT_DATA, s.n_float}, {T_INT32_DATA, s.n_int32},
        {T_INT64_DATA, s.n_int64}, {T_DOUBLE_DATA, s.n_double}};
    uint32_t source = s.has_raw ? T_RAW_DATA : 0;
    size_t have = 0;
    for (size_t k = 0; k < sizeof typed / sizeof typed[0]; k++) {
        if (!typed[k].n)
            continue;
        if (source)
            return tensor_fail(&pb, nm, IMP_ERR_FORMAT, "values in both %s and %s",
                               field_name(source), field_name(typed[k].number));
        source = typed[k].number;
        have = typed[k].n;
    }
    if (source == T_RAW_DATA) {
        if (s.raw.n != bytes)
            return tensor_fail(&pb, nm, IMP_ERR_FORMAT,
                               "raw_data is %zu bytes, but %s %s needs %zu",
                               s.raw.n, shape, imp_dtype_name(t->dtype), bytes);
    } else if (source) {
        uint32_t want = typed_field(t->dtype);
        if (source != want)
            return tensor_fail(&pb, nm, IMP_ERR_FORMAT,
                               "values are in %s, but %s tensors keep them in %s",
                               field_name(source),
                               imp_onnx_dtype_name(s.data_type), field_name(want));
        if (have != (size_t)count)
            return tensor_fail(&pb, nm, IMP_ERR_FORMAT,
                               "%s holds %zu values, but %s needs %lld",
                               field_name(source), have, shape, (long long)count);
    } else if (count) {
        return tensor_fail(&pb, nm, IMP_ERR_FORMAT,
                           "no data (%s needs %lld values)", shape,
                           (long long)count);
    }

    t->data = imp_aligned_alloc(bytes);
    if (!t->data)
        return tensor_fail(&pb, nm, IMP_ERR_NOMEM, "out of memory (%zu bytes)",
                           bytes);
    if (source == T_RAW_DATA) {
        if (bytes)
            memcpy(t->data, s.raw.p, bytes);
        to_host_order(t->data, (size_t)count, esize);
        if (t->dtype == IMP_DTYPE_BOOL)
            for (size_t i = 0; i < bytes; i++)
                ((uint8_t *)t->data)[i] = ((uint8_t *)t->data)[i] != 0;
        return IMP_OK;
    }
    if (source)
        return decode_typed(start, nm, t->dtype, source, (size_t)count, t->data);
    return IMP_OK;
}

/* ---- ValueInfoProto / TypeProto ---------------------------------------- */

/* TensorShapeProto: dims with a value, a symbolic name (-1) or neither. */
static enum imp_status read_shape(struct imp_pb *parent,
                                  const struct imp_pb_field *field,
                                  struct imp_onnx_value_info *vi)
{
    struct imp_pb pb;
    struct imp_pb_field f;
    enum imp_status st = imp_pb_enter(parent, field, &pb);
    vi->has_shape = true;
    vi->shape.rank = 0;
    int64_t product = 1;
    while (st == IMP_OK && imp_pb_next(&pb, &f)) {
        if (f.number != 1)
            continue;
        if (vi->shape.rank == IMP_MAX_RANK)
            return imp_pb_fail(&pb, IMP_ERR_UNSUPPORTED,
                               "value '%.100s': more than %d dims", vi->name,
                               IMP_MAX_RANK);
        struct imp_pb dim;
        struct imp_pb_field g;
        int64_t v = -1;
        st = imp_pb_enter(&pb, &f, &dim);
        while (st == IMP_OK && imp_pb_next(&dim, &g)) {
            if (g.number == 1) {
                st = imp_pb_int64(&dim, &g, &v);
                if (st == IMP_OK && (v < 0 || v > IMP_ONNX_MAX_DIM))
                    return imp_pb_fail(&dim, IMP_ERR_FORMAT,
                                       "value '%.100s': dim %d is %lld",
                                       vi->name, vi->shape.rank, (long long)v);
            } else if (g.number == 2) {
                v = -1; /* symbolic: open until the caller says */
            }
        }
        if (st == IMP_OK)
            st = dim.status;
        if (v > 0) {
            if (product > IMP_ONNX_MAX_ELEMS / v)
                return imp_pb_fail(&pb, IMP_ERR_FORMAT,
                                   "value '%.100s': dims overflow: more than "
                                   "2^40 elements", vi->name);
            product *= v;
        }
        vi->shape.d[vi->shape.rank++] = v;
    }
    return st != IMP_OK ? st : pb.status;
}

static enum imp_status read_tensor_type(struct imp_pb *parent,
                                        const struct imp_pb_field *field,
                                        struct imp_onnx_value_info *vi)
{
    struct imp_pb pb;
    struct imp_pb_field f;
    enum imp_status st = imp_pb_enter(parent, field, &pb);
    while (st == IMP_OK && imp_pb_next(&pb, &f)) {
        if (f.number == 1)
            st = imp_pb_int32(&pb, &f, &vi->elem_type);
        else if (f.number == 2)
            st = read_shape(&pb, &f, vi);
    }
    return st != IMP_OK ? st : pb.status;
}

static enum imp_status read_type(struct imp_pb *parent,
                                 const struct imp_pb_field *field,
                                 struct imp_onnx_value_info *vi)
{
    struct imp_pb pb;
    struct imp_pb_field f;
    enum imp_status st = imp_pb_enter(parent, field, &pb);
    while (st == IMP_OK && imp_pb_next(&pb, &f)) {
        switch (f.number) {
        case 1: st = read_tensor_type(&pb, &f, vi); break;
        case 4: vi->kind = "a sequence"; break;
        case 5: vi->kind = "a map"; break;
        case 8: vi->kind = "a sparse tensor"; break;
        case 9: vi->kind = "an optional"; break;
        default: break;
        }
    }
    return st != IMP_OK ? st : pb.status;
}

enum imp_status imp_onnx_read_value_info(struct imp_pb *parent,
                                         const struct imp_pb_field *field,
                                         struct imp_onnx_value_info *vi)
{
    memset(vi, 0, sizeof *vi);
    struct imp_pb pb;
    struct imp_pb_field f, type = {0};
    struct imp_pb_bytes name = {0};
    size_t name_offset = field->offset;
    bool has_type = false;
    enum imp_status st = imp_pb_enter(parent, field, &pb);
    /* The name first, so that errors inside the type can say whose. */
    while (st == IMP_OK && imp_pb_next(&pb, &f)) {
        if (f.number == 1) {
            st = imp_pb_bytes(&pb, &f, &name);
            name_offset = f.offset;
        } else if (f.number == 2) {
            type = f;
            has_type = true;
        }
    }
    if (st == IMP_OK)
        st = pb.status;
    if (st == IMP_OK)
        st = imp_onnx_cstr(&pb, &name, name_offset, &vi->name);
    if (st == IMP_OK && has_type)
        st = read_type(&pb, &type, vi);
    if (st != IMP_OK) {
        free(vi->name);
        vi->name = NULL;
    }
    return st;
}
