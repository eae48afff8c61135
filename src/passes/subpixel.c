/*
 * Sub-pixel decomposition of upsampling layers. Style-transfer decoders
 * enlarge feature maps by 2 in one of two ways, and both spend most of
 * their time on pixels that carry no new information:
 *
 *   (a) U = nearest x2 (Resize/Upsample); [Pad 1]; Conv 3x3 stride 1
 *   (b) ConvTranspose 3x3 stride 2
 *
 * Output pixel (2j + r, 2i + s) of either depends on a 3x3 neighbourhood
 * of low-resolution pixel (j, i) with weights that depend only on the
 * phase (r, s). So each becomes one stride-1 3x3 convolution on the
 * low-resolution input with 4*Cout outputs, phase (r, s) in channel block
 * 2r + s, followed by DepthToSpace(2, DCR):
 *
 *   (a) x -> [Pad 1 on x] -> Conv 3x3 (4*Cout) -> DepthToSpace
 *   (b) x -> Conv 3x3 (4*Cout, zero pads) -> DepthToSpace
 *
 * (a): along one axis, conv output o = 2j + r reads U[o - 1 + k] =
 * x[floor((o - 1 + k) / 2)]: phase 0 reads x[j-1] (k=0), x[j] (k=1,2);
 * phase 1 reads x[j] (k=0,1), x[j+1] (k=2), so taps that land on the same
 * pixel are summed into one. Padding the upsampled map by 1 (reflect or
 * edge) gives the same values as edge-padding x by 1, and a constant pad
 * is the same constant either way.
 *
 * (b): with begin pad pb, output o reads x[i] through tap k where
 * o + pb = 2i + k; for each phase that is one or two taps at offsets i - j
 * in [-1, 1] when pb is 0, 1 or 2. Out-of-range x contribute nothing, which
 * is exactly the new conv's zero padding.
 *
 * Which kinds run is the caller's choice: (b) computes 36 taps per
 * weight pair where ConvTranspose needs 9 (the rest are zeros), so it
 * only pays with an engine that is fast enough on the phase conv.
 *
 * The rewrite is exact in real arithmetic (summed taps round differently
 * in float), it only fires when every tensor it drops has no other reader
 * and is not a graph output, and it is idempotent: the new graph has no
 * upsampling left to match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "core/util.h"
#include "ops/op_util.h"
#include "passes/passes.h"
#include "passes/value_uses.h"

static const struct imp_value *const_value(const struct imp_graph *g, int v)
{
    if (v < 0 || v >= g->n_values || g->values[v].kind != IMP_VALUE_CONST ||
        !g->values[v].data)
        return NULL;
    return &g->values[v];
}

/* Input k of node n, or -1 when absent or omitted. */
static int node_input(const struct imp_node *n, int k)
{
    return k < n->n_inputs ? n->inputs[k] : -1;
}

/* A constant holding no elements stands for an omitted input. */
static bool absent_input(const struct imp_graph *g, const struct imp_node *n, int k)
{
    int v = node_input(n, k);
    if (v < 0)
        return true;
    const struct imp_value *c = const_value(g, v);
    return c && imp_shape_count(&c->shape) == 0;
}

/* An ints attribute equal to `want` (count values); when absent, the
 * answer is `absent_ok`. */
static bool ints_attr_is(const struct imp_node *n, const char *name, const int64_t *want,
                         int count, bool absent_ok)
{
    const struct imp_attr *a = imp_node_attr(n, name);
    if (!a)
        return absent_ok;
    if (a->type != IMP_ATTR_INTS || a->n != count)
        return false;
    for (int i = 0; i < count; i++)
        if (a->ints[i] != want[i])
            return false;
    return true;
}

/* The float values of a small constant (float32 only). */
static int const_floats(const struct imp_graph *g, int v, float *dst, int max)
{
    const struct imp_value *c = const_value(g, v);
    if (!c || c->dtype != IMP_DTYPE_F32 || c->shape.rank > 1)
        return -1;
    int64_t n = imp_shape_count(&c->shape);
    if (n < 0 || n > max)
        return -1;
    memcpy(dst, c->data, sizeof(float) * (size_t)n);
    return (int)n;
}

