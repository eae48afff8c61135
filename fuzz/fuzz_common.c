#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "ops/eval.h"
#include "runtime/infer.h"
#include "runtime/model.h"
#include "formats/formats.h"
#include "formats/imp_format.h"

/* Reading every byte of a buffer makes ASan check its whole extent; the
 * volatile sink keeps the compiler from dropping the loop. */
static volatile uint8_t imp_fuzz_sink;

static void touch(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= b[i];
    imp_fuzz_sink = x;
}

void imp_fuzz_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("impasto fuzz: contract broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void check_failure(const char *who, enum imp_status st,
                          const struct imp_error *err)
{
    if (st <= IMP_OK || st > IMP_ERR_NOMEM)
        imp_fuzz_die("%s: status %d is not an error status", who, (int)st);
    if (!memchr(err->message, 0, sizeof err->message))
        imp_fuzz_die("%s: error message is not terminated", who);
    if (err->message[0] == '\0')
        imp_fuzz_die("%s: failed (%s) with an empty message", who,
                     imp_status_name(st));
    if (err->status != st)
        imp_fuzz_die("%s: returned %s but the error says %s (%s)", who,
                     imp_status_name(st), imp_status_name(err->status),
                     err->message);
}

static bool dims_valid(const struct imp_shape *s, bool allow_open)
{
    if (s->rank < 0 || s->rank > IMP_MAX_RANK)
        return false;
    for (int d = 0; d < s->rank; d++)
        if (s->d[d] < (allow_open ? -1 : 0))
            return false;
    return true;
}

static void check_value(const char *who, const struct imp_graph *g, int i)
{
    const struct imp_value *v = &g->values[i];
    if (!v->name)
        imp_fuzz_die("%s: value %d has no name", who, i);
    if (v->kind != IMP_VALUE_ACTIVATION && v->kind != IMP_VALUE_INPUT &&
        v->kind != IMP_VALUE_CONST)
        imp_fuzz_die("%s: value '%s' has kind %d", who, v->name, (int)v->kind);
    if ((int)v->dtype < IMP_DTYPE_UNDEFINED || v->dtype > IMP_DTYPE_F64)
        imp_fuzz_die("%s: value '%s' has dtype %d", who, v->name, (int)v->dtype);
    bool is_const = v->kind == IMP_VALUE_CONST;
    if (!dims_valid(&v->shape, !is_const))
        imp_fuzz_die("%s: value '%s' has an invalid shape (rank %d)", who,
                     v->name, v->shape.rank);
    if (!is_const)
        return;
    if (!imp_dtype_valid(v->dtype))
        imp_fuzz_die("%s: constant '%s' has no valid dtype", who, v->name);
    int64_t count = imp_shape_count(&v->shape);
    size_t esize = imp_dtype_size(v->dtype);
    if (count < 0 || (uint64_t)count > SIZE_MAX / esize)
        imp_fuzz_die("%s: constant '%s' has an impossible element count", who,
                     v->name);
    if (v->nbytes != (size_t)count * esize)
        imp_fuzz_die("%s: constant '%s' holds %zu bytes, its shape needs %zu",
                     who, v->name, v->nbytes, (size_t)count * esize);
    if (v->nbytes && !v->data)
        imp_fuzz_die("%s: constant '%s' has no data", who, v->name);
    if (v->data && ((uintptr_t)v->data & 63) != 0)
        imp_fuzz_die("%s: constant '%s' data is not 64-byte aligned", who,
                     v->name);
    touch(v->data, v->nbytes);
}

