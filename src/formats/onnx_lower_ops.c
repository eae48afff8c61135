/*
 * The per-operator rewrites of the ONNX lowering (see onnx_lower.h), and
 * the opset's attributes of each operator. The rewrites:
 *
 *   InstanceNormalization activation=Relu, pads  ->  InstanceNormalization,
 *                                                    Relu, Pad
 *   Conv pad_mode, pads      ->  Pad (that mode), then Conv without pads
 *   Conv activation=NAME     ->  Conv, then the activation's node (Relu,
 *                                Clip, LeakyRelu, HardSigmoid, HardSwish,
 *                                Sigmoid), or Sigmoid / HardSigmoid and a
 *                                Mul for Silu / HardSilu
 *   ConvTranspose crop       ->  its pads grown by the crop (no output_shape
 *                                or auto_pad), else ConvTranspose + Slice
 *   Softmax coerce_2d        ->  Shape, Flatten, Softmax, Reshape
 *   Upsample                 ->  Resize (asymmetric; nearest floors when
 *                                enlarging and ceils when shrinking)
 *   Resize tf_half_pixel_for_nn  ->  Resize half_pixel with the nearest mode
 *                                that picks the same pixels
 *   Crop                     ->  Slice
 *   ImageScaler, Affine      ->  Mul, Add
 *   attribute forms of older opsets (Pad, Slice, Squeeze, Unsqueeze, Split,
 *   Clip)                    ->  the same values as constant inputs
 *   ReduceMean axes input (opset 18)  ->  the attribute (a constant)
 *
 * Opset 17 rather than 18 because Debian's onnx package (1.12) checks
 * models up to 17, and every runtime of the last years loads it.
 */
#include "formats/onnx_lower_priv.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The opset's attributes of each operator impasto has. */
const char *const *imp_olw_standard_attrs(enum imp_op op)
{
    static const char *const conv[] = {"auto_pad", "dilations", "group", "kernel_shape",
                                       "pads", "strides", NULL};
    static const char *const convt[] = {"auto_pad", "dilations", "group", "kernel_shape",
                                        "output_padding", "output_shape", "pads",
                                        "strides", NULL};
    static const char *const maxpool[] = {"auto_pad", "ceil_mode", "dilations",
                                          "kernel_shape", "pads", "storage_order",
                                          "strides", NULL};
    static const char *const avgpool[] = {"auto_pad", "ceil_mode", "count_include_pad",
                                          "kernel_shape", "pads", "strides", NULL};
    static const char *const epsilon[] = {"epsilon", NULL};
    static const char *const layer_norm[] = {"axis", "epsilon", "stash_type", NULL};
    static const char *const bn[] = {"epsilon", "momentum", "training_mode", NULL};
    static const char *const axis[] = {"axis", NULL};
    static const char *const reduce[] = {"axes", "keepdims", NULL};
    static const char *const gemm[] = {"alpha", "beta", "transA", "transB", NULL};
    static const char *const alpha[] = {"alpha", NULL};
    static const char *const alpha_beta[] = {"alpha", "beta", NULL};
    static const char *const to[] = {"to", NULL};
    static const char *const mode[] = {"mode", NULL};
    static const char *const resize[] = {"coordinate_transformation_mode", "cubic_coeff_a",
                                         "exclude_outside", "extrapolation_value", "mode",
                                         "nearest_mode", NULL};
    static const char *const reshape[] = {"allowzero", NULL};
    static const char *const perm[] = {"perm", NULL};
    static const char *const shape[] = {"start", "end", NULL};
    static const char *const split[] = {"axis", NULL};
    static const char *const constant[] = {"value", "value_float", "value_floats",
                                           "value_int", "value_ints", NULL};
    static const char *const value[] = {"value", NULL};
    static const char *const d2s[] = {"blocksize", "mode", NULL};
    static const char *const none[] = {NULL};
    switch (op) {
    case IMP_OP_CONV: return conv;
    case IMP_OP_CONV_TRANSPOSE: return convt;
    case IMP_OP_MAX_POOL: return maxpool;
    case IMP_OP_AVERAGE_POOL: return avgpool;
    case IMP_OP_INSTANCE_NORM: return epsilon;
    case IMP_OP_LAYER_NORM: return layer_norm;
    case IMP_OP_BATCH_NORM: return bn;
    case IMP_OP_SOFTMAX:
    case IMP_OP_FLATTEN:
    case IMP_OP_GATHER:
    case IMP_OP_CONCAT: return axis;
    case IMP_OP_REDUCE_MEAN: return reduce;
    case IMP_OP_GEMM: return gemm;
    case IMP_OP_LEAKY_RELU: return alpha;
    case IMP_OP_HARD_SIGMOID: return alpha_beta;
    case IMP_OP_CAST: return to;
    case IMP_OP_PAD: return mode;
    case IMP_OP_RESIZE: return resize;
    case IMP_OP_RESHAPE: return reshape;
    case IMP_OP_TRANSPOSE: return perm;
    case IMP_OP_SHAPE: return shape;
    case IMP_OP_SPLIT: return split;
    case IMP_OP_CONSTANT: return constant;
    case IMP_OP_CONSTANT_OF_SHAPE: return value;
    case IMP_OP_DEPTH_TO_SPACE: return d2s;
    default: return none;
    }
}