/* The integer values of a small int64/int32 constant. */
static int const_ints(const struct imp_graph *g, int v, int64_t *dst, int max)
{
    const struct imp_value *c = const_value(g, v);
    if (!c || c->shape.rank > 1 ||
        (c->dtype != IMP_DTYPE_I64 && c->dtype != IMP_DTYPE_I32))
        return -1;
    int64_t n = imp_shape_count(&c->shape);
    if (n < 0 || n > max)
        return -1;
    for (int64_t i = 0; i < n; i++)
        dst[i] = c->dtype == IMP_DTYPE_I64 ? ((const int64_t *)c->data)[i]
                                           : ((const int32_t *)c->data)[i];
    return (int)n;
}

static bool is_2222(const float *s)
{
    return s[0] == 1.0f && s[1] == 1.0f && s[2] == 2.0f && s[3] == 2.0f;
}

/*
 * Does node r replicate every pixel of an NCHW tensor 2x2 (output pixel
 * (y, x) = input (y/2, x/2), integer division)? Scale 2 gives output size
 * exactly 2*in; the coordinate modes below all map output o to a source
 * coordinate in [o/2 - 1/4, o/2 + 3/4) whose rounding is floor(o/2).
 */
static bool is_nearest_x2(const struct imp_graph *g, const struct imp_node *r)
{
    float s[4];
    if (strcmp(imp_node_string(r, "mode", "nearest"), "nearest") != 0)
        return false;
    if (r->op == IMP_OP_UPSAMPLE) {
        /* asymmetric coordinates, floor when enlarging */
        if (r->n_inputs == 1) {
            const struct imp_attr *a = imp_node_attr(r, "scales");
            return a && a->type == IMP_ATTR_FLOATS && a->n == 4 && is_2222(a->floats);
        }
        return r->n_inputs == 2 && const_floats(g, r->inputs[1], s, 4) == 4 &&
               is_2222(s);
    }
    if (r->op != IMP_OP_RESIZE || r->n_inputs < 3 || r->n_inputs > 4 ||
        !absent_input(g, r, 3))
        return false;
    float given[4];
    int n = const_floats(g, r->inputs[2], given, 4);
    const struct imp_attr *axes = imp_node_attr(r, "axes");
    if (!axes) {
        if (n != 4)
            return false;
        memcpy(s, given, sizeof s);
    } else {
        if (axes->type != IMP_ATTR_INTS || axes->n != n || n < 1)
            return false;
        bool seen[4] = {false};
        s[0] = s[1] = s[2] = s[3] = 1.0f;
        for (int i = 0; i < n; i++) {
            int64_t ax = axes->ints[i] < 0 ? axes->ints[i] + 4 : axes->ints[i];
            if (ax < 0 || ax > 3 || seen[ax])
                return false;
            seen[ax] = true;
            s[ax] = given[i];
        }
    }
    if (!is_2222(s))
        return false;
    const char *coord =
        imp_node_string(r, "coordinate_transformation_mode", "half_pixel");
    const char *nearest = imp_node_string(r, "nearest_mode", "round_prefer_floor");
    bool floor_mode = strcmp(nearest, "floor") == 0;
    bool prefer_floor = strcmp(nearest, "round_prefer_floor") == 0;
    bool prefer_ceil = strcmp(nearest, "round_prefer_ceil") == 0;
    /* asymmetric: o/2, exactly j or j + 1/2 */
    if (strcmp(coord, "asymmetric") == 0)
        return floor_mode || prefer_floor;
    /* half_pixel: o/2 - 1/4, i.e. j - 1/4 or j + 1/4 (pytorch_half_pixel is
     * the same for outputs longer than 1, and 2*in always is) */
    if (strcmp(coord, "half_pixel") == 0 || strcmp(coord, "pytorch_half_pixel") == 0)
        return prefer_floor || prefer_ceil;
    /* tf_half_pixel_for_nn: o/2 + 1/4, i.e. j + 1/4 or j + 3/4 */
    if (strcmp(coord, "tf_half_pixel_for_nn") == 0)
        return floor_mode;
    return false;
}