static void check_node(const char *who, const struct imp_graph *g, int i)
{
    const struct imp_node *n = &g->nodes[i];
    if ((int)n->op < 0 || n->op >= IMP_OP_COUNT)
        imp_fuzz_die("%s: node %d has op %d", who, i, (int)n->op);
    if (!n->name)
        imp_fuzz_die("%s: node %d has no name", who, i);
    if (n->n_inputs < 0 || n->n_outputs < 0 || n->n_attrs < 0 ||
        (n->n_inputs && !n->inputs) || (n->n_outputs && !n->outputs) ||
        (n->n_attrs && !n->attrs))
        imp_fuzz_die("%s: node '%s' has broken input/output/attr lists", who,
                     n->name);
    for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] < -1 || n->inputs[k] >= g->n_values)
            imp_fuzz_die("%s: node '%s' input %d is value %d of %d", who,
                         n->name, k, n->inputs[k], g->n_values);
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] < 0 || n->outputs[k] >= g->n_values)
            imp_fuzz_die("%s: node '%s' output %d is value %d of %d", who,
                         n->name, k, n->outputs[k], g->n_values);
    for (int a = 0; a < n->n_attrs; a++) {
        const struct imp_attr *at = &n->attrs[a];
        if (!at->name)
            imp_fuzz_die("%s: node '%s' attribute %d has no name", who,
                         n->name, a);
        switch (at->type) {
        case IMP_ATTR_INT:
        case IMP_ATTR_FLOAT:
            break;
        case IMP_ATTR_STRING:
            if (!at->s)
                imp_fuzz_die("%s: node '%s' string attribute '%s' is NULL",
                             who, n->name, at->name);
            break;
        case IMP_ATTR_INTS:
        case IMP_ATTR_FLOATS:
            if (at->n < 0 || (at->n && !(at->type == IMP_ATTR_INTS ? (void *)at->ints
                                                                    : (void *)at->floats)))
                imp_fuzz_die("%s: node '%s' list attribute '%s' is broken",
                             who, n->name, at->name);
            touch(at->type == IMP_ATTR_INTS ? (void *)at->ints : (void *)at->floats,
                  (size_t)at->n * (at->type == IMP_ATTR_INTS ? sizeof(int64_t)
                                                             : sizeof(float)));
            break;
        case IMP_ATTR_TENSOR:
            if (at->i < 0 || at->i >= g->n_values ||
                g->values[at->i].kind != IMP_VALUE_CONST)
                imp_fuzz_die("%s: node '%s' tensor attribute '%s' is not a "
                             "constant", who, n->name, at->name);
            break;
        default:
            imp_fuzz_die("%s: node '%s' attribute '%s' has type %d", who,
                         n->name, at->name, (int)at->type);
        }
    }
}

void imp_fuzz_check_read(const char *who, enum imp_status st,
                         const struct imp_error *err, const struct imp_graph *g)
{
    if (st != IMP_OK) {
        check_failure(who, st, err);
        if (g->n_values || g->n_nodes || g->n_inputs || g->n_outputs ||
            g->values || g->nodes || g->inputs || g->outputs)
            imp_fuzz_die("%s: failed (%s) but left a graph behind", who,
                         err->message);
        return;
    }
    if (g->n_values < 0 || g->n_nodes < 0 || g->n_inputs < 0 || g->n_outputs < 0)
        imp_fuzz_die("%s: negative counts in the graph", who);
    for (int i = 0; i < g->n_values; i++)
        check_value(who, g, i);
    for (int i = 0; i < g->n_nodes; i++)
        check_node(who, g, i);
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] < 0 || g->inputs[i] >= g->n_values ||
            g->values[g->inputs[i]].kind != IMP_VALUE_INPUT)
            imp_fuzz_die("%s: graph input %d is value %d, not an input", who,
                         i, g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] < 0 || g->outputs[i] >= g->n_values)
            imp_fuzz_die("%s: graph output %d is value %d of %d", who, i,
                         g->outputs[i], g->n_values);
}

bool imp_fuzz_plan_size(const struct imp_graph *g, const struct imp_shape *shapes,
                        size_t *total, size_t *largest)
{
    struct imp_inference inf;
    struct imp_error err;
    *total = *largest = 0;
    if (imp_infer_graph(g, shapes, NULL, NULL, &inf, &err) != IMP_OK)
        return false;
    for (int v = 0; v < inf.n_values; v++) {
        int64_t n = imp_shape_count(&inf.tensors[v].shape);
        size_t es = imp_dtype_size(inf.tensors[v].dtype);
        size_t bytes = n < 0 || (uint64_t)n > SIZE_MAX / 2 / (es ? es : 1)
                           ? SIZE_MAX / 2
                           : (size_t)n * es;
        *total = *total + bytes < SIZE_MAX / 2 ? *total + bytes : SIZE_MAX / 2;
        if (g->values[v].kind == IMP_VALUE_ACTIVATION && !inf.known[v] &&
            bytes > *largest)
            *largest = bytes;
    }
    imp_inference_release(&inf);
    return true;
}

/* Whether a predictor for these input shapes may be made. Yes when all
 * tensors of one inference fit the fuzz budget (a fuzz iteration must stay
 * fast); yes too when one activation alone is beyond the arena limit the
 * library promises to enforce, because then init must refuse cheaply and
 * a slow or huge refusal is a finding. No in between: a model asking for
 * a legitimately large plan would only exhaust the fuzzer's memory. */