static bool in_list(const char *name, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(name, *list) == 0)
            return true;
    return false;
}

static const struct imp_attr *attr(const struct lower *l, const char *name,
                                   enum imp_attr_type type)
{
    const struct imp_attr *a = imp_node_attr(l->n, name);
    return a && a->type == type ? a : NULL;
}

static int input(const struct lower *l, int k)
{
    return k < l->n->n_inputs ? l->n->inputs[k] : -1;
}

static void set_string(struct lower *l, int node, const char *name, const char *s)
{
    if (node >= 0 && l->st == IMP_OK && imp_node_set_string(l->o, node, name, s) != IMP_OK)
        imp_olw_nomem(l);
}

static void set_int(struct lower *l, int node, const char *name, int64_t v)
{
    if (node >= 0 && l->st == IMP_OK && imp_node_set_int(l->o, node, name, v) != IMP_OK)
        imp_olw_nomem(l);
}

static void set_float(struct lower *l, int node, const char *name, float v)
{
    if (node >= 0 && l->st == IMP_OK && imp_node_set_float(l->o, node, name, v) != IMP_OK)
        imp_olw_nomem(l);
}

static void set_ints(struct lower *l, int node, const char *name, const int64_t *v, int n)
{
    if (node >= 0 && l->st == IMP_OK && imp_node_set_ints(l->o, node, name, v, n) != IMP_OK)
        imp_olw_nomem(l);
}

/* The node as it is, standard attributes only. */
static void lower_plain(struct lower *l, const char *const *handled)
{
    int node = imp_olw_emit(l, l->n->op, l->n->n_inputs, l->n->inputs, l->n->n_outputs,
                    l->n->outputs);
    imp_olw_copy_attrs(l, node, l->n->op, handled);
}

/* A constant's values as int64, when v is an int64/int32 constant. */
static bool src_const_floats(const struct lower *l, int v, const float **data, int64_t *count)
{
    if (v < 0)
        return false;
    const struct imp_value *val = &l->src->values[v];
    if (val->kind != IMP_VALUE_CONST || val->dtype != IMP_DTYPE_F32)
        return false;
    *count = imp_shape_count(&val->shape);
    *data = val->data;
    return *count >= 0;
}

static bool src_const_empty(const struct lower *l, int v)
{
    if (v < 0)
        return false;
    const struct imp_value *val = &l->src->values[v];
    return val->kind == IMP_VALUE_CONST && imp_shape_count(&val->shape) == 0;
}

/* ---- the rewrites -------------------------------------------------------------- */

/* Geometry from a hostile file may be anything: arithmetic on it stays
 * within int64 only for values of a sane size. */
static bool all_small(const int64_t *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] < -((int64_t)1 << 40) || v[i] > ((int64_t)1 << 40))
            return false;
    return true;
}

