/*
 * Transpose sinking. Readers of channels-last formats (TFLite) wrap every
 * layout-sensitive op in NHWC->NCHW and NCHW->NHWC Transposes; between two
 * convolutions that leaves pairs that undo each other, often separated by
 * element-wise ops. This pass moves Transposes down through element-wise
 * ops and merges consecutive ones, so the pairs meet and vanish:
 *
 *   T(x) -> Relu          becomes  Relu(x) -> T
 *   T(a) + T(b)           becomes  T(a + b)           (same permutation)
 *   T(a) * c  (constant)  becomes  T(a * c')          (c' = c permuted back)
 *   T2(T1(x))             becomes  T(x) with the composed permutation,
 *                                  or x when that is the identity
 *
 * A Transpose is only moved when its output has no other reader and is not
 * a graph output, so no value anyone can observe changes; merging T2 into
 * T1 needs no such care, since T1 stays for its other readers. New constant
 * permutations are expressed as Reshape/Transpose nodes on the constant;
 * the constant folder that runs after this pass evaluates them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes/passes.h"
#include "passes/value_uses.h"

static bool is_unary_elementwise(enum imp_op op)
{
    switch (op) {
    case IMP_OP_RELU: case IMP_OP_LEAKY_RELU: case IMP_OP_SIGMOID:
    case IMP_OP_TANH: case IMP_OP_HARD_SIGMOID: case IMP_OP_HARD_SWISH:
    case IMP_OP_CLIP: case IMP_OP_SQRT: case IMP_OP_IDENTITY:
    case IMP_OP_AFFINE: case IMP_OP_CAST:
        return true;
    default:
        return false;
    }
}

static bool is_binary_elementwise(enum imp_op op)
{
    return op == IMP_OP_ADD || op == IMP_OP_SUB || op == IMP_OP_MUL ||
           op == IMP_OP_DIV || op == IMP_OP_POW;
}

/* The permutation of a Transpose node; false if absent or malformed. */
static bool get_perm(const struct imp_node *n, int64_t *perm, int *rank)
{
    const struct imp_attr *a = imp_node_attr(n, "perm");
    if (!a || a->type != IMP_ATTR_INTS || a->n < 1 || a->n > IMP_MAX_RANK)
        return false;
    bool seen[IMP_MAX_RANK] = {false};
    for (int i = 0; i < a->n; i++) {
        if (a->ints[i] < 0 || a->ints[i] >= a->n || seen[a->ints[i]])
            return false;
        seen[a->ints[i]] = true;
        perm[i] = a->ints[i];
    }
    *rank = a->n;
    return true;
}

/* The Transpose node producing value v, if v has exactly one reader. */
static int sole_transpose(const struct imp_graph *g, const struct imp_value_uses *u,
                          int v)
{
    if (!imp_value_private(u, v))
        return -1;
    int p = u->producer[v];
    return p >= 0 && g->nodes[p].op == IMP_OP_TRANSPOSE ? p : -1;
}

/* A constant aligned to `rank` dims (leading 1s) and permuted by the
 * inverse of `perm`, as new Reshape/Transpose nodes the folder evaluates.
 * Returns the new value index, or -1 on allocation failure. */
static int permuted_constant(struct imp_graph *g, int c, const int64_t *perm,
                             int rank)
{
    char name[512];
    const struct imp_value *cv = &g->values[c];
    int64_t numel = imp_shape_count(&cv->shape);
    if (numel == 1)
        return c; /* a scalar broadcasts the same in any layout */
    struct imp_shape aligned = {.rank = rank};
    int pad = rank - cv->shape.rank;
    for (int i = 0; i < rank; i++)
        aligned.d[i] = i < pad ? 1 : cv->shape.d[i - pad];
    struct imp_shape dims_shape = {.rank = 1, .d = {rank}};
    snprintf(name, sizeof name, "%s/aligned_shape", cv->name);
    int shape_const = imp_graph_add_const(g, name, IMP_DTYPE_I64, &dims_shape, aligned.d);
    snprintf(name, sizeof name, "%s/aligned", g->values[c].name);
    int aligned_v = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    snprintf(name, sizeof name, "%s/permuted", g->values[c].name);
    int permuted = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
    if (shape_const < 0 || aligned_v < 0 || permuted < 0)
        return -1;
    int in2[2] = {c, shape_const};
    if (imp_graph_add_node(g, IMP_OP_RESHAPE, name, 2, in2, 1, &aligned_v) < 0)
        return -1;
    int64_t inverse[IMP_MAX_RANK];
    for (int i = 0; i < rank; i++)
        inverse[perm[i]] = i;
    int t = imp_graph_add_node(g, IMP_OP_TRANSPOSE, name, 1, &aligned_v, 1, &permuted);
    if (t < 0 || imp_node_set_ints(g, t, "perm", inverse, rank) != IMP_OK)
        return -1;
    return permuted;
}

/* One rewrite somewhere in the graph; returns 1 if it changed something,
 * 0 at the fixpoint, -1 on allocation failure. */
