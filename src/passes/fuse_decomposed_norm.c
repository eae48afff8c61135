/*
 * Instance and layer norms written out as arithmetic, recognised and
 * replaced by one InstanceNormalization or LayerNormalization.
 *
 * Converters that have no instance-norm operator write it as the moments
 * and the map. TensorFlow's (tf.nn.moments + tf.nn.batch_normalization,
 * as in the TFLite Magenta style networks; Rsqrt arrives as 1 / Sqrt):
 *
 *   m = ReduceMean(x, spatial); d = x - m; v = ReduceMean(d * d, spatial)
 *   r = 1 / Sqrt(v + eps)                      (or Pow(v + eps, -0.5))
 *   k = r * gamma                              (k = r without gamma)
 *   y = x * k + (beta - m * k)                 (x * k - m * k without beta)
 *
 * and the PyTorch-style one, (x - mean) / sqrt(var + eps) * gamma + beta:
 *
 *   y0 = d / Sqrt(v + eps)   or   y0 = d * r;   y = y0 * gamma + beta
 *
 * with d * d also as Pow(d, 2), the affine parts optional and commutative
 * operands in either order. Each instance reads and writes the whole tensor
 * about eight times; the fused node twice. Gamma and beta may be graph
 * values (the Magenta network computes them from the style vector at run):
 * InstanceNormalization reads them per run, so a value of C floats is fed
 * through a Reshape to [C], and a constant becomes a [C] constant.
 *
 * What must hold, else nothing changes: the reductions are means over
 * the trailing axes from some axis k on, with kept dims (k = 2 of a rank
 * >= 3 float tensor, the spatial axes of NCHW: an instance norm; any other
 * k: a layer norm, LayerNormalization with axis k); epsilon is added to
 * the variance inside the square root (a constant scalar, finite, >= 0),
 * as both operators have it -- the std + eps form is another function and
 * stays as it is; every value
 * between x and y is read only inside the pattern and is not a graph
 * output; gamma and beta vary along the channel axis only (a layer norm's:
 * along the normalised axes only; shapes from the caller's trial
 * inference); y has x's shape. Runs once shapes are known
 * (runtime/model.c), before the Relu/Pad fusion that then takes the new
 * node's followers.
 *
 * Open dims: for a model whose input leaves dims open (a style network
 * that takes any picture size), the shapes come from two inferences at
 * different stand-in sizes, and a dim that differs between them is -1
 * here. The pattern itself is size-free (means over axes named by
 * number, element-wise arithmetic, broadcasts of kept-dims means), so
 * only what the fused node fixes must be known: the channel count of an
 * instance norm, every normalised dim of a layer norm (its Scale and B
 * have their shape), and gamma and beta, whose dims must all be known
 * (one that follows the picture size varies along a spatial axis). y's
 * shape equals x's dim by dim, open dims included: every other operand
 * of the pattern is derived from x or has known dims.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "ops/op_util.h"
#include "passes/passes.h"

#define ANY (-2)
#define MAX_PATTERN 16

struct ctx {
    struct imp_graph *g;
    const struct imp_tensor *known; /* dtype and shape per value */
    int *first, *list; /* readers of value v: list[first[v] .. first[v + 1]) */
    bool *is_output, *drop;
};

struct match {
    int x, m, y, gamma, beta;
    int axis;   /* first normalised axis: the means run over axis.. */
    bool layer; /* LayerNormalization (else InstanceNormalization: axis 2) */
    float eps;
    int nodes[MAX_PATTERN], n;
};

static bool add_node(struct match *mt, int ni)
{
    if (mt->n >= MAX_PATTERN)
        return false;
    mt->nodes[mt->n++] = ni;
    return true;
}

static const struct imp_node *node(const struct ctx *c, int ni)
{
    return &c->g->nodes[ni];
}

static int out0(const struct ctx *c, int ni)
{
    const struct imp_node *n = node(c, ni);
    return n->n_outputs == 1 ? n->outputs[0] : -1;
}