static void lower_instance_norm(struct lower *l)
{
    static const char *const fused[] = {"activation", "pads", "pad_mode", "pad_value", NULL};
    const struct imp_attr *act = imp_node_attr(l->n, "activation");
    const struct imp_attr *pads = imp_node_attr(l->n, "pads");
    if (act && (act->type != IMP_ATTR_STRING || !act->s || strcmp(act->s, "Relu") != 0)) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "fused activation is not Relu");
        return;
    }
    if (pads && (pads->type != IMP_ATTR_INTS || pads->n != 4)) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "fused pads are not 4 ints");
        return;
    }
    if (l->n->n_outputs != 1) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "%d outputs", l->n->n_outputs);
        return;
    }
    int y = l->n->outputs[0];
    int cur = act || pads ? imp_olw_add_act(l, "normalized") : y;
    int node = imp_olw_emit(l, IMP_OP_INSTANCE_NORM, l->n->n_inputs, l->n->inputs, 1, &cur);
    imp_olw_copy_attrs(l, node, IMP_OP_INSTANCE_NORM, fused);
    if (act) {
        int next = pads ? imp_olw_add_act(l, "relu") : y;
        imp_olw_emit(l, IMP_OP_RELU, 1, &cur, 1, &next);
        cur = next;
    }
    if (!pads)
        return;
    /* The fused pads are the spatial axes of an NCHW tensor. */
    const int64_t *p = pads->ints;
    int64_t p8[8] = {0, 0, p[0], p[1], 0, 0, p[2], p[3]};
    const char *mode = imp_node_string(l->n, "pad_mode", "constant");
    int in[3] = {cur, imp_olw_const_ints(l, "pads", p8, 8), -1};
    if (strcmp(mode, "constant") == 0)
        in[2] = imp_olw_const_scalar(l, "pad_value", imp_node_float(l->n, "pad_value", 0.0f));
    node = imp_olw_emit(l, IMP_OP_PAD, 3, in, 1, &y);
    set_string(l, node, "mode", mode);
}

/* The standard nodes a Conv's fused activation stands for, from `x` to `y`
 * (the names and parameters of ops/activation.h). */
static void lower_activation(struct lower *l, const char *name, int x, int y)
{
    float alpha = imp_node_float(l->n, "activation_alpha", 0.0f);
    float beta = imp_node_float(l->n, "activation_beta", 0.0f);
    static const struct {
        const char *name;
        enum imp_op op;
    } single[] = {{"Relu", IMP_OP_RELU}, {"HardSwish", IMP_OP_HARD_SWISH},
                  {"Sigmoid", IMP_OP_SIGMOID}};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
        if (strcmp(name, single[i].name) == 0) {
            imp_olw_emit(l, single[i].op, 1, &x, 1, &y);
            return;
        }
    if (strcmp(name, "Clip") == 0) {
        /* Infinite bounds are the open ones: inputs left out. */
        int in[3] = {x, alpha == -INFINITY ? -1 : imp_olw_const_scalar(l, "clip_min", alpha),
                     beta == INFINITY ? -1 : imp_olw_const_scalar(l, "clip_max", beta)};
        imp_olw_emit(l, IMP_OP_CLIP, 3, in, 1, &y);
    } else if (strcmp(name, "LeakyRelu") == 0) {
        int node = imp_olw_emit(l, IMP_OP_LEAKY_RELU, 1, &x, 1, &y);
        set_float(l, node, "alpha", alpha);
    } else if (strcmp(name, "HardSigmoid") == 0 || strcmp(name, "HardSilu") == 0) {
        bool gate = strcmp(name, "HardSilu") == 0;
        int h = gate ? imp_olw_add_act(l, "gate") : y;
        int node = imp_olw_emit(l, IMP_OP_HARD_SIGMOID, 1, &x, 1, &h);
        set_float(l, node, "alpha", alpha);
        set_float(l, node, "beta", beta);
        if (gate) {
            int in[2] = {x, h};
            imp_olw_emit(l, IMP_OP_MUL, 2, in, 1, &y);
        }
    } else if (strcmp(name, "Silu") == 0) {
        int h = imp_olw_add_act(l, "gate");
        imp_olw_emit(l, IMP_OP_SIGMOID, 1, &x, 1, &h);
        int in[2] = {x, h};
        imp_olw_emit(l, IMP_OP_MUL, 2, in, 1, &y);
    } else {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "fused activation \"%.40s\" is unknown", name);
    }
}