/* A Pad by exactly 1 on H and W only (pads from the attribute or from a
 * constant input, optionally restricted to constant axes). */
static bool is_pad_hw1(const struct imp_graph *g, const struct imp_node *p)
{
    int64_t raw[8], full[8] = {0};
    int n;
    const char *mode = imp_node_string(p, "mode", "constant");
    if (strcmp(mode, "reflect") != 0 && strcmp(mode, "edge") != 0 &&
        strcmp(mode, "constant") != 0)
        return false;
    if (!absent_input(g, p, 1)) {
        n = const_ints(g, p->inputs[1], raw, 8);
    } else {
        const char *name = imp_node_attr(p, "pads") ? "pads" : "paddings";
        n = imp_attr_ints(p, name, raw, 8);
    }
    if (!absent_input(g, p, 3)) {
        int64_t axes[4];
        int na = const_ints(g, p->inputs[3], axes, 4);
        if (na < 1 || n != 2 * na)
            return false;
        bool seen[4] = {false};
        for (int i = 0; i < na; i++) {
            int64_t ax = axes[i] < 0 ? axes[i] + 4 : axes[i];
            if (ax < 0 || ax > 3 || seen[ax])
                return false;
            seen[ax] = true;
            full[ax] = raw[i];
            full[4 + ax] = raw[na + i];
        }
    } else {
        if (n != 8)
            return false;
        memcpy(full, raw, sizeof full);
    }
    static const int64_t want[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    return memcmp(full, want, sizeof want) == 0;
}

/* Attributes every rewritten convolution must have: one group, 3x3
 * kernel, dilation 1, no auto_pad, and the given stride on both axes. */
static bool conv_basics(const struct imp_node *n, int64_t stride)
{
    static const int64_t ones[2] = {1, 1}, k3[2] = {3, 3};
    const int64_t strides[2] = {stride, stride};
    if (imp_node_int(n, "group", 1) != 1)
        return false;
    const char *ap = imp_node_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") != 0 && strcmp(ap, "") != 0 &&
        !(n->op == IMP_OP_CONV_TRANSPOSE && strcmp(ap, "VALID") == 0))
        return false;
    return ints_attr_is(n, "dilations", ones, 2, true) &&
           ints_attr_is(n, "kernel_shape", k3, 2, true) &&
           ints_attr_is(n, "strides", strides, 2, stride == 1);
}

/* Float32 weights [d0, d1, 3, 3] and an optional bias of `nb` floats. */
static bool weights_ok(const struct imp_graph *g, const struct imp_node *n, int nb_dim)
{
    if (n->n_inputs < 2 || n->n_inputs > 3)
        return false;
    const struct imp_value *w = const_value(g, n->inputs[1]);
    if (!w || w->dtype != IMP_DTYPE_F32 || w->shape.rank != 4 || w->shape.d[2] != 3 ||
        w->shape.d[3] != 3 || w->shape.d[0] < 1 || w->shape.d[1] < 1)
        return false;
    if (n->n_inputs == 3 && n->inputs[2] >= 0) {
        const struct imp_value *b = const_value(g, n->inputs[2]);
        if (!b || b->dtype != IMP_DTYPE_F32 || b->shape.rank != 1 ||
            b->shape.d[0] != w->shape.d[nb_dim])
            return false;
    }
    return true;
}

/* For one axis: tap[r][k] is the 3x3 window position (0..2, i.e. offset
 * -1..1 from the low-resolution pixel) that kernel tap k of phase r lands
 * on, or -1 when tap k does not contribute to phase r. */
struct phase_map {
    int tap[2][3];
};

static void upsample_map(struct phase_map *m)
{
    static const int t[2][3] = {{0, 1, 1}, {1, 1, 2}};
    memcpy(m->tap, t, sizeof t);
}

/* ConvTranspose stride 2, kernel 3, begin pad pb (0..2). */
static void transpose_map(struct phase_map *m, int pb)
{
    for (int r = 0; r < 2; r++) {
        for (int k = 0; k < 3; k++)
            m->tap[r][k] = -1;
        int q = r + pb; /* o + pb = 2i + k with o = 2j + r */
        if (q % 2 == 0) {
            m->tap[r][0] = q / 2 + 1;     /* i = j + q/2     */
            m->tap[r][2] = q / 2 - 1 + 1; /* i = j + q/2 - 1 */
        } else {
            m->tap[r][1] = (q - 1) / 2 + 1;
        }
    }
}