/* A constant float32 holding one value (any rank of ones). */
static bool const_scalar(const struct ctx *c, int v, float *out)
{
    if (v < 0 || v >= c->g->n_values)
        return false;
    const struct imp_value *val = &c->g->values[v];
    if (val->kind != IMP_VALUE_CONST || !val->data || val->dtype != IMP_DTYPE_F32 ||
        imp_shape_count(&val->shape) != 1 || val->nbytes < sizeof(float))
        return false;
    memcpy(out, val->data, sizeof *out);
    return true;
}

static bool is_const_value(const struct ctx *c, int v, float want)
{
    float f;
    return const_scalar(c, v, &f) && f == want;
}

/* A reader of v of operator op with the two inputs (a, b) -- ANY matches
 * every value -- in this order, or in either order for Add and Mul. Skips
 * nodes already taken. Returns the node or -1. */
static int find_binary(const struct ctx *c, int v, enum imp_op op, int a, int b)
{
    bool commutes = op == IMP_OP_ADD || op == IMP_OP_MUL;
    for (int k = c->first[v]; k < c->first[v + 1]; k++) {
        int ni = c->list[k];
        const struct imp_node *n = node(c, ni);
        if (c->drop[ni] || n->op != op || n->n_inputs != 2 || n->n_outputs != 1)
            continue;
        int i0 = n->inputs[0], i1 = n->inputs[1];
        if ((a == ANY || i0 == a) && (b == ANY || i1 == b))
            return ni;
        if (commutes && (a == ANY || i1 == a) && (b == ANY || i0 == b))
            return ni;
    }
    return -1;
}

/* The input of binary node ni that is not v (the other operand). */
static int other_input(const struct ctx *c, int ni, int v)
{
    const struct imp_node *n = node(c, ni);
    return n->inputs[0] == v ? n->inputs[1] : n->inputs[0];
}

/* A ReduceMean with kept dims over the trailing axes k..rank-1 of a float
 * tensor (k >= 0): returns k, else -1. */
static int trailing_mean(const struct ctx *c, int ni)
{
    const struct imp_node *n = node(c, ni);
    if (n->op != IMP_OP_REDUCE_MEAN || n->n_inputs < 1 || n->n_outputs != 1 ||
        n->inputs[0] < 0 || imp_node_int(n, "keepdims", 1) == 0)
        return -1;
    const struct imp_tensor *x = &c->known[n->inputs[0]];
    int rank = x->shape.rank;
    if (x->dtype != IMP_DTYPE_F32 || rank < 1)
        return -1;
    int64_t axes[IMP_MAX_RANK];
    int count = 0;
    if (n->n_inputs > 1 && n->inputs[1] >= 0) {
        const struct imp_value *a = &c->g->values[n->inputs[1]];
        int64_t na = imp_shape_count(&a->shape);
        if (a->kind != IMP_VALUE_CONST || !a->data || a->dtype != IMP_DTYPE_I64 || na < 1 ||
            na > IMP_MAX_RANK || a->nbytes < sizeof(int64_t) * (size_t)na)
            return -1;
        memcpy(axes, a->data, sizeof(int64_t) * (size_t)na);
        count = (int)na;
    } else {
        count = imp_attr_ints(n, "axes", axes, IMP_MAX_RANK);
    }
    if (count < 1 || count > rank)
        return -1;
    bool seen[IMP_MAX_RANK] = {false};
    for (int i = 0; i < count; i++) {
        int ax;
        if (!imp_norm_axis(axes[i], rank, &ax) || ax < rank - count || seen[ax])
            return -1;
        seen[ax] = true;
    }
    return rank - count;
}

/* A reader of v that is a mean of v itself over the axes axis.. */
static int find_trailing_mean(const struct ctx *c, int v, int axis)
{
    for (int k = c->first[v]; k < c->first[v + 1]; k++) {
        int ni = c->list[k];
        if (!c->drop[ni] && node(c, ni)->inputs[0] == v && trailing_mean(c, ni) == axis)
            return ni;
    }
    return -1;
}

