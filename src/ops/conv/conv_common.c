/* Checks and geometry shared by Conv and ConvTranspose (conv_common.h). */
#include "ops/conv/conv_common.h"

#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "ops/activation.h"

enum imp_status imp_conv_check_f32(const struct imp_tensor *const *in, int n_in,
                                   struct imp_error *err)
{
    static const char *const names[] = {"X", "W", "B"};
    for (int i = 0; i < n_in && i < 3; i++)
        if (in[i] && in[i]->dtype != IMP_DTYPE_F32)
            return imp_fail(err, IMP_ERR_UNSUPPORTED,
                            "input %s is %s; only float32 is supported", names[i],
                            imp_dtype_name(in[i]->dtype));
    return IMP_OK;
}

/* The `pad_mode` attribute, once the window is parsed. */
static enum imp_status pad_mode_parse(const struct imp_node *node, bool transpose,
                                      struct imp_conv_geom *g, struct imp_error *err)
{
    g->pad_mode = IMP_CONV_PAD_ZEROS;
    const struct imp_attr *a = imp_node_attr(node, "pad_mode");
    if (!a)
        return IMP_OK;
    if (transpose)
        return imp_fail(err, IMP_ERR_FORMAT, "pad_mode is a Conv attribute");
    if (a->type != IMP_ATTR_STRING || !a->s ||
        (strcmp(a->s, "reflect") != 0 && strcmp(a->s, "edge") != 0))
        return imp_fail(err, IMP_ERR_FORMAT, "pad_mode must be \"reflect\" or \"edge\"");
    const struct imp_window *w = &g->w;
    if (w->nsp != 2 || w->auto_pad != IMP_AUTO_PAD_NOTSET)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "pad_mode needs a 2-D Conv with explicit pads");
    g->pad_mode = a->s[0] == 'r' ? IMP_CONV_PAD_REFLECT : IMP_CONV_PAD_EDGE;
    for (int i = IMP_WIN_AXES - 2; i < IMP_WIN_AXES; i++)
        if (g->pad_mode == IMP_CONV_PAD_REFLECT && (w->pb[i] >= w->in[i] || w->pe[i] >= w->in[i]))
            return imp_fail(err, IMP_ERR_SHAPE,
                            "reflect pads %lld/%lld must be smaller than the input (%lld)",
                            (long long)w->pb[i], (long long)w->pe[i], (long long)w->in[i]);
    return IMP_OK;
}

enum imp_status imp_conv_geometry(const struct imp_node *node,
                                  const struct imp_tensor *const *in, int n_in,
                                  bool transpose, struct imp_conv_geom *g,
                                  struct imp_error *err)
{
    if (n_in < 2 || !in[0] || !in[1])
        return imp_fail(err, IMP_ERR_FORMAT, "inputs X and W are required");
    if (n_in > 3)
        return imp_fail(err, IMP_ERR_FORMAT, "%d inputs; at most 3 (X, W, B)", n_in);
    enum imp_status st = imp_conv_check_f32(in, n_in, err);
    if (st != IMP_OK)
        return st;
    const struct imp_shape *xs = &in[0]->shape, *ws = &in[1]->shape;
    const struct imp_tensor *b = n_in > 2 ? in[2] : NULL;
    int rank = xs->rank;
    if (rank < 3)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "input X has rank %d; needs N, C and a spatial axis", rank);
    if (rank > 2 + IMP_WIN_AXES)
        return imp_fail(err, IMP_ERR_UNSUPPORTED,
                        "input X has rank %d; at most %d spatial axes are supported",
                        rank, IMP_WIN_AXES);
    if (ws->rank != rank)
        return imp_fail(err, IMP_ERR_SHAPE, "weight W has rank %d but X has rank %d",
                        ws->rank, rank);

    const struct imp_attr *ga = imp_node_attr(node, "group");
    if (ga && ga->type != IMP_ATTR_INT)
        return imp_fail(err, IMP_ERR_FORMAT, "group must be an int");
    int64_t group = ga ? ga->i : 1;
    g->n = xs->d[0];
    g->c = xs->d[1];
    if (group < 1 || group > IMP_WIN_DIM_MAX)
        return imp_fail(err, IMP_ERR_FORMAT, "group = %lld must be at least 1",
                        (long long)group);
    if (g->c < 1 || g->c % group != 0)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "input has %lld channels, not a multiple of group %lld",
                        (long long)g->c, (long long)group);
    g->group = group;
    g->cg = g->c / group;
    if (!transpose) {
        /* W: [M, C/group, k...] */
        if (ws->d[1] != g->cg)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "weight has %lld input channels per group; input has "
                            "%lld channels in %lld groups",
                            (long long)ws->d[1], (long long)g->c, (long long)group);
        g->m = ws->d[0];
        if (g->m < 1 || g->m % group != 0)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "weight has %lld output channels, not a positive "
                            "multiple of group %lld",
                            (long long)g->m, (long long)group);
        g->mg = g->m / group;
    } else {
        /* W: [C, M/group, k...] */
        if (ws->d[0] != g->c)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "weight has %lld input channels; input has %lld",
                            (long long)ws->d[0], (long long)g->c);
        g->mg = ws->d[1];
        if (g->mg < 1 || g->mg > IMP_WIN_DIM_MAX / group)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "weight has %lld output channels per group",
                            (long long)g->mg);
        g->m = g->mg * group;
    }
    if (b) {
        if (b->shape.rank != 1 || b->shape.d[0] != g->m)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "bias B must have shape [%lld] (one per output channel)",
                            (long long)g->m);
    }
    g->has_bias = b != NULL;
    g->act = (struct imp_activation){.kind = IMP_ACT_NONE};
    if (!transpose) {
        st = imp_activation_from_node(node, IMP_ISA_SCALAR, &g->act, err);
        if (st != IMP_OK)
            return st;
    }
    st = imp_window_parse(node, rank - 2, &xs->d[2], &ws->d[2], &g->w, err);
    if (st == IMP_OK)
        st = pad_mode_parse(node, transpose, g, err);
    return st;
}

void imp_conv_output_shape(const struct imp_conv_geom *g, struct imp_shape *out)
{
    int nsp = g->w.nsp;
    out->rank = nsp + 2;
    out->d[0] = g->n;
    out->d[1] = g->m;
    for (int i = 0; i < nsp; i++)
        out->d[2 + i] = g->w.out[IMP_WIN_AXES - nsp + i];
}

void imp_conv_release(void *state)
{
    free(state);
}

size_t imp_conv_grain(int64_t row_macs)
{
    /* Enough work per chunk that handing it out costs nothing. */
    int64_t gr = row_macs > 0 ? 65536 / row_macs : 1;
    return gr < 1 ? 1 : (size_t)gr;
}

enum imp_status imp_conv_prepare_geometry(const struct imp_kernel_args *a,
                                          imp_conv_geometry_fn geometry, void **state,
                                          size_t *scratch_bytes, struct imp_error *err)
{
    struct imp_conv_geom *g = malloc(sizeof *g);
    if (!g)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    enum imp_status st = geometry(a->node, a->in, a->n_in, g, err);
    if (st != IMP_OK) {
        free(g);
        return st;
    }
    imp_activation_bind(&g->act, a->isa);
    *state = g;
    *scratch_bytes = 0;
    return IMP_OK;
}