static void lower_conv(struct lower *l)
{
    static const char *const fused[] = {"activation", "activation_alpha", "activation_beta",
                                        NULL};
    static const char *const fused_pad[] = {"activation", "activation_alpha",
                                            "activation_beta", "pad_mode", "pads", NULL};
    const struct imp_attr *act = imp_node_attr(l->n, "activation");
    const struct imp_attr *mode = imp_node_attr(l->n, "pad_mode");
    if (!act && !mode) {
        lower_plain(l, NULL);
        return;
    }
    if ((act && (act->type != IMP_ATTR_STRING || !act->s)) || l->n->n_outputs != 1) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "activation is not a string on a one-output Conv");
        return;
    }
    int in[3] = {-1, -1, -1};
    int n_in = l->n->n_inputs < 3 ? l->n->n_inputs : 3;
    memcpy(in, l->n->inputs, sizeof(int) * (size_t)n_in);
    if (mode) {
        /* The border pixels a fused Pad gave: the Pad again, then a Conv
         * without pads. */
        const struct imp_attr *pads = imp_node_attr(l->n, "pads");
        if (mode->type != IMP_ATTR_STRING || !mode->s || !pads || pads->type != IMP_ATTR_INTS ||
            pads->n != 4 || !all_small(pads->ints, 4) || n_in < 1) {
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "pad_mode without 4 pads of a sane size");
            return;
        }
        const int64_t *p = pads->ints;
        int64_t p8[8] = {0, 0, p[0], p[1], 0, 0, p[2], p[3]};
        int padded = imp_olw_add_act(l, "padded");
        int pin[2] = {in[0], imp_olw_const_ints(l, "pads", p8, 8)};
        int node = imp_olw_emit(l, IMP_OP_PAD, 2, pin, 1, &padded);
        set_string(l, node, "mode", mode->s);
        in[0] = padded;
    }
    int out = act ? imp_olw_add_act(l, "preactivation") : l->n->outputs[0];
    int node = imp_olw_emit(l, IMP_OP_CONV, n_in, in, 1, &out);
    imp_olw_copy_attrs(l, node, IMP_OP_CONV, mode ? fused_pad : fused);
    if (act)
        lower_activation(l, act->s, out, l->n->outputs[0]);
}

static void lower_conv_transpose(struct lower *l)
{
    static const char *const crop_only[] = {"crop", NULL};
    static const char *const crop_pads[] = {"crop", "pads", NULL};
    const struct imp_attr *crop = imp_node_attr(l->n, "crop");
    if (!crop) {
        lower_plain(l, NULL);
        return;
    }
    if (crop->type != IMP_ATTR_INTS || crop->n != 4 || l->n->n_outputs != 1 ||
        !all_small(crop->ints, 4)) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "crop is not 4 ints of a sane size");
        return;
    }
    const int64_t *c = crop->ints; /* top, left, bottom, right */
    const struct imp_attr *pads = imp_node_attr(l->n, "pads");
    const char *auto_pad = imp_node_string(l->n, "auto_pad", "NOTSET");
    int w = input(l, 1);
    bool two_d = pads ? pads->type == IMP_ATTR_INTS && pads->n == 4 && all_small(pads->ints, 4)
                      : w >= 0 && l->src->values[w].shape.rank == 4;
    if (two_d && !imp_node_attr(l->n, "output_shape") && strcmp(auto_pad, "NOTSET") == 0) {
        /* Explicit pads cut outputs off each side, exactly as the crop
         * does: one standard node. */
        int64_t p[4] = {c[0], c[1], c[2], c[3]};
        for (int i = 0; pads && i < 4; i++)
            p[i] += pads->ints[i];
        int node = imp_olw_emit(l, IMP_OP_CONV_TRANSPOSE, l->n->n_inputs, l->n->inputs, 1,
                        l->n->outputs);
        imp_olw_copy_attrs(l, node, IMP_OP_CONV_TRANSPOSE, crop_pads);
        set_ints(l, node, "pads", p, 4);
        return;
    }
    int full = imp_olw_add_act(l, "uncropped");
    int node = imp_olw_emit(l, IMP_OP_CONV_TRANSPOSE, l->n->n_inputs, l->n->inputs, 1, &full);
    imp_olw_copy_attrs(l, node, IMP_OP_CONV_TRANSPOSE, crop_only);
    int64_t starts[2] = {c[0], c[1]};
    int64_t ends[2] = {c[2] ? -c[2] : INT64_MAX, c[3] ? -c[3] : INT64_MAX};
    int64_t axes[2] = {2, 3};
    int in[4] = {full, imp_olw_const_ints(l, "crop_starts", starts, 2),
                 imp_olw_const_ints(l, "crop_ends", ends, 2), imp_olw_const_ints(l, "crop_axes", axes, 2)};
    imp_olw_emit(l, IMP_OP_SLICE, 4, in, 1, l->n->outputs);
}

static void lower_softmax(struct lower *l)
{
    static const char *const coerce[] = {"coerce_2d", NULL};
    if (!imp_node_int(l->n, "coerce_2d", 0)) {
        lower_plain(l, coerce);
        return;
    }
    /* Before opset 13: softmax over everything from `axis` on, as rows of
     * the input flattened to 2-D there. */
    int x = input(l, 0);
    int shape = imp_olw_add_act(l, "shape");
    imp_olw_emit(l, IMP_OP_SHAPE, 1, &x, 1, &shape);
    int flat = imp_olw_add_act(l, "flat");
    int node = imp_olw_emit(l, IMP_OP_FLATTEN, 1, &x, 1, &flat);
    set_int(l, node, "axis", imp_node_int(l->n, "axis", 1));
    int soft = imp_olw_add_act(l, "softmax");
    node = imp_olw_emit(l, IMP_OP_SOFTMAX, 1, &flat, 1, &soft);
    set_int(l, node, "axis", 1);
    int in[2] = {soft, shape};
    imp_olw_emit(l, IMP_OP_RESHAPE, 2, in, 1, l->n->outputs);
}