/* Elements of x from axis on, or -1 when one of those dims is open. */
static int64_t normalised_size(const struct ctx *c, const struct match *mt)
{
    const struct imp_shape *xs = &c->known[mt->x].shape;
    int64_t n = 1;
    for (int d = mt->axis; d < xs->rank; d++) {
        if (xs->d[d] < 0)
            return -1;
        n *= xs->d[d];
    }
    return n;
}

/* Gamma or beta v (or none) fits the norm: an instance norm's varies along
 * the channel axis only, a layer norm's along the normalised axes only; a
 * graph value must hold one value per channel (per normalised element),
 * as the fused node reads it, and a constant may also hold one value. */
static bool param_fits(const struct ctx *c, const struct match *mt, int v)
{
    if (v < 0)
        return true;
    const struct imp_shape *s = &c->known[v].shape, *xs = &c->known[mt->x].shape;
    if (c->known[v].dtype != IMP_DTYPE_F32 || s->rank > xs->rank)
        return false;
    for (int i = 0; i < s->rank; i++)
        if (s->d[i] < 0) /* follows an open dim of the input */
            return false;
    for (int i = 0; i < s->rank; i++) {
        int axis = xs->rank - s->rank + i;
        bool varies = mt->layer ? axis >= mt->axis : axis == 1;
        if (s->d[i] != 1 && !(varies && s->d[i] == xs->d[axis]))
            return false;
    }
    int64_t count = imp_shape_count(s);
    int64_t full = mt->layer ? normalised_size(c, mt) : xs->d[1];
    return count == full || (count == 1 && c->g->values[v].kind == IMP_VALUE_CONST);
}

/* The TensorFlow form after r = 1/std: x * k + (beta - m * k). */
static bool match_tf_map(const struct ctx *c, struct match *mt, int r)
{
    int k = r, ki = -1, pi, qi;
    pi = find_binary(c, r, IMP_OP_MUL, mt->x, r);
    qi = find_binary(c, r, IMP_OP_MUL, mt->m, r);
    if (pi < 0 || qi < 0) {
        /* k = r * gamma: a reader of r whose product feeds both. */
        pi = qi = -1;
        for (int j = c->first[r]; j < c->first[r + 1] && pi < 0; j++) {
            ki = c->list[j];
            const struct imp_node *n = node(c, ki);
            if (c->drop[ki] || n->op != IMP_OP_MUL || n->n_inputs != 2 || n->n_outputs != 1)
                continue;
            int gamma = other_input(c, ki, r);
            k = n->outputs[0];
            int p = find_binary(c, k, IMP_OP_MUL, mt->x, k);
            int q = find_binary(c, k, IMP_OP_MUL, mt->m, k);
            if (p >= 0 && q >= 0 && gamma != mt->x && gamma != mt->m) {
                pi = p;
                qi = q;
                mt->gamma = gamma;
            }
        }
        if (pi < 0 || !add_node(mt, ki))
            return false;
    }
    if (!add_node(mt, pi) || !add_node(mt, qi))
        return false;
    int p = out0(c, pi), q = out0(c, qi);
    int yi = find_binary(c, q, IMP_OP_SUB, p, q); /* no beta */
    if (yi < 0) {
        int bi = find_binary(c, q, IMP_OP_SUB, ANY, q);
        if (bi < 0 || !add_node(mt, bi))
            return false;
        mt->beta = node(c, bi)->inputs[0];
        int b = out0(c, bi);
        yi = find_binary(c, b, IMP_OP_ADD, p, b);
    }
    if (yi < 0 || !add_node(mt, yi))
        return false;
    mt->y = out0(c, yi);
    return true;
}

static bool private_value(const struct ctx *c, int v)
{
    return !c->is_output[v] && c->first[v + 1] - c->first[v] == 1;
}