static int rewrite_once(struct imp_graph *g, const struct imp_value_uses *u)
{
    for (int ni = 0; ni < g->n_nodes; ni++) {
        struct imp_node *n = &g->nodes[ni];
        int64_t perm[IMP_MAX_RANK], perm2[IMP_MAX_RANK];
        int rank, rank2;

        if (n->op == IMP_OP_TRANSPOSE && n->n_inputs == 1 && get_perm(n, perm2, &rank2)) {
            /* T1 may have other readers: they keep it, this node skips it. */
            int t1 = n->inputs[0] >= 0 ? u->producer[n->inputs[0]] : -1;
            if (t1 < 0 || g->nodes[t1].op != IMP_OP_TRANSPOSE ||
                g->nodes[t1].n_inputs != 1 || !get_perm(&g->nodes[t1], perm, &rank) ||
                rank != rank2)
                continue;
            /* T2(T1(x)): out[i] = x[perm[perm2[i]]] */
            int64_t composed[IMP_MAX_RANK];
            bool identity = true;
            for (int i = 0; i < rank; i++) {
                composed[i] = perm[perm2[i]];
                identity = identity && composed[i] == i;
            }
            int x = g->nodes[t1].inputs[0];
            if (identity) {
                int y = n->outputs[0];
                if (u->is_output[y]) {
                    /* The output keeps its name: a free Identity view. */
                    n->op = IMP_OP_IDENTITY;
                    n->inputs[0] = x;
                    return 1;
                }
                /* Readers of this node's output read x instead. */
                for (int k = 0; k < g->n_nodes; k++)
                    for (int q = 0; q < g->nodes[k].n_inputs; q++)
                        if (g->nodes[k].inputs[q] == y)
                            g->nodes[k].inputs[q] = x;
            } else {
                n->inputs[0] = x;
                if (imp_node_set_ints(g, ni, "perm", composed, rank) != IMP_OK)
                    return -1;
            }
            return 1;
        }

        if (is_unary_elementwise(n->op) && n->n_inputs >= 1 && n->n_outputs == 1) {
            int t = sole_transpose(g, u, n->inputs[0]);
            if (t < 0)
                continue;
            /* x -T-> a -U-> y   becomes   x -U-> a -T-> y */
            struct imp_node *tn = &g->nodes[t];
            int x = tn->inputs[0], a = n->inputs[0], y = n->outputs[0];
            n->inputs[0] = x;
            n->outputs[0] = a;
            tn->inputs[0] = a;
            tn->outputs[0] = y;
            g->values[a].shape.rank = 0;
            return 1;
        }

        if (is_binary_elementwise(n->op) && n->n_inputs == 2 && n->n_outputs == 1) {
            int ta = sole_transpose(g, u, n->inputs[0]);
            int tb = sole_transpose(g, u, n->inputs[1]);
            int t = ta >= 0 ? ta : tb;
            if (t < 0 || !get_perm(&g->nodes[t], perm, &rank))
                continue;
            int side = ta >= 0 ? 0 : 1, other = n->inputs[1 - side];
            int other_t = side == 0 ? tb : ta;
            int new_other;
            if (other_t >= 0) {
                if (!get_perm(&g->nodes[other_t], perm2, &rank2) || rank2 != rank ||
                    memcmp(perm, perm2, sizeof(int64_t) * (size_t)rank) != 0)
                    continue;
                new_other = g->nodes[other_t].inputs[0];
            } else if (g->values[other].kind == IMP_VALUE_CONST &&
                       g->values[other].shape.rank <= rank) {
                new_other = permuted_constant(g, other, perm, rank);
                if (new_other < 0)
                    return -1;
                n = &g->nodes[ni]; /* adding nodes may have moved the array */
            } else {
                continue;
            }
            /* T(x) op o -> y   becomes   x op o' -> a -T-> y, where a is
             * the old transpose's output value, now free to reuse. */
            struct imp_node *tn = &g->nodes[t];
            int x = tn->inputs[0], a = tn->outputs[0], y = n->outputs[0];
            n->inputs[side] = x;
            n->inputs[1 - side] = new_other;
            n->outputs[0] = a;
            tn->inputs[0] = a;
            tn->outputs[0] = y;
            g->values[a].shape.rank = 0;
            return 1;
        }
    }
    return 0;
}

enum imp_status imp_pass_sink_transposes(struct imp_graph *g, struct imp_error *err)
{
    bool any_transpose = false;
    for (int ni = 0; ni < g->n_nodes && !any_transpose; ni++)
        any_transpose = g->nodes[ni].op == IMP_OP_TRANSPOSE;
    if (!any_transpose)
        return IMP_OK;
    struct imp_value_uses u = IMP_VALUE_USES_INIT;
    enum imp_status st = IMP_OK;
    /* Every rewrite strictly moves a Transpose later or removes one, so
     * this terminates; the bound guards against a bug turning it into a
     * hang on a hostile graph. */
    for (int iter = 0; iter < 16 * g->n_nodes + 64; iter++) {
        st = imp_value_uses_count(g, &u, err);
        if (st != IMP_OK)
            break;
        int r = rewrite_once(g, &u);
        if (r < 0) {
            st = imp_fail(err, IMP_ERR_NOMEM, "out of memory");
            break;
        }
        if (r == 0)
            break;
        st = imp_graph_sort(g, err);
        if (st != IMP_OK)
            break;
    }
    imp_value_uses_free(&u);
    return st;
}