static bool worth_planning(const struct imp_graph *g, const struct imp_shape *shapes)
{
    size_t total, largest;
    if (!imp_fuzz_plan_size(g, shapes, &total, &largest))
        return false;
    return total <= IMP_FUZZ_MAX_VALUE_BYTES || largest > IMP_MAX_ARENA_BYTES;
}

static size_t info_count(const struct imp_tensor_info *info)
{
    size_t n = 1;
    for (int d = 0; d < info->rank; d++) {
        if (info->dims[d] < 0)
            return SIZE_MAX;
        n *= (size_t)info->dims[d];
    }
    return n;
}

/* Inputs come from the fuzz bytes too: run() must survive any data,
 * including out-of-range indices in integer inputs. */
static void fill_inputs(struct imp_predictor *p, const struct imp_model *m,
                        const uint8_t *seed, size_t seed_size)
{
    for (int i = 0; i < imp_model_input_count(m); i++) {
        const struct imp_shape *s = &m->input_shapes[i];
        enum imp_dtype dt = m->graph.values[m->graph.inputs[i]].dtype;
        int64_t n = imp_shape_count(s);
        if (n < 0)
            imp_fuzz_die("input %d has an open shape after load", i);
        size_t es = imp_dtype_size(dt);
        float *f = malloc((size_t)n * sizeof(float) + 1);
        uint8_t *buf = malloc((size_t)n * es + 1);
        if (!f || !buf)
            imp_fuzz_die("out of memory filling inputs");
        bool real = dt == IMP_DTYPE_F32 || dt == IMP_DTYPE_F16 || dt == IMP_DTYPE_F64;
        for (int64_t k = 0; k < n; k++) {
            int b = seed_size ? seed[(size_t)k % seed_size] : 0x5a;
            f[k] = real ? (float)(b - 128) / 32.0f : (float)(b - 128);
        }
        if (dt == IMP_DTYPE_BOOL) {
            for (int64_t k = 0; k < n; k++)
                buf[k] = f[k] > 0;
        } else {
            imp_convert(dt, buf, IMP_DTYPE_F32, f, (size_t)n);
        }
        enum imp_status st = imp_predictor_set_input(p, i, buf, (size_t)n * es);
        if (st != IMP_OK)
            imp_fuzz_die("set_input %d (%zu bytes) failed: %s", i, (size_t)n * es,
                         imp_predictor_last_error(p));
        free(f);
        free(buf);
    }
}

static void check_outputs(struct imp_predictor *p, const struct imp_model *m)
{
    for (int i = 0; i < imp_model_output_count(m); i++) {
        struct imp_tensor_info info;
        const void *data = NULL;
        if (imp_predictor_output(p, i, &info, &data) != IMP_OK)
            imp_fuzz_die("output %d unavailable after a run: %s", i,
                         imp_predictor_last_error(p));
        size_t n = info_count(&info);
        if (n == SIZE_MAX || !imp_dtype_valid(info.dtype))
            imp_fuzz_die("output %d has an open shape or no dtype after a run", i);
        if (n && !data)
            imp_fuzz_die("output %d has no data", i);
        touch(data, n * imp_dtype_size(info.dtype));
    }
}

/* Open dims of the first input become 2, as a caller resizing would. */
static void try_resize(struct imp_predictor *p, const struct imp_model *m)
{
    if (imp_model_input_count(m) < 1)
        return;
    const struct imp_value *v = &m->graph.values[m->graph.inputs[0]];
    struct imp_shape *shapes = calloc((size_t)m->graph.n_inputs, sizeof *shapes);
    if (!shapes)
        imp_fuzz_die("out of memory");
    memcpy(shapes, m->input_shapes, (size_t)m->graph.n_inputs * sizeof *shapes);
    bool open = false;
    for (int d = 0; d < v->shape.rank; d++)
        if (v->shape.d[d] < 0) {
            shapes[0].d[d] = 2;
            open = true;
        }
    if (open && worth_planning(&m->graph, shapes)) {
        /* Doubling an open dim may take the input past the element limit
         * (the model loaded with it at 1): a refusal naming the shape is
         * then the contract, anything else a finding. */
        int64_t count = imp_shape_count(&shapes[0]);
        bool too_large = count < 0 || count > IMP_MAX_INPUT_ELEMENTS;
        enum imp_status st = imp_predictor_resize_input(p, 0, shapes[0].rank, shapes[0].d);
        if (too_large) {
            if (st != IMP_ERR_SHAPE || imp_predictor_last_error(p)[0] == '\0')
                imp_fuzz_die("resize past the input limit gave %s (%s)",
                             imp_status_name(st), imp_predictor_last_error(p));
            free(shapes);
            return;
        }
        if (st != IMP_OK)
            imp_fuzz_die("resize of an open dim refused: %s",
                         imp_predictor_last_error(p));
        struct imp_plan_stats stats;
        if (imp_predictor_plan_stats(p, &stats) != IMP_OK &&
            imp_predictor_last_error(p)[0] == '\0')
            imp_fuzz_die("re-plan failed without a message");
    }
    free(shapes);
}