/* An operator whose ints attribute `name` became input `k` in later
 * opsets (Squeeze, Unsqueeze, Split, ReduceMean axes; Clip's bounds are
 * floats, below). */
static void lower_attr_to_input(struct lower *l, const char *name, int k)
{
    const char *const handled[] = {name, NULL};
    const struct imp_attr *a = attr(l, name, IMP_ATTR_INTS);
    if (!a || input(l, k) >= 0) {
        lower_plain(l, a ? handled : NULL);
        return;
    }
    int in[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    for (int i = 0; i < l->n->n_inputs && i < 8; i++)
        in[i] = l->n->inputs[i];
    in[k] = imp_olw_const_ints(l, name, a->ints, a->n);
    int n_in = l->n->n_inputs > k + 1 ? l->n->n_inputs : k + 1;
    int node = imp_olw_emit(l, l->n->op, n_in, in, l->n->n_outputs, l->n->outputs);
    imp_olw_copy_attrs(l, node, l->n->op, handled);
}

static void lower_split(struct lower *l)
{
    /* Opset 18's num_outputs: without a split list, opset 17 splits
     * equally too (and refuses at run time what does not divide). */
    static const char *const handled[] = {"num_outputs", NULL};
    if (input(l, 1) < 0 && !imp_node_attr(l->n, "split")) {
        lower_plain(l, handled);
        return;
    }
    lower_attr_to_input(l, "split", 1);
}

/* Opset 18 made ReduceMean's axes an input; opset 17 has the attribute,
 * so the input must be a constant. */
static void lower_reduce_mean(struct lower *l)
{
    static const char *const handled[] = {"noop_with_empty_axes", NULL};
    int axes = input(l, 1);
    bool noop = imp_node_int(l->n, "noop_with_empty_axes", 0) != 0;
    if (axes < 0) {
        if (noop) {
            /* No axes and no reduction: the input itself. */
            imp_olw_emit(l, IMP_OP_IDENTITY, 1, l->n->inputs, 1, l->n->outputs);
            return;
        }
        lower_plain(l, handled);
        return;
    }
    const struct imp_value *v = &l->src->values[axes];
    int64_t count = imp_shape_count(&v->shape);
    if (v->kind != IMP_VALUE_CONST || (v->dtype != IMP_DTYPE_I64) || count < 0 ||
        count > IMP_MAX_RANK) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "axes are not a constant int64 list");
        return;
    }
    if (count == 0 && noop) {
        imp_olw_emit(l, IMP_OP_IDENTITY, 1, l->n->inputs, 1, l->n->outputs);
        return;
    }
    int node = imp_olw_emit(l, IMP_OP_REDUCE_MEAN, 1, l->n->inputs, l->n->n_outputs, l->n->outputs);
    imp_olw_copy_attrs(l, node, IMP_OP_REDUCE_MEAN, handled);
    if (count > 0)
        set_ints(l, node, "axes", v->data, (int)count);
}

static void lower_slice(struct lower *l)
{
    static const char *const legacy[] = {"starts", "ends", "axes", NULL};
    const struct imp_attr *s = attr(l, "starts", IMP_ATTR_INTS);
    const struct imp_attr *e = attr(l, "ends", IMP_ATTR_INTS);
    if (input(l, 1) >= 0 || !s || !e) {
        lower_plain(l, NULL);
        return;
    }
    const struct imp_attr *a = attr(l, "axes", IMP_ATTR_INTS);
    int in[4] = {input(l, 0), imp_olw_const_ints(l, "starts", s->ints, s->n),
                 imp_olw_const_ints(l, "ends", e->ints, e->n),
                 a ? imp_olw_const_ints(l, "axes", a->ints, a->n) : -1};
    int node = imp_olw_emit(l, IMP_OP_SLICE, 4, in, l->n->n_outputs, l->n->outputs);
    imp_olw_copy_attrs(l, node, IMP_OP_SLICE, legacy);
}

