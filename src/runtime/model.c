#include "runtime/model.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/file_atomic.h"
#include "ops/eval.h"
#include "runtime/infer.h"
#include "runtime/plan_inputs.h"
#include "core/util.h"
#include "formats/formats.h"
#include "passes/passes.h"

/* A multi-style network names each style's norm parameters in its
 * metadata (impasto.style.NAME.params, docs/format.md); no node reads
 * the styles not in use, so mark them for the passes to keep. Names that
 * are not constants are left for the application to complain about; a
 * hostile list stops being read after MAX_KEPT_NAMES names, so that it
 * cannot make loading slow. */
#define MAX_KEPT_NAMES 65536
static void keep_style_params(struct imp_graph *g)
{
    static const char prefix[] = "impasto.style.", suffix[] = ".params";
    const size_t lp = sizeof prefix - 1, ls = sizeof suffix - 1;
    int budget = MAX_KEPT_NAMES;
    for (int e = 0; e < g->meta.n; e++) {
        const char *key = g->meta.entries[e].key, *list = g->meta.entries[e].value;
        size_t len = strlen(key);
        if (len <= lp + ls || strncmp(key, prefix, lp) != 0 ||
            strcmp(key + len - ls, suffix) != 0)
            continue;
        while (*list && budget-- > 0) {
            size_t n = strcspn(list, ",");
            char name[512];
            if (n < sizeof name) {
                memcpy(name, list, n);
                name[n] = '\0';
                int v = imp_graph_find_value(g, name);
                if (v >= 0 && g->values[v].kind == IMP_VALUE_CONST)
                    g->values[v].kept = true;
            }
            list += n + (list[n] == ',');
        }
    }
}

/* Outputs at the doubled size `b` are those at `a` or twice them, and at
 * least one is twice. */
static bool outputs_track(const struct imp_graph *g, const struct imp_inference *a,
                          const struct imp_inference *b)
{
    bool grew = false;
    for (int i = 0; i < g->n_outputs; i++) {
        const struct imp_shape *sa = &a->tensors[g->outputs[i]].shape;
        const struct imp_shape *sb = &b->tensors[g->outputs[i]].shape;
        if (sa->rank != sb->rank)
            return false;
        for (int d = 0; d < sa->rank; d++) {
            if (sb->d[d] == 2 * sa->d[d] && sa->d[d] > 1)
                grew = true;
            else if (sb->d[d] != sa->d[d])
                return false;
        }
    }
    return grew;
}

/* Which pairs of dims of each rank-4 input may be resized: the graph at
 * twice their size still infers and its outputs follow (see
 * imp_model_input_resizable). `base` is the inference at the model's own
 * shapes. Inference failures only mean "not resizable". */
static enum imp_status find_resizable(struct imp_model *m, const struct imp_inference *base)
{
    const struct imp_graph *g = &m->graph;
    struct imp_shape *shapes = malloc(sizeof *shapes * ((size_t)g->n_inputs + 1));
    if (!shapes)
        return IMP_ERR_NOMEM;
    static const int pairs[2][2] = {{1, 2}, {2, 3}};
    for (int i = 0; i < g->n_inputs; i++) {
        const struct imp_shape *s = &m->input_shapes[i];
        for (int k = 0; k < 2 && s->rank == 4; k++) {
            int d0 = pairs[k][0], d1 = pairs[k][1];
            if (s->d[d0] < 2 || s->d[d1] < 2 || s->d[d0] > (1 << 20) || s->d[d1] > (1 << 20))
                continue;
            memcpy(shapes, m->input_shapes, sizeof *shapes * (size_t)g->n_inputs);
            shapes[i].d[d0] *= 2;
            shapes[i].d[d1] *= 2;
            struct imp_inference big;
            if (imp_infer_graph(g, shapes, NULL, NULL, &big, NULL) != IMP_OK)
                continue;
            if (outputs_track(g, base, &big))
                m->resizable[i] |= 1u << d0 | 1u << d1;
            imp_inference_release(&big);
        }
    }
    free(shapes);
    return IMP_OK;
}

/* The passes that need shapes, on a model with open input dims: the
 * shapes are inferred at two stand-in sizes for the open dims (batch 1
 * and 2, the others as below) and every dim that differs between them is
 * marked open (-1), so a pass sees only what holds at any size and
 * refuses what depends on an open dim (fuse_decomposed_norm.c). Nothing
 * runs when no pair of sizes fits the model. */
