/* A training network as a runtime model (.imp): the layer list becomes an
 * ONNX-semantics graph, one node per layer. */
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
            int ins[2] = {x, add_const(g, name, 1, sd, IMP_DTYPE_F32, scales)};
            v = add_node(g, IMP_OP_UPSAMPLE, i, 2, ins, &node);
            ok = v >= 0 && imp_node_set_string(g, node, "mode", "nearest") == IMP_OK;
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

enum imp_status imp_tnet_export_imp(const struct imp_tnet *net, const float *style_mix,
                                    const char *path, struct imp_error *err)
{
    if (net->n_layers < 2)
        return imp_fail(err, IMP_ERR_ARGUMENT, "export: the network has no layers");
    struct imp_graph g;
    imp_graph_init(&g);
    g.source_format = "imp";
    enum imp_status st = build_graph(net, style_mix, &g);
    if (st != IMP_OK) {
        imp_graph_release(&g);
        return imp_fail(err, st, "export: out of memory building the graph");
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
