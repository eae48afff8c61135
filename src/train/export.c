/* A training network as a runtime model (.imp): the layer list becomes an
 * ONNX-semantics graph, one node per layer. A multi-style network also
 * carries every style's norm parameters as constants no node reads, named
 * by its metadata (docs/format.md, "Multi-style networks"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/graph.h"
#include "formats/formats.h"
#include "core/file_atomic.h"
#include "train/tnet_priv.h"

static int add_const(struct imp_graph *g, const char *name, int rank, const int64_t *dims,
                     enum imp_dtype dt, const void *data)
{
    struct imp_shape s = imp_shape_make(rank, dims);
    return imp_graph_add_const(g, name, dt, &s, data);
}

/* One node reading `ins` and writing a fresh activation; its index, or -1. */
static int add_node(struct imp_graph *g, enum imp_op op, int i, int n_in, const int *ins,
                    int *node)
{
    char name[32];
    snprintf(name, sizeof name, "v%d", i);
    struct imp_shape s = {.rank = 0};
    int out = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, &s);
    for (int k = 0; k < n_in; k++)
        if (ins[k] < 0)
            return -1;
    *node = out < 0 ? -1 : imp_graph_add_node(g, op, name, n_in, ins, 1, &out);
    return *node < 0 ? -1 : out;
}

static enum imp_status build_graph(const struct imp_tnet *net, const float *mix,
                                   struct imp_graph *g)
{
    int *val = malloc(sizeof(int) * (size_t)net->n_layers);
    if (!val)
        return IMP_ERR_NOMEM;
    int64_t in_dims[4] = {1, net->in_channels, -1, -1};
    struct imp_shape in_shape = imp_shape_make(4, in_dims);
    val[0] = imp_graph_add_value(g, "input", IMP_VALUE_INPUT, IMP_DTYPE_F32, &in_shape);
    bool ok = val[0] >= 0 && imp_graph_add_input(g, val[0]) == IMP_OK;
    int n_norm = 0;
    for (int i = 1; i < net->n_layers && ok; i++) {
        const struct tl_layer *l = &net->layers[i];
        const int c_in = net->layers[l->in0].channels;
        int x = val[l->in0], node = -1, v = -1;
        char name[48];
        switch (l->kind) {
        case TL_CONV: {
            int64_t wd[4] = {l->channels, c_in, l->kernel, l->kernel}, bd[1] = {l->channels};
            snprintf(name, sizeof name, "conv%d.weight", i);
            int ins[3] = {x, add_const(g, name, 4, wd, IMP_DTYPE_F32, net->params + l->w_off),
                          -1};
            if (l->bias) {
                snprintf(name, sizeof name, "conv%d.bias", i);
                ins[2] = add_const(g, name, 1, bd, IMP_DTYPE_F32, net->params + l->b_off);
            }
            v = add_node(g, IMP_OP_CONV, i, l->bias ? 3 : 2, ins, &node);
            int64_t pads[4] = {l->pad, l->pad, l->pad, l->pad}, st[2] = {l->stride, l->stride};
            ok = v >= 0 && imp_node_set_ints(g, node, "pads", pads, 4) == IMP_OK &&
                 imp_node_set_ints(g, node, "strides", st, 2) == IMP_OK;
            break;
        }
        case TL_NORM: {
            float *sc = calloc((size_t)l->channels * 2, sizeof(float));
            if (!sc) {
                ok = false;
                break;
            }
            for (int s = 0; s < l->n_styles; s++) {
                float a = mix ? mix[s] : s == 0;
                for (int ch = 0; ch < l->channels; ch++) {
                    sc[ch] += a * net->params[l->w_off + (size_t)s * (size_t)l->channels + (size_t)ch];
                    sc[l->channels + ch] +=
                        a * net->params[l->b_off + (size_t)s * (size_t)l->channels + (size_t)ch];
                }
            }
            int64_t cd[1] = {l->channels};
            int ins[3] = {x, -1, -1};
            snprintf(name, sizeof name, "norm%d.scale", n_norm);
            ins[1] = add_const(g, name, 1, cd, IMP_DTYPE_F32, sc);
            snprintf(name, sizeof name, "norm%d.shift", n_norm);
            ins[2] = add_const(g, name, 1, cd, IMP_DTYPE_F32, sc + l->channels);
            free(sc);
            n_norm++;
            v = add_node(g, IMP_OP_INSTANCE_NORM, i, 3, ins, &node);
            ok = v >= 0 && imp_node_set_float(g, node, "epsilon", 1e-5f) == IMP_OK;
            break;
        }
        case TL_RELU:
        case TL_SIGMOID:
        case TL_TANH:
            v = add_node(g, l->kind == TL_RELU ? IMP_OP_RELU
                            : l->kind == TL_SIGMOID ? IMP_OP_SIGMOID : IMP_OP_TANH,
                         i, 1, &x, &node);
            ok = v >= 0;
            break;
        case TL_PAD: {
            v = add_node(g, IMP_OP_PAD, i, 1, &x, &node);
            int64_t pads[8] = {0, 0, l->pad, l->pad, 0, 0, l->pad, l->pad};
            ok = v >= 0 && imp_node_set_ints(g, node, "pads", pads, 8) == IMP_OK &&
                 imp_node_set_string(g, node, "mode", "reflect") == IMP_OK;
            break;
        }
        case TL_UP2: {
            const float scales[4] = {1, 1, 2, 2};
            int64_t sd[1] = {4};
            snprintf(name, sizeof name, "up%d.scales", i);
            int sc = add_const(g, name, 1, sd, IMP_DTYPE_F32, scales);
            if (!l->linear) {
                int ins[2] = {x, sc};
                v = add_node(g, IMP_OP_UPSAMPLE, i, 2, ins, &node);
                ok = v >= 0 && imp_node_set_string(g, node, "mode", "nearest") == IMP_OK;
                break;
            }
            /* Upsample's linear mode has asymmetric coordinates; the
             * trainer's are Resize's half_pixel (its default), with an
             * empty roi before the scales. */
            int64_t none[1] = {0};
            snprintf(name, sizeof name, "up%d.roi", i);
            int ins[3] = {x, add_const(g, name, 1, none, IMP_DTYPE_F32, NULL), sc};
            v = add_node(g, IMP_OP_RESIZE, i, 3, ins, &node);
            ok = v >= 0 && imp_node_set_string(g, node, "mode", "linear") == IMP_OK;
            break;
        }
        case TL_ADD: {
            int ins[2] = {x, val[l->in1]};
            v = add_node(g, IMP_OP_ADD, i, 2, ins, &node);
            ok = v >= 0;
            break;
        }
        case TL_MAXPOOL:
        case TL_AVGPOOL: {
            v = add_node(g, l->kind == TL_MAXPOOL ? IMP_OP_MAX_POOL : IMP_OP_AVERAGE_POOL, i, 1,
                         &x, &node);
            int64_t k2[2] = {2, 2};
            ok = v >= 0 && imp_node_set_ints(g, node, "kernel_shape", k2, 2) == IMP_OK &&
                 imp_node_set_ints(g, node, "strides", k2, 2) == IMP_OK;
            break;
        }
        case TL_INPUT:
            ok = false;
            break;
        }
        val[i] = v;
    }
    if (ok) {
        int out = val[net->n_layers - 1];
        free(g->values[out].name);
        g->values[out].name = strdup("output");
        ok = g->values[out].name && imp_graph_add_output(g, out) == IMP_OK;
    }
    free(val);
    return ok ? IMP_OK : IMP_ERR_NOMEM;
}