/* The PyTorch form after y0 = (x - m) / std: optional * gamma, + beta. */
static void match_affine_tail(const struct ctx *c, struct match *mt, int y0)
{
    mt->y = y0;
    if (!private_value(c, y0))
        return;
    int ni = c->list[c->first[y0]];
    const struct imp_node *n = node(c, ni);
    if (!c->drop[ni] && n->op == IMP_OP_MUL && n->n_inputs == 2 && n->n_outputs == 1 &&
        other_input(c, ni, y0) != y0 && param_fits(c, mt, other_input(c, ni, y0)) &&
        add_node(mt, ni)) {
        mt->gamma = other_input(c, ni, y0);
        mt->y = n->outputs[0];
        if (!private_value(c, mt->y))
            return;
        ni = c->list[c->first[mt->y]];
        n = node(c, ni);
    }
    if (!c->drop[ni] && n->op == IMP_OP_ADD && n->n_inputs == 2 && n->n_outputs == 1 &&
        other_input(c, ni, mt->y) != mt->y &&
        param_fits(c, mt, other_input(c, ni, mt->y)) && add_node(mt, ni)) {
        mt->beta = other_input(c, ni, mt->y);
        mt->y = n->outputs[0];
    }
}

static bool in_pattern(const struct match *mt, int ni)
{
    for (int i = 0; i < mt->n; i++)
        if (mt->nodes[i] == ni)
            return true;
    return false;
}

/* Every value the pattern makes, but y, is read only inside it; gamma and
 * beta come from outside; shapes are as the fused node needs them. */
static bool pattern_closed(const struct ctx *c, const struct match *mt)
{
    for (int i = 0; i < mt->n; i++) {
        int v = out0(c, mt->nodes[i]);
        if (v < 0)
            return false;
        if (v == mt->gamma || v == mt->beta)
            return false;
        if (v == mt->y)
            continue;
        if (c->is_output[v])
            return false;
        for (int k = c->first[v]; k < c->first[v + 1]; k++)
            if (!in_pattern(mt, c->list[k]))
                return false;
    }
    const struct imp_tensor *x = &c->known[mt->x], *y = &c->known[mt->y];
    return y->dtype == IMP_DTYPE_F32 && imp_shape_equal(&x->shape, &y->shape) &&
           (mt->layer ? normalised_size(c, mt) >= 1 : x->shape.d[1] >= 1) &&
           param_fits(c, mt, mt->gamma) && param_fits(c, mt, mt->beta);
}