static void lower_pad(struct lower *l)
{
    static const char *const legacy[] = {"pads", "paddings", "value", NULL};
    if (input(l, 3) >= 0) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "pads on chosen axes need opset 18");
        return;
    }
    if (input(l, 1) >= 0) {
        lower_plain(l, NULL);
        return;
    }
    const struct imp_attr *p = attr(l, "pads", IMP_ATTR_INTS);
    if (!p)
        p = attr(l, "paddings", IMP_ATTR_INTS);
    if (!p) {
        imp_olw_fail(l, IMP_ERR_FORMAT, "no pads");
        return;
    }
    const struct imp_attr *v = attr(l, "value", IMP_ATTR_FLOAT);
    int in[3] = {input(l, 0), imp_olw_const_ints(l, "pads", p->ints, p->n),
                 v ? imp_olw_const_scalar(l, "value", v->f) : -1};
    int node = imp_olw_emit(l, IMP_OP_PAD, 3, in, l->n->n_outputs, l->n->outputs);
    imp_olw_copy_attrs(l, node, IMP_OP_PAD, legacy);
}

static void lower_clip(struct lower *l)
{
    static const char *const legacy[] = {"min", "max", NULL};
    const struct imp_attr *lo = attr(l, "min", IMP_ATTR_FLOAT);
    const struct imp_attr *hi = attr(l, "max", IMP_ATTR_FLOAT);
    int in[3] = {input(l, 0), input(l, 1), input(l, 2)};
    if (lo && in[1] < 0)
        in[1] = imp_olw_const_scalar(l, "min", lo->f);
    if (hi && in[2] < 0)
        in[2] = imp_olw_const_scalar(l, "max", hi->f);
    int node = imp_olw_emit(l, IMP_OP_CLIP, 3, in, l->n->n_outputs, l->n->outputs);
    imp_olw_copy_attrs(l, node, IMP_OP_CLIP, legacy);
}

/* y = x * scale + bias (ImageScaler: bias per channel of NCHW; Affine: one). */
static void lower_scale_bias(struct lower *l)
{
    static const char *const image_scaler[] = {"scale", "bias", NULL};
    static const char *const affine[] = {"alpha", "beta", NULL};
    bool is_affine = l->n->op == IMP_OP_AFFINE;
    float scale = imp_node_float(l->n, is_affine ? "alpha" : "scale", 1.0f);
    int y = l->n->outputs[0];
    int x = input(l, 0);
    const struct imp_attr *bias = attr(l, "bias", IMP_ATTR_FLOATS);
    float beta = imp_node_float(l->n, "beta", 0.0f);
    bool add = is_affine ? beta != 0.0f : bias && bias->n > 0;
    for (int k = 0; k < l->n->n_attrs; k++)
        if (!in_list(l->n->attrs[k].name, is_affine ? affine : image_scaler)) {
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "attribute '%.60s' is unknown",
                 l->n->attrs[k].name);
            return;
        }
    int scaled = add ? imp_olw_add_act(l, "scaled") : y;
    int in[2] = {x, imp_olw_const_scalar(l, "scale", scale)};
    imp_olw_emit(l, IMP_OP_MUL, 2, in, 1, &scaled);
    if (!add)
        return;
    if (is_affine) {
        in[1] = imp_olw_const_scalar(l, "beta", beta);
    } else {
        int64_t dims[3] = {bias->n, 1, 1};
        in[1] = imp_olw_add_const(l, "bias", IMP_DTYPE_F32, 3, dims, bias->floats);
    }
    in[0] = scaled;
    imp_olw_emit(l, IMP_OP_ADD, 2, in, 1, &y);
}

static void lower_crop(struct lower *l)
{
    static const char *const legacy[] = {"border", "scale", NULL};
    const struct imp_attr *b = attr(l, "border", IMP_ATTR_INTS);
    const struct imp_attr *s = attr(l, "scale", IMP_ATTR_INTS);
    if (!b || b->n != 4 || (s && s->n != 2) || l->n->n_outputs != 1 ||
        !all_small(b->ints, 4) || (s && !all_small(s->ints, 2))) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "border must be 4 ints and scale 2, of a sane size");
        return;
    }
    for (int k = 0; k < l->n->n_attrs; k++)
        if (!in_list(l->n->attrs[k].name, legacy)) {
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "attribute '%.60s' is unknown",
                 l->n->attrs[k].name);
            return;
        }
    const int64_t *c = b->ints; /* left, top, right, bottom */
    int64_t starts[2] = {c[1], c[0]};
    int64_t ends[2];
    if (s) {
        ends[0] = c[1] + s->ints[0];
        ends[1] = c[0] + s->ints[1];
    } else {
        ends[0] = c[3] ? -c[3] : INT64_MAX;
        ends[1] = c[2] ? -c[2] : INT64_MAX;
    }
    int64_t axes[2] = {2, 3};
    int in[4] = {input(l, 0), imp_olw_const_ints(l, "starts", starts, 2),
                 imp_olw_const_ints(l, "ends", ends, 2), imp_olw_const_ints(l, "axes", axes, 2)};
    imp_olw_emit(l, IMP_OP_SLICE, 4, in, 1, l->n->outputs);
}