static void check_interface(const struct imp_model *m)
{
    int n_in = imp_model_input_count(m), n_out = imp_model_output_count(m);
    struct imp_tensor_info info;
    for (int i = 0; i < n_in; i++) {
        if (imp_model_input_info(m, i, &info) != IMP_OK || !info.name ||
            info.rank < 0 || info.rank > IMP_MAX_RANK)
            imp_fuzz_die("input %d: bad info", i);
        int found = imp_model_find_input(m, info.name);
        if (found < 0 || found > i)
            imp_fuzz_die("input '%s' is not found by name", info.name);
    }
    for (int i = 0; i < n_out; i++) {
        if (imp_model_output_info(m, i, &info) != IMP_OK || !info.name ||
            info.rank < 0 || info.rank > IMP_MAX_RANK)
            imp_fuzz_die("output %d: bad info", i);
        int found = imp_model_find_output(m, info.name);
        if (found < 0 || found > i)
            imp_fuzz_die("output '%s' is not found by name", info.name);
    }
    if (imp_model_input_info(m, n_in, &info) != IMP_ERR_ARGUMENT ||
        imp_model_output_info(m, -1, &info) != IMP_ERR_ARGUMENT)
        imp_fuzz_die("out-of-range info index accepted");
    for (int i = 0; i < imp_model_node_count(m); i++)
        if (!imp_model_node_op(m, i) || !imp_model_node_name(m, i))
            imp_fuzz_die("node %d has no op or name", i);
    (void)imp_model_param_count(m);
    (void)imp_model_source_format(m);
}

static bool same_info(const struct imp_tensor_info *a,
                      const struct imp_tensor_info *b)
{
    if (a->dtype != b->dtype || a->rank != b->rank || strcmp(a->name, b->name))
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

/* A model that loaded must survive being written as .imp and read back
 * with the same interface. */
static void round_trip(const struct imp_model *m)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    struct imp_error err;
    imp_error_clear(&err);
    enum imp_status st = imp_imp_write(&m->graph, &bytes, &size, &err);
    if (st != IMP_OK) {
        check_failure("imp write", st, &err);
        return;
    }
    struct imp_model *back = NULL;
    st = imp_model_load_buffer(bytes, size, &back, &err);
    free(bytes);
    if (st != IMP_OK)
        imp_fuzz_die("a loaded model written as .imp does not load back: %s",
                     err.message);
    if (imp_model_input_count(back) != imp_model_input_count(m) ||
        imp_model_output_count(back) != imp_model_output_count(m))
        imp_fuzz_die(".imp round trip changed the input/output counts");
    struct imp_tensor_info a, b;
    for (int i = 0; i < imp_model_input_count(m); i++) {
        imp_model_input_info(m, i, &a);
        imp_model_input_info(back, i, &b);
        if (!same_info(&a, &b))
            imp_fuzz_die(".imp round trip changed input %d ('%s')", i, a.name);
    }
    for (int i = 0; i < imp_model_output_count(m); i++) {
        imp_model_output_info(m, i, &a);
        imp_model_output_info(back, i, &b);
        if (!same_info(&a, &b))
            imp_fuzz_die(".imp round trip changed output %d ('%s')", i, a.name);
    }
    imp_model_free(back);
}

/* A model that loaded must either be refused by the ONNX writer with a
 * message (an operator form with no standard ONNX equivalent) or come
 * back from the ONNX it wrote with the same interface. */