/*
 * Append the phase convolution and DepthToSpace that replace node `ni`.
 * `x` is the new conv input, `pads` its zero padding (begin H, begin W,
 * end H, end W); `transposed` says the weights are [Cin, Cout, 3, 3].
 * The DepthToSpace writes the node's own output value, so readers stay.
 * Returns 0, or -1 on allocation failure.
 */
static int emit_phase_conv(struct imp_graph *g, int ni, int x, const int64_t pads[4],
                           const struct phase_map *my, const struct phase_map *mx,
                           bool transposed)
{
    char name[512];
    const struct imp_node *n = &g->nodes[ni];
    const struct imp_value *wv = &g->values[n->inputs[1]];
    int64_t cout = transposed ? wv->shape.d[1] : wv->shape.d[0];
    int64_t cin = transposed ? wv->shape.d[0] : wv->shape.d[1];
    const float *w = wv->data;
    int bias = n->n_inputs == 3 ? n->inputs[2] : -1;
    int out = n->outputs[0];
    char *base = imp_strdup(n->name && n->name[0] ? n->name : g->values[out].name);
    if (!base)
        return -1;

    int64_t wcount = 4 * cout * cin * 9;
    float *nw = imp_aligned_alloc(sizeof(float) * (size_t)wcount);
    float *nb = bias >= 0 ? imp_aligned_alloc(sizeof(float) * (size_t)(4 * cout)) : NULL;
    if (!nw || (bias >= 0 && !nb)) {
        imp_aligned_free(nw);
        imp_aligned_free(nb);
        free(base);
        return -1;
    }
    memset(nw, 0, sizeof(float) * (size_t)wcount);
    for (int r = 0; r < 2; r++)
        for (int s = 0; s < 2; s++)
            for (int64_t co = 0; co < cout; co++)
                for (int64_t ci = 0; ci < cin; ci++) {
                    float *dst = nw + (((2 * r + s) * cout + co) * cin + ci) * 9;
                    const float *src = transposed ? w + (ci * cout + co) * 9
                                                  : w + (co * cin + ci) * 9;
                    for (int ky = 0; ky < 3; ky++) {
                        int ty = my->tap[r][ky];
                        for (int kx = 0; kx < 3; kx++) {
                            int tx = mx->tap[s][kx];
                            if (ty >= 0 && tx >= 0)
                                dst[ty * 3 + tx] += src[ky * 3 + kx];
                        }
                    }
                }
    if (nb) {
        const float *b = g->values[bias].data;
        for (int p = 0; p < 4; p++)
            memcpy(nb + p * cout, b, sizeof(float) * (size_t)cout);
    }

    struct imp_shape wshape = {.rank = 4, .d = {4 * cout, cin, 3, 3}};
    struct imp_shape bshape = {.rank = 1, .d = {4 * cout}};
    snprintf(name, sizeof name, "%s/subpixel_W", base);
    int wc = imp_graph_add_const_owned(g, name, IMP_DTYPE_F32, &wshape, nw);
    if (wc < 0)
        imp_aligned_free(nw);
    int bc = -1;
    if (nb) {
        snprintf(name, sizeof name, "%s/subpixel_B", base);
        bc = imp_graph_add_const_owned(g, name, IMP_DTYPE_F32, &bshape, nb);
        if (bc < 0)
            imp_aligned_free(nb);
    }
    snprintf(name, sizeof name, "%s/subpixel_phases", base);
    int phases = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED,
                                     NULL);
    if (wc < 0 || (nb && bc < 0) || phases < 0) {
        free(base);
        return -1;
    }
    int in3[3] = {x, wc, bc};
    snprintf(name, sizeof name, "%s/subpixel_conv", base);
    int c = imp_graph_add_node(g, IMP_OP_CONV, name, nb ? 3 : 2, in3, 1, &phases);
    static const int64_t k3[2] = {3, 3};
    if (c < 0 || imp_node_set_ints(g, c, "kernel_shape", k3, 2) != IMP_OK ||
        imp_node_set_ints(g, c, "pads", pads, 4) != IMP_OK) {
        free(base);
        return -1;
    }
    snprintf(name, sizeof name, "%s/subpixel_d2s", base);
    int d = imp_graph_add_node(g, IMP_OP_DEPTH_TO_SPACE, name, 1, &phases, 1, &out);
    free(base);
    if (d < 0 || imp_node_set_int(g, d, "blocksize", 2) != IMP_OK ||
        imp_node_set_string(g, d, "mode", "DCR") != IMP_OK)
        return -1;
    /* The caller drops node ni (its output now comes from here); the
     * dead-node pass drops what fed only it. */
    return 0;
}