/* Upsample (and Resize-10, which the reader turns into it): asymmetric
 * coordinates; nearest floors when enlarging and ceils when shrinking, so
 * with constant scales on one side of 1 it is one Resize nearest mode. */
static void lower_upsample(struct lower *l)
{
    static const char *const legacy[] = {"mode", "scales", NULL};
    for (int k = 0; k < l->n->n_attrs; k++)
        if (!in_list(l->n->attrs[k].name, legacy)) {
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "attribute '%.60s' is unknown",
                 l->n->attrs[k].name);
            return;
        }
    const char *mode = imp_node_string(l->n, "mode", "nearest");
    int scales = input(l, 1);
    const float *sv = NULL;
    int64_t sn = 0;
    const struct imp_attr *sa = attr(l, "scales", IMP_ATTR_FLOATS);
    if (scales < 0 && sa) {
        sv = sa->floats;
        sn = sa->n;
        int64_t dims[1] = {sn};
        scales = imp_olw_add_const(l, "scales", IMP_DTYPE_F32, 1, dims, sv);
    } else if (!src_const_floats(l, scales, &sv, &sn)) {
        sv = NULL;
    }
    if (scales < 0 && l->st == IMP_OK) {
        imp_olw_fail(l, IMP_ERR_FORMAT, "no scales");
        return;
    }
    const char *nearest_mode = NULL;
    if (strcmp(mode, "nearest") == 0) {
        bool up = true, down = true;
        for (int64_t i = 0; sv && i < sn; i++) {
            up = up && sv[i] >= 1.0f;
            down = down && sv[i] <= 1.0f;
        }
        if (!sv || (!up && !down)) {
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED,
                 "nearest upsampling %s has no single Resize nearest_mode",
                 sv ? "that enlarges some axes and shrinks others"
                    : "by scales known only at run time");
            return;
        }
        nearest_mode = up ? "floor" : "ceil";
    } else if (strcmp(mode, "linear") != 0 && strcmp(mode, "bilinear") != 0) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "mode '%.40s'", mode);
        return;
    }
    int in[3] = {input(l, 0), -1, scales};
    int node = imp_olw_emit(l, IMP_OP_RESIZE, 3, in, l->n->n_outputs, l->n->outputs);
    set_string(l, node, "mode", nearest_mode ? "nearest" : "linear");
    set_string(l, node, "coordinate_transformation_mode", "asymmetric");
    if (nearest_mode)
        set_string(l, node, "nearest_mode", nearest_mode);
}

static void lower_resize(struct lower *l)
{
    static const char *const remapped[] = {"coordinate_transformation_mode", "nearest_mode",
                                           "antialias", "keep_aspect_ratio_policy", NULL};
    static const char *const defaults_only[] = {"antialias", "keep_aspect_ratio_policy", NULL};
    const char *ctm = imp_node_string(l->n, "coordinate_transformation_mode", "half_pixel");
    const char *mode = imp_node_string(l->n, "mode", "nearest");
    const char *nearest = imp_node_string(l->n, "nearest_mode", "round_prefer_floor");
    const char *new_ctm = NULL, *new_nearest = NULL;
    if (strcmp(ctm, "half_pixel_symmetric") == 0 || imp_node_attr(l->n, "axes") ||
        imp_node_int(l->n, "antialias", 0) != 0 ||
        strcmp(imp_node_string(l->n, "keep_aspect_ratio_policy", "stretch"), "stretch") != 0) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED,
             "half_pixel_symmetric, axes, antialias and keep_aspect_ratio_policy need a "
             "later opset than %d", IMP_ONNX_WRITE_OPSET);
        return;
    }
    if (strcmp(ctm, "tf_half_pixel_for_nn") == 0) {
        /* Opset 11's (x + 0.5) / scale, rounded, picks what half_pixel's
         * (x + 0.5) / scale - 0.5 picks with the mode shifted by a half:
         * round_prefer_floor(h + 0.5) == ceil(h), floor(h + 0.5) ==
         * round_prefer_ceil(h). Linear modes never used these coordinates. */
        new_ctm = "half_pixel";
        if (strcmp(mode, "nearest") != 0)
            new_nearest = nearest;
        else if (strcmp(nearest, "round_prefer_floor") == 0)
            new_nearest = "ceil";
        else if (strcmp(nearest, "floor") == 0)
            new_nearest = "round_prefer_ceil";
        else {
            imp_olw_fail(l, IMP_ERR_UNSUPPORTED,
                 "tf_half_pixel_for_nn with nearest_mode '%.40s' has no opset-13+ form",
                 nearest);
            return;
        }
    }
    int in[4] = {input(l, 0), input(l, 1), input(l, 2), input(l, 3)};
    /* Opset 11 needed a scales input even beside sizes (an empty tensor);
     * later opsets want exactly one of the two, and roi only for
     * tf_crop_and_resize. */
    if (strcmp(ctm, "tf_crop_and_resize") != 0)
        in[1] = -1;
    if (src_const_empty(l, in[2]) && in[3] >= 0)
        in[2] = -1;
    if (src_const_empty(l, in[3]))
        in[3] = -1;
    int node = imp_olw_emit(l, IMP_OP_RESIZE, 4, in, l->n->n_outputs, l->n->outputs);
    imp_olw_copy_attrs(l, node, IMP_OP_RESIZE, new_ctm ? remapped : defaults_only);
    if (new_ctm) {
        set_string(l, node, "coordinate_transformation_mode", new_ctm);
        set_string(l, node, "nearest_mode", new_nearest);
    }
}