static void onnx_round_trip(const struct imp_model *m)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    struct imp_error err;
    imp_error_clear(&err);
    enum imp_status st = imp_onnx_write(&m->graph, &bytes, &size, &err);
    if (st != IMP_OK) {
        check_failure("onnx write", st, &err);
        if (bytes)
            imp_fuzz_die("onnx write failed but returned bytes");
        return;
    }
    struct imp_model *back = NULL;
    st = imp_model_load_buffer(bytes, size, &back, &err);
    free(bytes);
    if (st != IMP_OK)
        imp_fuzz_die("a loaded model written as ONNX does not load back: %s", err.message);
    if (imp_model_input_count(back) != imp_model_input_count(m) ||
        imp_model_output_count(back) != imp_model_output_count(m) ||
        imp_model_metadata_count(back) != imp_model_metadata_count(m))
        imp_fuzz_die("ONNX round trip changed the input/output/metadata counts");
    imp_model_free(back);
}

/* The ISA whose kernels run this input, taken from its bytes: a crash
 * reproduces from the file alone, and over a run every level the CPU has
 * (or, in an IMP_EMULATE_AVX512 build, emulates) gets its share. */
static enum imp_isa isa_for(const uint8_t *seed, size_t seed_size)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < seed_size; i++)
        h = (h ^ seed[i]) * 16777619u;
    return (enum imp_isa)(h % ((uint32_t)imp_isa_detect() + 1));
}

void imp_fuzz_exercise_model(const struct imp_model *m, const uint8_t *seed,
                             size_t seed_size)
{
    check_interface(m);
    round_trip(m);
    onnx_round_trip(m);
    if (!worth_planning(&m->graph, m->input_shapes))
        return;
    struct imp_predictor_options opt = imp_predictor_options_default();
    opt.threads = 1; /* deterministic, and no thread start-up per input */
    opt.max_isa = isa_for(seed, seed_size);
    struct imp_predictor *p = NULL;
    struct imp_error err;
    imp_error_clear(&err);
    enum imp_status st = imp_predictor_init(m, &opt, &p, &err);
    if (st != IMP_OK) {
        check_failure("predictor init", st, &err);
        if (p)
            imp_fuzz_die("predictor init failed but returned a predictor");
        return;
    }
    struct imp_plan_stats stats;
    if (imp_predictor_plan_stats(p, &stats) != IMP_OK)
        imp_fuzz_die("plan_stats failed right after init: %s",
                     imp_predictor_last_error(p));
    if (stats.macs >= 0 && stats.macs <= IMP_FUZZ_MAX_RUN_MACS) {
        fill_inputs(p, m, seed, seed_size);
        if (imp_predictor_run(p) != IMP_OK)
            imp_fuzz_die("run failed after a successful init: %s",
                         imp_predictor_last_error(p));
        check_outputs(p, m);
    }
    try_resize(p, m);
    imp_predictor_free(p);
}

void imp_fuzz_graph_to_model(struct imp_graph *g, const uint8_t *seed,
                             size_t seed_size)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    imp_error_clear(&err);
    enum imp_status st = imp_model_from_graph(g, &m, &err);
    if (st != IMP_OK) {
        check_failure("load passes", st, &err);
        return;
    }
    imp_fuzz_exercise_model(m, seed, seed_size);
    imp_model_free(m);
}

void imp_fuzz_load_buffer(const uint8_t *data, size_t size)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    imp_error_clear(&err);
    enum imp_status st = imp_model_load_buffer(data, size, &m, &err);
    if (st != IMP_OK) {
        check_failure("load_buffer", st, &err);
        if (m)
            imp_fuzz_die("load_buffer failed but returned a model");
        return;
    }
    imp_fuzz_exercise_model(m, data, size);
    imp_model_free(m);
}

void imp_fuzz_imp_fix_checksums(uint8_t *d, size_t size)
{
    if (size < IMP_FMT_HEADER_SIZE)
        return;
    uint64_t declared = imp_ld64(d + IMP_FMT_OFF_FILE_SIZE);
    size_t end = declared < size ? (size_t)declared : size;
    if (end < IMP_FMT_HEADER_SIZE)
        end = IMP_FMT_HEADER_SIZE;
    imp_st32(d + IMP_FMT_OFF_BODY_CRC,
             imp_crc32c(d + IMP_FMT_HEADER_SIZE, end - IMP_FMT_HEADER_SIZE));
    imp_st32(d + IMP_FMT_OFF_HEADER_CRC, imp_crc32c(d, IMP_FMT_OFF_HEADER_CRC));
}