/* Pattern (a) ending at Conv node ni. Returns 1 if rewritten, 0 if not,
 * -1 on allocation failure. */
static int rewrite_upsample_conv(struct imp_graph *g, const struct imp_value_uses *u, int ni)
{
    const struct imp_node *n = &g->nodes[ni];
    if (n->n_outputs != 1 || !conv_basics(n, 1) || !weights_ok(g, n, 0))
        return 0;
    static const int64_t zero4[4] = {0, 0, 0, 0}, one4[4] = {1, 1, 1, 1};
    bool conv_pads0 = ints_attr_is(n, "pads", zero4, 4, true);
    bool conv_pads1 = ints_attr_is(n, "pads", one4, 4, false);
    int xin = n->inputs[0];
    if (!imp_value_private(u, xin) || u->producer[xin] < 0)
        return 0;
    int pad = -1, up = u->producer[xin];
    if (g->nodes[up].op == IMP_OP_PAD) {
        pad = up;
        const struct imp_node *p = &g->nodes[pad];
        if (!conv_pads0 || p->n_outputs != 1 || p->n_inputs < 1 || !is_pad_hw1(g, p))
            return 0;
        int pin = p->inputs[0];
        if (!imp_value_private(u, pin) || u->producer[pin] < 0)
            return 0;
        up = u->producer[pin];
    } else if (!conv_pads1) {
        return 0;
    }
    const struct imp_node *r = &g->nodes[up];
    if ((r->op != IMP_OP_RESIZE && r->op != IMP_OP_UPSAMPLE) || r->n_outputs != 1 ||
        r->n_inputs < 1 || r->inputs[0] < 0 || !is_nearest_x2(g, r))
        return 0;
    int low = r->inputs[0];

    char name[512];
    int conv_in = low;
    int64_t pads[4] = {1, 1, 1, 1};
    if (pad >= 0) {
        /* A fresh Pad on the low-resolution map; reflect becomes edge. */
        const struct imp_node *p = &g->nodes[pad];
        const char *mode = imp_node_string(p, "mode", "constant");
        snprintf(name, sizeof name, "%s/subpixel_low", g->values[p->outputs[0]].name);
        int padded = imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION,
                                         IMP_DTYPE_UNDEFINED, NULL);
        if (padded < 0)
            return -1;
        p = &g->nodes[pad];
        int pin[IMP_MAX_RANK];
        int np = p->n_inputs < IMP_MAX_RANK ? p->n_inputs : IMP_MAX_RANK;
        memcpy(pin, p->inputs, sizeof(int) * (size_t)np);
        pin[0] = low;
        snprintf(name, sizeof name, "%s/subpixel", p->name);
        int newpad = imp_graph_add_node(g, IMP_OP_PAD, name, np, pin, 1, &padded);
        if (newpad < 0)
            return -1;
        p = &g->nodes[pad];
        for (int a = 0; a < p->n_attrs; a++) {
            const struct imp_attr *at = &p->attrs[a];
            enum imp_status st = IMP_OK;
            if (strcmp(at->name, "mode") == 0)
                continue;
            if (at->type == IMP_ATTR_INTS)
                st = imp_node_set_ints(g, newpad, at->name, at->ints, at->n);
            else if (at->type == IMP_ATTR_FLOAT)
                st = imp_node_set_float(g, newpad, at->name, at->f);
            if (st != IMP_OK)
                return -1;
            p = &g->nodes[pad];
        }
        if (imp_node_set_string(g, newpad, "mode",
                                strcmp(mode, "constant") == 0 ? "constant" : "edge") !=
            IMP_OK)
            return -1;
        conv_in = padded;
        memset(pads, 0, sizeof pads);
    }
    struct phase_map m;
    upsample_map(&m);
    return emit_phase_conv(g, ni, conv_in, pads, &m, &m, false) < 0 ? -1 : 1;
}