/* Extra outputs an older opset listed but nothing reads (Dropout's mask
 * on the Identity the reader made of it; BatchNormalization's running
 * statistics in inference): the node is written with its first output. */
static bool only_first_output_read(const struct lower *l)
{
    for (int k = 1; k < l->n->n_outputs; k++)
        if (l->read[l->n->outputs[k]])
            return false;
    return true;
}

static void lower_single_output(struct lower *l, const char *const *handled)
{
    if (!only_first_output_read(l)) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "output 1 or later is used");
        return;
    }
    int node = imp_olw_emit(l, l->n->op, l->n->n_inputs, l->n->inputs, 1, l->n->outputs);
    imp_olw_copy_attrs(l, node, l->n->op, handled);
}

static void lower_batch_norm(struct lower *l)
{
    static const char *const legacy[] = {"spatial", "is_test", "consumed_inputs", NULL};
    if (imp_node_int(l->n, "spatial", 1) != 1) {
        imp_olw_fail(l, IMP_ERR_UNSUPPORTED, "spatial=0 has no later form");
        return;
    }
    if (imp_node_int(l->n, "training_mode", 0) != 0) {
        lower_plain(l, legacy);
        return;
    }
    lower_single_output(l, legacy);
}

void imp_olw_lower_node(struct lower *l)
{
    switch (l->n->op) {
    case IMP_OP_INSTANCE_NORM: lower_instance_norm(l); break;
    case IMP_OP_CONV: lower_conv(l); break;
    case IMP_OP_CONV_TRANSPOSE: lower_conv_transpose(l); break;
    case IMP_OP_SOFTMAX: lower_softmax(l); break;
    case IMP_OP_REDUCE_MEAN: lower_reduce_mean(l); break;
    case IMP_OP_SQUEEZE:
    case IMP_OP_UNSQUEEZE: lower_attr_to_input(l, "axes", 1); break;
    case IMP_OP_SPLIT: lower_split(l); break;
    case IMP_OP_SLICE: lower_slice(l); break;
    case IMP_OP_PAD: lower_pad(l); break;
    case IMP_OP_CLIP: lower_clip(l); break;
    case IMP_OP_IMAGE_SCALER:
    case IMP_OP_AFFINE: lower_scale_bias(l); break;
    case IMP_OP_CROP: lower_crop(l); break;
    case IMP_OP_UPSAMPLE: lower_upsample(l); break;
    case IMP_OP_RESIZE: lower_resize(l); break;
    case IMP_OP_BATCH_NORM: lower_batch_norm(l); break;
    case IMP_OP_IDENTITY: lower_single_output(l, NULL); break;
    case IMP_OP_CONSTANT_OF_SHAPE: {
        /* The reader also gives the fill value as input 1: ONNX has it
         * only as the attribute. */
        int node = imp_olw_emit(l, l->n->op, l->n->n_inputs > 0 ? 1 : 0, l->n->inputs,
                        l->n->n_outputs, l->n->outputs);
        imp_olw_copy_attrs(l, node, l->n->op, NULL);
        break;
    }
    default: lower_plain(l, NULL); break;
    }
}