static enum imp_status run_shaped_open(struct imp_model *m, bool *changed,
                                       struct imp_error *err)
{
    const struct imp_graph *g = &m->graph;
    static const int64_t stand_ins[][2] = {{64, 80}, {256, 320}};
    *changed = false;
    struct imp_shape *shapes = calloc((size_t)g->n_inputs + 1, sizeof *shapes);
    struct imp_tensor *known = calloc((size_t)g->n_values + 1, sizeof *known);
    if (!shapes || !known) {
        free(shapes);
        free(known);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    bool fits = false;
    for (size_t k = 0; !fits && k < sizeof stand_ins / sizeof stand_ins[0]; k++) {
        struct imp_inference inf[2];
        int done = 0;
        for (; done < 2; done++) {
            for (int i = 0; i < g->n_inputs; i++) {
                shapes[i] = g->values[g->inputs[i]].shape;
                for (int d = 0; d < shapes[i].rank; d++)
                    if (shapes[i].d[d] < 0)
                        shapes[i].d[d] = d == 0 ? 1 + done : stand_ins[k][done];
            }
            if (imp_infer_graph(g, shapes, NULL, NULL, &inf[done], NULL) != IMP_OK)
                break;
        }
        fits = done == 2;
        for (int v = 0; fits && v < g->n_values; v++) {
            const struct imp_tensor *a = &inf[0].tensors[v], *b = &inf[1].tensors[v];
            known[v] = (struct imp_tensor){a->dtype, a->shape, NULL};
            if (a->dtype != b->dtype || a->shape.rank != b->shape.rank) {
                known[v].dtype = IMP_DTYPE_UNDEFINED;
                continue;
            }
            for (int d = 0; d < a->shape.rank; d++)
                if (a->shape.d[d] != b->shape.d[d])
                    known[v].shape.d[d] = -1;
        }
        for (int i = 0; i < done; i++)
            imp_inference_release(&inf[i]);
    }
    enum imp_status st =
        fits ? imp_passes_run_shaped(&m->graph, known, changed, err) : IMP_OK;
    free(shapes);
    free(known);
    return st;
}

static enum imp_status finish_load(struct imp_model *m, struct imp_error *err)
{
    struct imp_graph *g = &m->graph;
    keep_style_params(g);
    enum imp_status st = imp_passes_run(g, err);
    if (st != IMP_OK)
        return st;
    if (g->n_outputs == 0)
        return imp_fail(err, IMP_ERR_FORMAT, "model has no outputs");
    m->input_shapes = calloc((size_t)g->n_inputs + 1, sizeof *m->input_shapes);
    m->output_guess = calloc((size_t)g->n_outputs + 1, sizeof *m->output_guess);
    m->resizable = calloc((size_t)g->n_inputs + 1, sizeof *m->resizable);
    if (!m->input_shapes || !m->output_guess || !m->resizable)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    bool open_dims = false;
    for (int i = 0; i < g->n_inputs; i++) {
        const struct imp_value *v = &g->values[g->inputs[i]];
        if (!imp_dtype_valid(v->dtype))
            return imp_fail(err, IMP_ERR_FORMAT, "input '%s' has no element type",
                            v->name);
        m->input_shapes[i] = v->shape;
        for (int d = 0; d < v->shape.rank; d++) {
            if (m->input_shapes[i].d[d] < 0) {
                m->input_shapes[i].d[d] = 1;
                open_dims = true;
            }
        }
        int64_t count = imp_shape_count(&m->input_shapes[i]);
        if (count < 0 || count > IMP_MAX_INPUT_ELEMENTS) {
            char dims[128];
            return imp_fail(err, IMP_ERR_UNSUPPORTED,
                            "input '%s' declares shape %s, more than impasto accepts",
                            v->name, imp_shape_str(&v->shape, dims, sizeof dims));
        }
    }
    /* A trial inference, so that shape errors surface at load, not at run.
     * With open dims the stand-in size 1 may simply be too small (a 9x9
     * valid convolution on a 1x1 image): then the caller must resize
     * first, and outputs are reported as the model declares them. */
    struct imp_inference inf;
    struct imp_error trial;
    /* Plan-time inputs (a Reshape's shape fed by the caller) are unknown
     * until the caller sets them: like open dims, they may make the trial
     * fail without anything being wrong. */
    int plan_inputs = imp_find_plan_inputs(g, NULL);
    if (plan_inputs < 0)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    st = imp_infer_graph(g, m->input_shapes, NULL, NULL, &inf, &trial);
    if (st == IMP_OK && !open_dims && plan_inputs == 0) {
        /* The shapes are the model's own (no stand-ins), so the passes
         * that need them may trust them. */
        bool changed = false;
        st = imp_passes_run_shaped(g, inf.tensors, &changed, err);
        imp_inference_release(&inf);
        if (st != IMP_OK)
            return st;
        st = imp_infer_graph(g, m->input_shapes, NULL, NULL, &inf, &trial);
        if (st == IMP_OK && find_resizable(m, &inf) != IMP_OK) {
            imp_inference_release(&inf);
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        }
    } else if (open_dims && plan_inputs == 0) {
        /* Whether or not the stand-in size 1 fitted: the passes get
         * shapes of their own, with the open dims marked. */
        bool changed = false;
        enum imp_status fs = run_shaped_open(m, &changed, err);
        if (fs != IMP_OK || changed) {
            if (st == IMP_OK)
                imp_inference_release(&inf);
            if (fs != IMP_OK)
                return fs;
            st = imp_infer_graph(g, m->input_shapes, NULL, NULL, &inf, &trial);
        }
    }
    if (st != IMP_OK) {
        if ((!open_dims && plan_inputs == 0) || st == IMP_ERR_NOMEM) {
            if (err)
                *err = trial;
            return st;
        }
        for (int i = 0; i < g->n_outputs; i++) {
            const struct imp_value *v = &g->values[g->outputs[i]];
            m->output_guess[i] = (struct imp_tensor){v->dtype, v->shape, NULL};
        }
        return IMP_OK;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        m->output_guess[i] = inf.tensors[g->outputs[i]];
        m->output_guess[i].data = NULL;
    }
    imp_inference_release(&inf);
    return IMP_OK;
}

static bool looks_like_tflite(const uint8_t *d, size_t n)
{
    return imp_tflite_probe(d, n);
}

enum imp_status imp_model_load_buffer(const void *data, size_t size,
                                      struct imp_model **out,
                                      struct imp_error *err)
{
    imp_error_clear(err);
    if (!out || (!data && size))
        return imp_fail(err, IMP_ERR_ARGUMENT, "null argument");
    *out = NULL;
    struct imp_model *m = calloc(1, sizeof *m);
    if (!m)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    imp_graph_init(&m->graph);
    const uint8_t *bytes = data;
    enum imp_status st;
    if (size == 0) {
        st = imp_fail(err, IMP_ERR_FORMAT, "empty file");
    } else if (imp_imp_probe(bytes, size)) {
        /* Keep an aligned copy so constants can live in it unconverted. */
        m->backing = imp_aligned_alloc(size);
        if (!m->backing) {
            st = imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        } else {
            memcpy(m->backing, bytes, size);
            st = imp_imp_read(m->backing, size, true, &m->graph, err);
        }
    } else if (looks_like_tflite(bytes, size)) {
        st = imp_tflite_read(bytes, size, &m->graph, err);
    } else {
        st = imp_onnx_read(bytes, size, &m->graph, err);
    }
    if (st == IMP_OK)
        st = finish_load(m, err);
    if (st != IMP_OK) {
        imp_model_free(m);
        return st;
    }
    *out = m;
    return IMP_OK;
}

enum imp_status imp_model_from_graph(struct imp_graph *g, struct imp_model **out,
                                     struct imp_error *err)
{
    imp_error_clear(err);
    *out = NULL;
    struct imp_model *m = calloc(1, sizeof *m);
    if (!m) {
        imp_graph_release(g);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    m->graph = *g;
    imp_graph_init(g);
    enum imp_status st = finish_load(m, err);
    if (st != IMP_OK) {
        imp_model_free(m);
        return st;
    }
    *out = m;
    return IMP_OK;
}

enum imp_status imp_model_load_file(const char *path, struct imp_model **out,
                                    struct imp_error *err)
{
    imp_error_clear(err);
    if (!path || !out)
        return imp_fail(err, IMP_ERR_ARGUMENT, "null argument");
    unsigned char *data;
    size_t size;
    if (imp_read_file(path, &data, &size) != 0)
        return imp_fail(err, IMP_ERR_IO, "%s: %s", path, strerror(errno));
    enum imp_status st = imp_model_load_buffer(data, size, out, err);
    free(data);
    if (st != IMP_OK)
        imp_error_prefix(err, "%s", path);
    return st;
}

void imp_model_free(struct imp_model *m)
{
    if (!m)
        return;
    imp_graph_release(&m->graph);
    free(m->input_shapes);
    free(m->output_guess);
    free(m->resizable);
    imp_aligned_free(m->backing);
    free(m);
}

struct imp_save_options imp_save_options_default(void)
{
    struct imp_save_options o;
    memset(&o, 0, sizeof o);
    return o;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != suffix[i])
            return false;
    return true;
}

/* Each output's element type and dims as two inferences at different
 * stand-in sizes for the open input dims find them: dims that differ are
 * open (-1). Outputs stay undefined when no stand-in fits the model. */
static void infer_output_types(const struct imp_model *m, struct imp_tensor *types)
{
    const struct imp_graph *g = &m->graph;
    struct imp_shape *shapes = calloc((size_t)g->n_inputs + 1, sizeof *shapes);
    /* Two sizes per try; larger ones for networks that shrink a lot. */
    static const int64_t stand_ins[] = {64, 80, 256, 320, 1024, 1280};
    int found = 0;
    for (size_t k = 0; shapes && found < 2 && k < sizeof stand_ins / sizeof stand_ins[0]; k++) {
        for (int i = 0; i < g->n_inputs; i++) {
            shapes[i] = g->values[g->inputs[i]].shape;
            for (int d = 0; d < shapes[i].rank; d++)
                if (shapes[i].d[d] < 0)
                    shapes[i].d[d] = d == 0 ? 1 + found : stand_ins[k];
        }
        struct imp_inference inf;
        if (imp_infer_graph(g, shapes, NULL, NULL, &inf, NULL) != IMP_OK)
            continue;
        for (int i = 0; i < g->n_outputs; i++) {
            const struct imp_tensor *t = &inf.tensors[g->outputs[i]];
            if (found == 0) {
                types[i] = (struct imp_tensor){t->dtype, t->shape, NULL};
                continue;
            }
            if (t->shape.rank != types[i].shape.rank) {
                types[i].shape.rank = 0;
                types[i].dtype = IMP_DTYPE_UNDEFINED;
            }
            for (int d = 0; d < types[i].shape.rank; d++)
                if (types[i].shape.d[d] != t->shape.d[d])
                    types[i].shape.d[d] = -1;
        }
        imp_inference_release(&inf);
        found++;
    }
    if (found == 1) /* one size fitted: say nothing about the dims */
        for (int i = 0; i < g->n_outputs; i++)
            for (int d = 0; d < types[i].shape.rank; d++)
                types[i].shape.d[d] = -1;
    free(shapes);
}

/* A shallow copy of the model's values in which the outputs whose type
 * the file did not say have the one inference finds (ONNX wants each
 * output's element type and rank). */
static struct imp_value *onnx_output_types(const struct imp_model *m)
{
    const struct imp_graph *g = &m->graph;
    struct imp_value *values = malloc(sizeof *values * ((size_t)g->n_values + 1));
    struct imp_tensor *types = calloc((size_t)g->n_outputs + 1, sizeof *types);
    if (!values || !types) {
        free(values);
        free(types);
        return NULL;
    }
    if (g->n_values)
        memcpy(values, g->values, sizeof *values * (size_t)g->n_values);
    bool open = false;
    for (int i = 0; i < g->n_inputs; i++)
        for (int d = 0; d < g->values[g->inputs[i]].shape.rank; d++)
            open = open || g->values[g->inputs[i]].shape.d[d] < 0;
    if (open)
        infer_output_types(m, types);
    else
        for (int i = 0; i < g->n_outputs; i++)
            types[i] = m->output_guess[i];
    for (int i = 0; i < g->n_outputs; i++) {
        struct imp_value *v = &values[g->outputs[i]];
        if (v->kind != IMP_VALUE_ACTIVATION || !imp_dtype_valid(types[i].dtype))
            continue;
        if (v->dtype == IMP_DTYPE_UNDEFINED)
            v->dtype = types[i].dtype;
        if (v->shape.rank == 0)
            v->shape = types[i].shape;
    }
    free(types);
    return values;
}

/* The model's pairs with the options' changes applied. */
static enum imp_status save_metadata(const struct imp_model *m,
                                     const struct imp_save_options *o,
                                     struct imp_metadata *meta,
                                     struct imp_error *err)
{
    memset(meta, 0, sizeof *meta);
    if (!o->clear_metadata && !imp_metadata_copy(&m->graph.meta, meta))
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    if (o->metadata_count < 0 || (o->metadata_count > 0 && !o->metadata))
        return imp_fail(err, IMP_ERR_ARGUMENT, "bad metadata list");
    for (int i = 0; i < o->metadata_count; i++) {
        const struct imp_metadata_entry *e = &o->metadata[i];
        const char *why = !e->key ? "the key is NULL"
                                  : imp_metadata_check(e->key, strlen(e->key), true);
        if (!why && e->value)
            why = imp_metadata_check(e->value, strlen(e->value), false);
        if (why)
            return imp_fail(err, IMP_ERR_ARGUMENT, "metadata entry %d '%.64s': %s", i,
                            e->key && !imp_metadata_check(e->key, strlen(e->key), true)
                                ? e->key : "?",
                            why);
        if (!e->value) {
            imp_metadata_remove(meta, e->key);
        } else if (!imp_metadata_set(meta, e->key, e->value)) {
            return imp_fail(err, IMP_ERR_ARGUMENT,
                            meta->n >= IMP_META_MAX_ENTRIES
                                ? "more than %d metadata entries"
                                : "out of memory setting metadata (%d entries)",
                            IMP_META_MAX_ENTRIES);
        }
    }
    return IMP_OK;
}

enum imp_status imp_model_save(const struct imp_model *m, const char *path,
                               const struct imp_save_options *opt,
                               struct imp_error *err)
{
    imp_error_clear(err);
    if (!m || !path)
        return imp_fail(err, IMP_ERR_ARGUMENT, "null argument");
    struct imp_save_options o = opt ? *opt : imp_save_options_default();
    enum imp_model_format format = o.format;
    if (format == IMP_FORMAT_AUTO)
        format = ends_with(path, ".onnx") ? IMP_FORMAT_ONNX : IMP_FORMAT_IMP;
    if (format != IMP_FORMAT_IMP && format != IMP_FORMAT_ONNX)
        return imp_fail(err, IMP_ERR_ARGUMENT, "unknown model format %d", (int)format);
    /* The writers only read the graph: a shallow copy with other pairs. */
    struct imp_graph view = m->graph;
    struct imp_value *values = NULL;
    if (format == IMP_FORMAT_ONNX) {
        /* ONNX wants each output's type; the trial inference knows it. */
        values = onnx_output_types(m);
        if (!values)
            return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        view.values = values;
    }
    enum imp_status st = save_metadata(m, &o, &view.meta, err);
    uint8_t *data = NULL;
    size_t size = 0;
    if (st == IMP_OK)
        st = format == IMP_FORMAT_ONNX ? imp_onnx_write(&view, &data, &size, err)
                                       : imp_imp_write(&view, &data, &size, err);
    imp_metadata_release(&view.meta);
    free(values);
    if (st != IMP_OK)
        return st;
    int e = imp_write_file_atomic(path, data, size);
    free(data);
    if (e != 0)
        return imp_fail(err, IMP_ERR_IO, "%s: %s", path, strerror(e));
    return IMP_OK;
}

enum imp_status imp_model_save_imp(const struct imp_model *m, const char *path,
                                   struct imp_error *err)
{
    struct imp_save_options o = imp_save_options_default();
    o.format = IMP_FORMAT_IMP;
    return imp_model_save(m, path, &o, err);
}

int imp_model_metadata_count(const struct imp_model *m)
{
    return m ? m->graph.meta.n : 0;
}

enum imp_status imp_model_metadata_get(const struct imp_model *m, int index,
                                       const char **key, const char **value)
{
    if (!m || index < 0 || index >= m->graph.meta.n)
        return IMP_ERR_ARGUMENT;
    if (key)
        *key = m->graph.meta.entries[index].key;
    if (value)
        *value = m->graph.meta.entries[index].value;
    return IMP_OK;
}

const char *imp_model_metadata_find(const struct imp_model *m, const char *key)
{
    return m ? imp_metadata_find(&m->graph.meta, key) : NULL;
}

int imp_model_input_count(const struct imp_model *m)
{
    return m ? m->graph.n_inputs : 0;
}

int imp_model_output_count(const struct imp_model *m)
{
    return m ? m->graph.n_outputs : 0;
}

enum imp_status imp_model_input_info(const struct imp_model *m, int index,
                                     struct imp_tensor_info *info)
{
    if (!m || !info || index < 0 || index >= m->graph.n_inputs)
        return IMP_ERR_ARGUMENT;
    const struct imp_value *v = &m->graph.values[m->graph.inputs[index]];
    info->name = v->name;
    info->dtype = v->dtype;
    info->rank = v->shape.rank;
    memcpy(info->dims, v->shape.d, sizeof info->dims);
    return IMP_OK;
}

unsigned imp_model_input_resizable(const struct imp_model *m, int index)
{
    if (!m || !m->resizable || index < 0 || index >= m->graph.n_inputs)
        return 0;
    return m->resizable[index];
}

enum imp_status imp_model_output_info(const struct imp_model *m, int index,
                                      struct imp_tensor_info *info)
{
    if (!m || !info || index < 0 || index >= m->graph.n_outputs)
        return IMP_ERR_ARGUMENT;
    const struct imp_value *v = &m->graph.values[m->graph.outputs[index]];
    const struct imp_tensor *t = &m->output_guess[index];
    info->name = v->name;
    info->dtype = t->dtype;
    info->rank = t->shape.rank;
    memcpy(info->dims, t->shape.d, sizeof info->dims);
    /* Where the declared output leaves a dim open, report it open. */
    if (v->shape.rank == t->shape.rank)
        for (int d = 0; d < v->shape.rank; d++)
            if (v->shape.d[d] < 0)
                info->dims[d] = -1;
    return IMP_OK;
}

static int find_io(const struct imp_graph *g, const int *list, int n,
                   const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(g->values[list[i]].name, name) == 0)
            return i;
    return -1;
}