/* The instance norm whose mean is node mi, if there is one. */
static bool match_at(const struct ctx *c, int mi, struct match *mt)
{
    memset(mt, 0, sizeof *mt);
    mt->gamma = mt->beta = -1;
    mt->axis = c->drop[mi] ? -1 : trailing_mean(c, mi);
    if (mt->axis < 0)
        return false;
    /* Means over H, W (, D...) of NCHW: an instance norm; over any other
     * trailing axes: a layer norm. */
    mt->layer = !(mt->axis == 2 && c->known[node(c, mi)->inputs[0]].shape.rank >= 3);
    mt->x = node(c, mi)->inputs[0];
    mt->m = out0(c, mi);
    add_node(mt, mi);
    int di = find_binary(c, mt->m, IMP_OP_SUB, mt->x, mt->m);
    if (di < 0 || !add_node(mt, di))
        return false;
    int d = out0(c, di);
    int si = find_binary(c, d, IMP_OP_MUL, d, d);
    if (si < 0) {
        si = find_binary(c, d, IMP_OP_POW, d, ANY);
        if (si >= 0 && !is_const_value(c, node(c, si)->inputs[1], 2.0f))
            si = -1;
    }
    if (si < 0 || !add_node(mt, si))
        return false;
    int vi = find_trailing_mean(c, out0(c, si), mt->axis);
    if (vi < 0 || !add_node(mt, vi))
        return false;
    int v = out0(c, vi);
    int ai = find_binary(c, v, IMP_OP_ADD, v, ANY);
    if (ai < 0 || !const_scalar(c, other_input(c, ai, v), &mt->eps) ||
        !(mt->eps >= 0.0f && isfinite(mt->eps)) || !add_node(mt, ai))
        return false;
    int a = out0(c, ai);
    int r = -1, ri = find_binary(c, a, IMP_OP_POW, a, ANY);
    if (ri >= 0 && is_const_value(c, node(c, ri)->inputs[1], -0.5f)) {
        r = out0(c, ri);
    } else {
        int qi = -1;
        for (int k = c->first[a]; k < c->first[a + 1] && qi < 0; k++) {
            int ni = c->list[k];
            const struct imp_node *n = node(c, ni);
            if (!c->drop[ni] && n->op == IMP_OP_SQRT && n->n_inputs == 1 && n->n_outputs == 1)
                qi = ni;
        }
        if (qi < 0 || !add_node(mt, qi))
            return false;
        int s = out0(c, qi);
        int yi = find_binary(c, s, IMP_OP_DIV, d, s);
        if (yi >= 0) { /* (x - m) / std */
            if (!add_node(mt, yi))
                return false;
            match_affine_tail(c, mt, out0(c, yi));
            return pattern_closed(c, mt);
        }
        ri = find_binary(c, s, IMP_OP_DIV, ANY, s);
        if (ri < 0 || !is_const_value(c, node(c, ri)->inputs[0], 1.0f))
            return false;
        r = out0(c, ri);
    }
    if (!add_node(mt, ri))
        return false;
    int yi = find_binary(c, r, IMP_OP_MUL, d, r);
    if (yi >= 0) { /* (x - m) * (1 / std) */
        if (!add_node(mt, yi))
            return false;
        match_affine_tail(c, mt, out0(c, yi));
        return pattern_closed(c, mt);
    }
    return match_tf_map(c, mt, r) && pattern_closed(c, mt);
}

/* Gamma or beta as a value of shape `target` ([C] for an instance norm,
 * the normalised dims for a layer norm): a constant spread to it (or
 * `fill` when absent), or a graph value of as many floats, through a
 * Reshape unless it has that shape already. -1 on failure. */
static int param_value(struct imp_graph *g, const struct imp_tensor *known, int v,
                       const struct imp_shape *target, float fill, const char *name)
{
    const int64_t count = imp_shape_count(target);
    if (v < 0 || g->values[v].kind == IMP_VALUE_CONST) {
        float *data = imp_aligned_alloc(sizeof(float) * (size_t)count);
        if (!data)
            return -1;
        const float *src = v >= 0 ? g->values[v].data : NULL;
        int64_t n = v >= 0 ? imp_shape_count(&g->values[v].shape) : 0;
        for (int64_t i = 0; i < count; i++)
            data[i] = !src ? fill : n == 1 ? src[0] : src[i];
        return imp_graph_add_const_owned(g, name, IMP_DTYPE_F32, target, data);
    }
    if (imp_shape_equal(&known[v].shape, target))
        return v;
    char shape_name[512];
    snprintf(shape_name, sizeof shape_name, "%s/shape", name);
    struct imp_shape dims = {.rank = 1, .d = {target->rank}};
    int s = imp_graph_add_const(g, shape_name, IMP_DTYPE_I64, &dims, target->d);
    int out = s < 0 ? -1 : imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F32,
                                               target);
    int in[2] = {v, s};
    if (out < 0 || imp_graph_add_node(g, IMP_OP_RESHAPE, name, 2, in, 1, &out) < 0)
        return -1;
    return out;
}

