/* A student read back from the file imp_tnet_export wrote, to go on
 * training it (a new style in its norms). The file is read as it was
 * written, without the runtime's load-time passes (which rewrite
 * convolutions), and every weight is checked against the network its
 * shape implies: anything else is not a network impasto train made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/graph.h"
#include "core/util.h"
#include "formats/formats.h"
#include "train/tnet_priv.h"

/* The float32 constant `name` of exactly `count` elements, or NULL. */
static const float *constant(const struct imp_graph *g, const char *name, size_t count)
{
    int v = imp_graph_find_value(g, name);
    if (v < 0)
        return NULL;
    const struct imp_value *val = &g->values[v];
    int64_t n = imp_shape_count(&val->shape);
    if (val->kind != IMP_VALUE_CONST || val->dtype != IMP_DTYPE_F32 || n < 0 ||
        (size_t)n != count || val->nbytes < count * sizeof(float))
        return NULL;
    return val->data;
}

static enum imp_status fill(struct imp_tnet *net, const struct imp_graph *g,
                            const char *const *names, int n_styles, int extra,
                            struct imp_error *err)
{
    int n_norm = 0;
    for (int i = 1; i < net->n_layers; i++) {
        struct tl_layer *l = &net->layers[i];
        char name[160];
        if (l->kind == TL_CONV) {
            snprintf(name, sizeof name, "conv%d.weight", i);
            const float *w = constant(g, name, l->w_n);
            snprintf(name + strlen(name) - 6, 7, "bias");
            const float *b = l->bias ? constant(g, name, l->b_n) : NULL;
            if (!w || (l->bias && !b))
                return imp_fail(err, IMP_ERR_FORMAT, "conv%d: missing or of another size: "
                                "not a network impasto train made", i);
            memcpy(net->params + l->w_off, w, sizeof(float) * l->w_n);
            if (b)
                memcpy(net->params + l->b_off, b, sizeof(float) * l->b_n);
            continue;
        }
        if (l->kind != TL_NORM)
            continue;
        const size_t c = (size_t)l->channels;
        for (int k = 0; k < 2; k++) {
            float *dst = net->params + (k ? l->b_off : l->w_off);
            for (int s = 0; s < n_styles; s++) {
                snprintf(name, sizeof name, "style.%s.norm%d.%s", names[s], n_norm,
                         k ? "shift" : "scale");
                const float *src = constant(g, name, c);
                if (!src)
                    return imp_fail(err, IMP_ERR_FORMAT, "%s: missing or of another size: "
                                    "not a network impasto train made", name);
                memcpy(dst + (size_t)s * c, src, sizeof(float) * c);
            }
            /* New styles start at the mean of the trained ones. */
            for (int e = 0; e < extra; e++)
                for (size_t ch = 0; ch < c; ch++) {
                    double sum = 0.0;
                    for (int s = 0; s < n_styles; s++)
                        sum += dst[(size_t)s * c + ch];
                    dst[(size_t)(n_styles + e) * c + ch] = (float)(sum / n_styles);
                }
        }
        n_norm++;
    }
    return IMP_OK;
}

enum imp_status imp_student_load(const char *path, const char *const *names, int n_styles,
                                 int extra, struct imp_tnet **out, int *output,
                                 struct imp_error *err)
{
    *out = NULL;
    if (n_styles < 1 || extra < 0 || n_styles + extra > 1024)
        return imp_fail(err, IMP_ERR_ARGUMENT, "%s: %d styles and %d more", path, n_styles,
                        extra);
    unsigned char *data = NULL;
    size_t size = 0;
    if (imp_read_file(path, &data, &size) != 0)
        return imp_fail(err, IMP_ERR_IO, "%s: cannot read the file", path);
    struct imp_graph g;
    imp_graph_init(&g);
    enum imp_status st = imp_imp_probe(data, size) ? imp_imp_read(data, size, false, &g, err)
                                                   : imp_onnx_read(data, size, &g, err);
    free(data);
    if (st != IMP_OK) {
        imp_graph_release(&g);
        imp_error_prefix(err, "%s", path);
        return st;
    }
    /* The shape: the first convolution (after its padding) gives the
     * width and the edge kernel (9: Johnson's, 3: the fast shape), the
     * Adds count the residual blocks, a linear Resize means the bilinear
     * decoder. fill() then checks every weight
     * against the shape so guessed. */
    int v = imp_graph_find_value(&g, "conv2.weight"), blocks = 0;
    bool bilinear = false;
    for (int i = 0; i < g.n_nodes; i++) {
        blocks += g.nodes[i].op == IMP_OP_ADD;
        bilinear |= g.nodes[i].op == IMP_OP_RESIZE &&
                    strcmp(imp_node_string(&g.nodes[i], "mode", "nearest"), "linear") == 0;
    }
    const struct imp_shape *w = v >= 0 ? &g.values[v].shape : NULL;
    int width = w && w->rank == 4 ? (int)w->d[0] : 0;
    int kernel = w && w->rank == 4 ? (int)w->d[2] : 0;
    struct imp_tnet *net = NULL;
    if (width > 0 && width <= 256 && blocks <= 18) {
        struct imp_student_shape shape = imp_student_johnson(width, blocks);
        if (kernel != 9) {
            shape = imp_student_fast();
            shape.channels[0] = width;
            shape.channels[1] = 2 * width;
            shape.channels[2] = 3 * width;
            shape.edge_kernel = kernel;
            shape.bilinear = bilinear;
            /* its long skips are Adds too, one per decoder level */
            shape.res_blocks = blocks - (shape.skips ? shape.levels - 1 : 0);
        }
        net = imp_student_create_shaped(n_styles + extra, &shape, output);
    }
    if (!net) {
        imp_graph_release(&g);
        return imp_fail(err, IMP_ERR_FORMAT, "%s: not a network impasto train made (no "
                        "conv2.weight of a student's shape)", path);
    }
    st = fill(net, &g, names, n_styles, extra, err);
    imp_graph_release(&g);
    if (st != IMP_OK) {
        imp_error_prefix(err, "%s", path);
        imp_tnet_free(net);
        return st;
    }
    *out = net;
    return IMP_OK;
}