int imp_model_find_input(const struct imp_model *m, const char *name)
{
    return m && name ? find_io(&m->graph, m->graph.inputs, m->graph.n_inputs, name) : -1;
}

int imp_model_find_output(const struct imp_model *m, const char *name)
{
    return m && name ? find_io(&m->graph, m->graph.outputs, m->graph.n_outputs, name) : -1;
}

const char *imp_model_source_format(const struct imp_model *m)
{
    return m && m->graph.source_format ? m->graph.source_format : "?";
}

int imp_model_node_count(const struct imp_model *m)
{
    return m ? m->graph.n_nodes : 0;
}

const char *imp_model_node_op(const struct imp_model *m, int i)
{
    if (!m || i < 0 || i >= m->graph.n_nodes)
        return NULL;
    return imp_op_name(m->graph.nodes[i].op);
}

const char *imp_model_node_name(const struct imp_model *m, int i)
{
    if (!m || i < 0 || i >= m->graph.n_nodes)
        return NULL;
    return m->graph.nodes[i].name;
}

const char *imp_model_node_input(const struct imp_model *m, int i, int k)
{
    if (!m || i < 0 || i >= m->graph.n_nodes)
        return NULL;
    const struct imp_node *n = &m->graph.nodes[i];
    if (k < 0 || k >= n->n_inputs || n->inputs[k] < 0)
        return NULL;
    return m->graph.values[n->inputs[k]].name;
}

enum imp_status imp_model_param(const struct imp_model *m, const char *name,
                                const float **data, size_t *count)
{
    if (!m || !name || !data || !count)
        return IMP_ERR_ARGUMENT;
    int v = imp_graph_find_value(&m->graph, name);
    if (v < 0)
        return IMP_ERR_ARGUMENT;
    const struct imp_value *val = &m->graph.values[v];
    int64_t n = imp_shape_count(&val->shape);
    if (val->kind != IMP_VALUE_CONST || val->dtype != IMP_DTYPE_F32 || n < 0 ||
        (size_t)n * sizeof(float) > val->nbytes)
        return IMP_ERR_ARGUMENT;
    *data = val->data;
    *count = (size_t)n;
    return IMP_OK;
}

int64_t imp_model_param_count(const struct imp_model *m)
{
    int64_t n = 0;
    for (int v = 0; m && v < m->graph.n_values; v++) {
        const struct imp_value *val = &m->graph.values[v];
        if (val->kind == IMP_VALUE_CONST && val->dtype == IMP_DTYPE_F32) {
            int64_t c = imp_shape_count(&val->shape);
            n += c > 0 ? c : 0;
        }
    }
    return n;
}