static enum imp_status replace(struct ctx *c, const struct match *mt, struct imp_error *err)
{
    struct imp_graph *g = c->g;
    const struct imp_shape *xs = &c->known[mt->x].shape;
    struct imp_shape target = {.rank = 1, .d = {xs->d[1]}};
    if (mt->layer) {
        target.rank = xs->rank - mt->axis;
        for (int d = 0; d < target.rank; d++)
            target.d[d] = xs->d[mt->axis + d];
    }
    const char *kind = mt->layer ? "layer_norm" : "instance_norm";
    char base[400], name[512];
    snprintf(base, sizeof base, "%s", g->values[mt->y].name ? g->values[mt->y].name : "norm");
    snprintf(name, sizeof name, "%s/%s_scale", base, kind);
    int scale = param_value(g, c->known, mt->gamma, &target, 1.0f, name);
    snprintf(name, sizeof name, "%s/%s_bias", base, kind);
    int bias = scale < 0 ? -1 : param_value(g, c->known, mt->beta, &target, 0.0f, name);
    snprintf(name, sizeof name, "%s/%s", base, kind);
    int in[3] = {mt->x, scale, bias};
    int ni = bias < 0 ? -1
                      : imp_graph_add_node(g, mt->layer ? IMP_OP_LAYER_NORM : IMP_OP_INSTANCE_NORM,
                                           name, 3, in, 1, &mt->y);
    if (ni < 0 || imp_node_set_float(g, ni, "epsilon", mt->eps) != IMP_OK ||
        (mt->layer && imp_node_set_int(g, ni, "axis", mt->axis) != IMP_OK))
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory fusing a norm");
    for (int i = 0; i < mt->n; i++)
        c->drop[mt->nodes[i]] = true;
    return IMP_OK;
}

/* Readers of every value, as lists (a node reading a value twice is
 * listed twice). */
static enum imp_status index_readers(struct ctx *c, struct imp_error *err)
{
    const struct imp_graph *g = c->g;
    c->first = calloc((size_t)g->n_values + 2, sizeof *c->first);
    c->is_output = calloc((size_t)g->n_values + 1, sizeof *c->is_output);
    c->drop = calloc((size_t)g->n_nodes + 1, sizeof *c->drop);
    if (!c->first || !c->is_output || !c->drop)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    size_t total = 0;
    for (int ni = 0; ni < g->n_nodes; ni++)
        for (int k = 0; k < g->nodes[ni].n_inputs; k++) {
            int v = g->nodes[ni].inputs[k];
            if (v >= 0 && v < g->n_values) {
                c->first[v + 1]++;
                total++;
            }
        }
    for (int v = 0; v < g->n_values; v++)
        c->first[v + 1] += c->first[v];
    c->list = malloc(sizeof *c->list * (total + 1));
    int *fill = malloc(sizeof *fill * ((size_t)g->n_values + 1));
    if (!c->list || !fill) {
        free(fill);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    memcpy(fill, c->first, sizeof *fill * (size_t)g->n_values);
    for (int ni = 0; ni < g->n_nodes; ni++)
        for (int k = 0; k < g->nodes[ni].n_inputs; k++) {
            int v = g->nodes[ni].inputs[k];
            if (v >= 0 && v < g->n_values)
                c->list[fill[v]++] = ni;
        }
    free(fill);
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] >= 0 && g->outputs[i] < g->n_values)
            c->is_output[g->outputs[i]] = true;
    return IMP_OK;
}

enum imp_status imp_pass_fuse_decomposed_norm(struct imp_graph *g,
                                              const struct imp_tensor *known, int *fused,
                                              struct imp_error *err)
{
    *fused = 0;
    struct ctx c = {.g = g, .known = known};
    enum imp_status st = index_readers(&c, err);
    const int n_nodes = g->n_nodes;
    for (int ni = 0; ni < n_nodes && st == IMP_OK; ni++) {
        struct match mt;
        if (g->nodes[ni].op != IMP_OP_REDUCE_MEAN || !match_at(&c, ni, &mt))
            continue;
        /* New values are past the reader index: the index covers only the
         * values that existed, which are all a later match looks at. */
        st = replace(&c, &mt, err);
        if (st == IMP_OK)
            ++*fused;
    }
    if (st == IMP_OK && *fused > 0) {
        imp_graph_drop_nodes(g, c.drop, n_nodes);
        st = imp_graph_sort(g, err);
    }
    free(c.first);
    free(c.list);
    free(c.is_output);
    free(c.drop);
    return st;
}