/* Pattern (b): ConvTranspose node ni. Same return convention. */
static int rewrite_conv_transpose(struct imp_graph *g, int ni)
{
    const struct imp_node *n = &g->nodes[ni];
    if (n->n_outputs != 1 || n->inputs[0] < 0 || !conv_basics(n, 2) ||
        !weights_ok(g, n, 1) || imp_node_attr(n, "output_shape") ||
        imp_node_attr(n, "crop"))
        return 0;
    int64_t p[4] = {0, 0, 0, 0}, op[2] = {0, 0};
    bool valid = strcmp(imp_node_string(n, "auto_pad", "NOTSET"), "VALID") == 0;
    if (!valid && imp_node_attr(n, "pads") && imp_attr_ints(n, "pads", p, 4) != 4)
        return 0;
    if (imp_node_attr(n, "output_padding") && imp_attr_ints(n, "output_padding", op, 2) != 2)
        return 0;
    /* Per axis the output is 2*in + D with D = 1 - pb - pe + op; it has to
     * be even for every input size, and the taps must fit the window. */
    struct phase_map m[2];
    int64_t pads[4];
    for (int a = 0; a < 2; a++) {
        int64_t pb = p[a], pe = p[2 + a], d = 1 - pb - pe + op[a];
        if (pb < 0 || pb > 2 || pe < 0 || op[a] < 0 || op[a] > 1 || d % 2 != 0 ||
            d < -2)
            return 0;
        transpose_map(&m[a], (int)pb);
        pads[a] = 1;
        pads[2 + a] = 1 + d / 2;
    }
    return emit_phase_conv(g, ni, n->inputs[0], pads, &m[0], &m[1], true) < 0 ? -1 : 1;
}

enum imp_status imp_pass_subpixel(struct imp_graph *g, unsigned kinds,
                                  struct imp_error *err)
{
    const bool up = kinds & IMP_SUBPIXEL_UPSAMPLE;
    const bool ct = kinds & IMP_SUBPIXEL_CONV_TRANSPOSE;
    bool any = false;
    for (int ni = 0; ni < g->n_nodes && !any; ni++)
        any = (up && g->nodes[ni].op == IMP_OP_CONV) ||
              (ct && g->nodes[ni].op == IMP_OP_CONV_TRANSPOSE);
    if (!any)
        return IMP_OK;
    struct imp_node_rewrite rw;
    enum imp_status st = imp_node_rewrite_begin(g, &rw, err);
    if (st != IMP_OK)
        return st;
    /* Readers counted before any rewrite stay valid: a rewrite only adds
     * values and nodes, and the nodes it orphans are not matched again
     * (each belongs to exactly one pattern through its private values). */
    for (int ni = 0; ni < rw.n_nodes; ni++) {
        int rc = 0;
        if (up && g->nodes[ni].op == IMP_OP_CONV)
            rc = rewrite_upsample_conv(g, &rw.uses, ni);
        else if (ct && g->nodes[ni].op == IMP_OP_CONV_TRANSPOSE)
            rc = rewrite_conv_transpose(g, ni);
        if (rc < 0) {
            st = imp_fail(err, IMP_ERR_NOMEM, "out of memory in the sub-pixel pass");
            break;
        }
        if (rc > 0)
            imp_node_rewrite_replace(&rw, ni);
    }
    /* The replaced nodes go now (their output is the DepthToSpace's); the
     * Resize/Pad they read are left for the dead-node pass. */
    if (imp_node_rewrite_end(g, &rw) > 0 && st == IMP_OK)
        st = imp_graph_sort(g, err);
    return st;
}