static int tnet_styles(const struct imp_tnet *net)
{
    for (int i = 1; i < net->n_layers; i++)
        if (net->layers[i].kind == TL_NORM)
            return net->layers[i].n_styles;
    return 0;
}

static bool style_name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n < 64 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* A comma list grown one name at a time; false when memory ran out. */
static bool list_add(char **list, size_t *len, const char *name)
{
    size_t n = strlen(name);
    char *grown = realloc(*list, *len + n + 2);
    if (!grown)
        return false;
    if (*len)
        grown[(*len)++] = ',';
    memcpy(grown + *len, name, n + 1);
    *len += n;
    *list = grown;
    return true;
}

/* Every style's scales and shifts as constants "style.NAME.normK.scale"
 * and ".shift", and the metadata that names them. */
static enum imp_status add_styles(const struct imp_tnet *net, const struct imp_tnet_export *o,
                                  struct imp_graph *g, struct imp_error *err)
{
    const int n_styles = tnet_styles(net);
    char *names = NULL, *live = NULL, *params = NULL;
    size_t names_len = 0, live_len = 0;
    bool ok = true;
    for (int s = 0; s < n_styles && ok; s++) {
        const char *sn = o->styles[s].name;
        if (!sn || !style_name_ok(sn)) {
            free(names);
            return imp_fail(err, IMP_ERR_ARGUMENT, "export: style name '%.64s' must be 1 to "
                            "63 of a-z, 0-9, _ and -", sn ? sn : "");
        }
        for (int t = 0; t < s; t++)
            if (strcmp(o->styles[t].name, sn) == 0) {
                free(names);
                return imp_fail(err, IMP_ERR_ARGUMENT, "export: two styles are named '%s'",
                                sn);
            }
        ok = list_add(&names, &names_len, sn);
    }
    for (int s = 0; s < n_styles && ok; s++) {
        const char *sn = o->styles[s].name;
        size_t params_len = 0;
        int n_norm = 0;
        for (int i = 1; i < net->n_layers && ok; i++) {
            const struct tl_layer *l = &net->layers[i];
            if (l->kind != TL_NORM)
                continue;
            int64_t cd[1] = {l->channels};
            for (int k = 0; k < 2 && ok; k++) {
                char name[128], live_name[48];
                snprintf(live_name, sizeof live_name, "norm%d.%s", n_norm, k ? "shift" : "scale");
                snprintf(name, sizeof name, "style.%s.%s", sn, live_name);
                const float *src = net->params + (k ? l->b_off : l->w_off) +
                                   (size_t)s * (size_t)l->channels;
                int v = add_const(g, name, 1, cd, IMP_DTYPE_F32, src);
                ok = v >= 0 && list_add(&params, &params_len, name) &&
                     (s > 0 || list_add(&live, &live_len, live_name));
                if (ok)
                    g->values[v].kept = true;
            }
            n_norm++;
        }
        char key[128];
        snprintf(key, sizeof key, "impasto.style.%s.params", sn);
        ok = ok && params && imp_metadata_set(&g->meta, key, params);
        free(params);
        params = NULL;
        snprintf(key, sizeof key, "impasto.style.%s.title", sn);
        ok = ok && (!o->styles[s].title || imp_metadata_set(&g->meta, key, o->styles[s].title));
        snprintf(key, sizeof key, "impasto.style.%s.painter", sn);
        ok = ok &&
             (!o->styles[s].painter || imp_metadata_set(&g->meta, key, o->styles[s].painter));
    }
    ok = ok && names && live && imp_metadata_set(&g->meta, "impasto.styles", names) &&
         imp_metadata_set(&g->meta, "impasto.styles.params", live);
    free(names);
    free(live);
    if (!ok)
        return imp_fail(err, IMP_ERR_NOMEM, "export: out of memory (or a title or painter "
                        "that is not plain UTF-8 text)");
    return IMP_OK;
}

