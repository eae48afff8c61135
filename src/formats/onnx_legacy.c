/*
 * Operators as opsets 1 to 6 wrote them.
 *
 * Most of our operators kept their meaning from opset 1 on; what changed
 * before opset 7 is spelling (consumed_inputs, which nothing reads, and
 * is_test) and a few real differences, handled here:
 *   - Add/Sub/Mul/Div/Pow broadcast only with broadcast=1, then B's dims
 *     line up with A's from `axis`; numpy's trailing rule (opset 7) agrees
 *     when axis is absent, so only an explicit axis is refused;
 *   - Cast's `to` was a type name ("FLOAT"), not a number;
 *   - Concat's axis was optional and meant 1;
 *   - Upsample took height_scale and width_scale, and called linear
 *     "bilinear".
 */
#include <string.h>

#include "formats/onnx_priv.h"
#include "ops/op.h"

/* ONNX TensorProto.DataType by the names opsets 1-5 used. */
static int64_t type_number(const char *name)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8",   "UINT16", "INT16",
        "INT32",     "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE"};
    for (int i = 1; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return 0;
}

static bool is_legacy_broadcast_op(enum imp_op op)
{
    return op == IMP_OP_ADD || op == IMP_OP_SUB || op == IMP_OP_MUL || op == IMP_OP_DIV ||
           op == IMP_OP_POW;
}

enum imp_status imp_onnx_legacy_node(struct imp_onnx_reader *r, int node)
{
    struct imp_graph *g = r->g;
    const struct imp_node *n = &g->nodes[node];
    enum imp_status st = IMP_OK;
    if (is_legacy_broadcast_op(n->op) && r->opset < 7) {
        if (imp_node_int(n, "broadcast", 0) && imp_node_attr(n, "axis"))
            return imp_fail(r->err, IMP_ERR_UNSUPPORTED,
                            "broadcasting from axis %lld (opset %lld) is not supported",
                            (long long)imp_node_int(n, "axis", 0), (long long)r->opset);
    } else if (n->op == IMP_OP_CAST && r->opset < 6) {
        const struct imp_attr *to = imp_node_attr(n, "to");
        if (to && to->type == IMP_ATTR_STRING) {
            int64_t t = type_number(to->s ? to->s : "");
            if (t == 0)
                return imp_fail(r->err, IMP_ERR_UNSUPPORTED, "Cast to '%s'", to->s);
            st = imp_node_set_int(g, node, "to", t);
        }
    } else if (n->op == IMP_OP_CONCAT && r->opset < 4) {
        if (!imp_node_attr(n, "axis"))
            st = imp_node_set_int(g, node, "axis", 1);
    } else if (n->op == IMP_OP_UPSAMPLE && r->opset < 7) {
        if (!imp_node_attr(n, "scales") && imp_node_attr(n, "height_scale")) {
            float scales[4] = {1.0f, 1.0f, imp_node_float(n, "height_scale", 1.0f),
                               imp_node_float(n, "width_scale", 1.0f)};
            st = imp_node_set_floats(g, node, "scales", scales, 4);
        }
        if (st == IMP_OK && strcmp(imp_node_string(n, "mode", "nearest"), "bilinear") == 0)
            st = imp_node_set_string(g, node, "mode", "linear");
    }
    return st == IMP_OK ? IMP_OK : imp_fail(r->err, st, "out of memory");
}
