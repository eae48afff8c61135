/*
 * What the fusions of a Pad into its neighbour (fuse_norm.c into the
 * InstanceNormalization that writes it, fuse_pad_conv.c into the Conv that
 * reads it) need to know about the Pad.
 */
#include <math.h>
#include <string.h>

#include "passes/passes.h"
#include "passes/value_uses.h"

/* Value v as n integers, when it is a constant int64/int32 vector of n. */
static bool const_ints(const struct imp_graph *g, int v, int64_t *out, int n)
{
    if (v < 0 || v >= g->n_values)
        return false;
    const struct imp_value *val = &g->values[v];
    if (val->kind != IMP_VALUE_CONST || !val->data || imp_shape_count(&val->shape) != n)
        return false;
    for (int i = 0; i < n; i++) {
        if (val->dtype == IMP_DTYPE_I64 && val->nbytes >= sizeof(int64_t) * (size_t)n)
            out[i] = ((const int64_t *)val->data)[i];
        else if (val->dtype == IMP_DTYPE_I32 && val->nbytes >= sizeof(int32_t) * (size_t)n)
            out[i] = ((const int32_t *)val->data)[i];
        else
            return false;
    }
    return true;
}

bool imp_spatial_pad(const struct imp_graph *g, const struct imp_node *n, int64_t *pads4,
                     const char **mode, float *value)
{
    int64_t p[8];
    if (n->n_inputs < 1 || n->n_outputs != 1 || (n->n_inputs > 3 && n->inputs[3] >= 0))
        return false;
    if (n->n_inputs > 1 && n->inputs[1] >= 0) {
        if (!const_ints(g, n->inputs[1], p, 8))
            return false;
    } else {
        const struct imp_attr *a = imp_node_attr(n, "pads");
        if (!a || a->type != IMP_ATTR_INTS || a->n != 8)
            return false;
        memcpy(p, a->ints, sizeof p);
    }
    if (p[0] || p[1] || p[4] || p[5])
        return false;
    static const int order[4] = {2, 3, 6, 7};
    for (int i = 0; i < 4; i++) {
        if (p[order[i]] < 0 || p[order[i]] >= ((int64_t)1 << 24))
            return false;
        pads4[i] = p[order[i]];
    }
    *mode = imp_node_string(n, "mode", "constant");
    if (strcmp(*mode, "constant") != 0 && strcmp(*mode, "reflect") != 0 &&
        strcmp(*mode, "edge") != 0)
        return false;
    *value = imp_node_float(n, "value", 0.0f);
    if (n->n_inputs > 2 && n->inputs[2] >= 0 &&
        !imp_value_const_f32_scalar(g, n->inputs[2], value))
        return false;
    return isfinite(*value);
}