enum imp_status imp_tnet_export_imp(const struct imp_tnet *net, const float *style_mix,
                                    const char *path, struct imp_error *err)
{
    const struct imp_tnet_export o = {.style_mix = style_mix};
    return imp_tnet_export(net, &o, path, err);
}

enum imp_status imp_tnet_export(const struct imp_tnet *net, const struct imp_tnet_export *o,
                                const char *path, struct imp_error *err)
{
    if (net->n_layers < 2)
        return imp_fail(err, IMP_ERR_ARGUMENT, "export: the network has no layers");
    if (o->styles && tnet_styles(net) < 1)
        return imp_fail(err, IMP_ERR_ARGUMENT, "export: styles named, but the network has "
                        "no conditional norms");
    struct imp_graph g;
    imp_graph_init(&g);
    g.source_format = "imp";
    enum imp_status st = build_graph(net, o->style_mix, &g);
    if (st != IMP_OK) {
        imp_graph_release(&g);
        return imp_fail(err, st, "export: out of memory building the graph");
    }
    /* What pixels the network wants and gives: RGB 0..1, NCHW. */
    static const char *const convention[][2] = {
        {"impasto.input.layout", "NCHW"}, {"impasto.input.channels", "RGB"},
        {"impasto.input.range", "0,1"},   {"impasto.output.range", "0,1"}};
    for (size_t i = 0; i < sizeof convention / sizeof convention[0]; i++)
        if (!imp_metadata_set(&g.meta, convention[i][0], convention[i][1]))
            st = IMP_ERR_NOMEM;
    if (st == IMP_OK && o->recipe && !imp_metadata_set(&g.meta, "impasto.recipe", o->recipe))
        st = imp_fail(err, IMP_ERR_ARGUMENT, "export: the recipe is not plain UTF-8 text");
    else if (st != IMP_OK)
        st = imp_fail(err, st, "export: out of memory");
    if (st == IMP_OK && o->styles)
        st = add_styles(net, o, &g, err);
    if (st != IMP_OK) {
        imp_graph_release(&g);
        return st;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    st = imp_imp_write(&g, &data, &size, err);
    imp_graph_release(&g);
    if (st != IMP_OK)
        return st;
    /* What we write must load. */
    struct imp_model *m = NULL;
    st = imp_model_load_buffer(data, size, &m, err);
    imp_model_free(m);
    if (st == IMP_OK) {
        int e = imp_write_file_atomic(path, data, size);
        if (e)
            st = imp_fail(err, IMP_ERR_IO, "%s: %s (nothing written)", path, strerror(e));
    } else {
        imp_error_prefix(err, "export: the runtime does not load the model");
    }
    free(data);
    return st;
}
