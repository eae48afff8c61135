#include "runtime/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "ops/eval.h"
#include "runtime/infer.h"
#include "runtime/plan_inputs.h"
#include "core/util.h"
#include "formats/formats.h"
#include "passes/passes.h"

static enum imp_status finish_load(struct imp_model *m, struct imp_error *err)
{
    struct imp_graph *g = &m->graph;
    enum imp_status st = imp_passes_run(g, err);
    if (st != IMP_OK)
        return st;
    if (g->n_outputs == 0)
        return imp_fail(err, IMP_ERR_FORMAT, "model has no outputs");
    m->input_shapes = calloc((size_t)g->n_inputs + 1, sizeof *m->input_shapes);
    m->output_guess = calloc((size_t)g->n_outputs + 1, sizeof *m->output_guess);
    if (!m->input_shapes || !m->output_guess)
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
    imp_aligned_free(m->backing);
    free(m);
}

enum imp_status imp_model_save_imp(const struct imp_model *m, const char *path,
                                   struct imp_error *err)
{
    imp_error_clear(err);
    if (!m || !path)
        return imp_fail(err, IMP_ERR_ARGUMENT, "null argument");
    uint8_t *data;
    size_t size;
    enum imp_status st = imp_imp_write(&m->graph, &data, &size, err);
    if (st != IMP_OK)
        return st;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(data);
        return imp_fail(err, IMP_ERR_IO, "%s: %s", path, strerror(errno));
    }
    size_t wrote = fwrite(data, 1, size, f);
    int closed = fclose(f);
    free(data);
    if (wrote != size || closed != 0)
        return imp_fail(err, IMP_ERR_IO, "%s: write failed", path);
    return IMP_OK;
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
