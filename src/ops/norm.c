/*
 * Normalisation (ONNX): InstanceNormalization and BatchNormalization in
 * inference mode.
 *
 * Both are per-plane affine maps y = (x - mean) * scale / sqrt(var + eps)
 * + bias; instance norm measures mean and variance of each (n, c) plane,
 * batch norm takes them as inputs. The reference engine works in double:
 * a two-pass mean/variance keeps 720x720 planes of 0..255 values accurate
 * to float rounding, and the map itself is one double expression rounded
 * once. Elements map independently after the statistics, so both ops may
 * run in place.
 *
 * InstanceNormalization may carry attributes that the fuse_norm pass sets
 * when it folds the nodes after it into it; every engine honours them:
 *   activation = "Relu"       the Relu that followed (applied first)
 *   pads = [top, left, bottom, right], pad_mode = reflect | edge |
 *   constant, pad_value       the spatial Pad that followed, on NCHW: the
 *                             output is the padded tensor, its interior
 *                             written by the map and the border copied
 *                             from it while the plane is still in cache.
 *
 * Which statistics an instance norm normalises by is the predictor's to
 * say (ops/norm_stats.h): its own measurement by default, or statistics the
 * caller holds (tiles of one picture) or smooths across runs (video). Both
 * engines report what they measured either way.
 *
 * The "simd" engine measures each plane in one pass (double sums shifted
 * by a rough mean, see kernels/eltwise.inc) and maps it in double vectors
 * while the plane is still in L2: it differs from the reference only in
 * the last double bits, which the rounding to float all but always hides.
 */
#include <math.h>
#include <string.h>

#include "core/dtype.h"
#include "core/threadpool.h"
#include "kernels/eltwise.h"
#include "ops/norm_stats.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

/* Inputs 1..n_params are float32 vectors of length C. */
static enum imp_status norm_check(struct imp_infer_ctx *c, int n_params,
                                  const char *const *names, int min_rank)
{
    IMP_CHECK(c, c->n_in == n_params + 1, IMP_ERR_FORMAT,
              "%d inputs; %d expected", c->n_in, n_params + 1);
    enum imp_status st = imp_need_inputs(c, 0, n_params);
    if (st != IMP_OK)
        return st;
    const struct imp_tensor *x = c->in[0];
    for (int i = 0; i <= n_params; i++)
        IMP_CHECK(c, c->in[i]->dtype == IMP_DTYPE_F32, IMP_ERR_UNSUPPORTED,
                  "input %s is %s; only float32 is supported", names[i],
                  imp_dtype_name(c->in[i]->dtype));
    IMP_CHECK(c, x->shape.rank >= min_rank, IMP_ERR_SHAPE,
              "input has rank %d; at least %d expected", x->shape.rank, min_rank);
    int64_t ch = x->shape.d[1];
    for (int i = 1; i <= n_params; i++) {
        const struct imp_shape *s = &c->in[i]->shape;
        IMP_CHECK(c, s->rank == 1 && s->d[0] == ch, IMP_ERR_SHAPE,
                  "%s must have shape [%lld] (one per channel)", names[i],
                  (long long)ch);
    }
    const struct imp_attr *eps = imp_node_attr(c->node, "epsilon");
    IMP_CHECK(c, !eps || (eps->type == IMP_ATTR_FLOAT && isfinite(eps->f) &&
                          eps->f >= 0.0f),
              IMP_ERR_FORMAT, "epsilon must be a finite float >= 0");
    IMP_CHECK(c, c->n_out >= 1, IMP_ERR_FORMAT, "no output");
    c->out[0].dtype = IMP_DTYPE_F32;
    c->out[0].shape = x->shape;
    return IMP_OK;
}

static int64_t plane_size(const struct imp_shape *s)
{
    int64_t n = 1;
    for (int i = 2; i < s->rank; i++)
        n *= s->d[i];
    return n;
}

/* ---- InstanceNormalization ------------------------------------------------ */

enum norm_pad_mode { NORM_PAD_CONSTANT, NORM_PAD_REFLECT, NORM_PAD_EDGE };

/* A fused Pad: pads[] = top, left, bottom, right. */
struct norm_pad {
    bool on;
    enum norm_pad_mode mode;
    int64_t pads[4];
    float value;
};

/* Pads beyond this are certainly hostile; keeps the shape arithmetic exact. */
#define NORM_PAD_LIMIT ((int64_t)1 << 24)

/* Reads the fused-pad attributes; false (and *why) when they are malformed. */
static bool norm_pad_parse(const struct imp_node *n, struct norm_pad *p, const char **why)
{
    memset(p, 0, sizeof *p);
    const struct imp_attr *pads = imp_node_attr(n, "pads");
    const struct imp_attr *mode = imp_node_attr(n, "pad_mode");
    const struct imp_attr *value = imp_node_attr(n, "pad_value");
    if (!pads) {
        *why = "pad_mode/pad_value without pads";
        return !mode && !value;
    }
    *why = "pads must be 4 ints in [0, 2^24) (top, left, bottom, right)";
    if (pads->type != IMP_ATTR_INTS || pads->n != 4)
        return false;
    for (int i = 0; i < 4; i++) {
        if (pads->ints[i] < 0 || pads->ints[i] >= NORM_PAD_LIMIT)
            return false;
        p->pads[i] = pads->ints[i];
    }
    *why = "pad_mode must be the string reflect, edge or constant";
    const char *m = mode && mode->type == IMP_ATTR_STRING ? mode->s : NULL;
    if (mode && !m)
        return false;
    if (!m || strcmp(m, "constant") == 0)
        p->mode = NORM_PAD_CONSTANT;
    else if (strcmp(m, "reflect") == 0)
        p->mode = NORM_PAD_REFLECT;
    else if (strcmp(m, "edge") == 0)
        p->mode = NORM_PAD_EDGE;
    else
        return false;
    *why = "pad_value must be a finite float";
    if (value && (value->type != IMP_ATTR_FLOAT || !isfinite(value->f)))
        return false;
    p->value = value ? value->f : 0.0f;
    p->on = true;
    return true;
}

/* Source index in [0, n) of padded index i - begin, for reflect and edge. */
static int64_t norm_pad_source(enum norm_pad_mode mode, int64_t i, int64_t n)
{
    if (i < 0)
        return mode == NORM_PAD_REFLECT ? -i : 0;
    if (i >= n)
        return mode == NORM_PAD_REFLECT ? 2 * (n - 1) - i : n - 1;
    return i;
}

/* Fills the border of one padded plane (oh x ow) whose interior h x w at
 * (top, left) is written. */
static void norm_pad_border(float *y, int64_t h, int64_t w, const struct norm_pad *p)
{
    const int64_t top = p->pads[0], left = p->pads[1];
    const int64_t ow = w + left + p->pads[3], oh = h + top + p->pads[2];
    const bool constant = p->mode == NORM_PAD_CONSTANT;
    for (int64_t r = top; r < top + h; r++) {
        float *row = y + r * ow;
        for (int64_t o = 0; o < ow; o++) {
            if (o == left)
                o += w;
            if (o >= ow)
                break;
            row[o] = constant ? p->value : row[left + norm_pad_source(p->mode, o - left, w)];
        }
    }
    for (int64_t r = 0; r < oh; r++) {
        if (r == top)
            r += h;
        if (r >= oh)
            break;
        float *row = y + r * ow;
        if (constant) {
            for (int64_t o = 0; o < ow; o++)
                row[o] = p->value;
        } else {
            int64_t src = top + norm_pad_source(p->mode, r - top, h);
            memcpy(row, y + src * ow, sizeof(float) * (size_t)ow);
        }
    }
}

static enum imp_status instance_norm_infer(struct imp_infer_ctx *c)
{
    static const char *const names[] = {"X", "scale", "B"};
    IMP_CHECK(c, c->n_out == 1, IMP_ERR_FORMAT, "%d outputs; 1 expected", c->n_out);
    enum imp_status st = norm_check(c, 2, names, 3);
    if (st != IMP_OK)
        return st;
    IMP_CHECK(c, plane_size(&c->in[0]->shape) >= 1, IMP_ERR_SHAPE,
              "input has an empty spatial axis");
    const struct imp_attr *act = imp_node_attr(c->node, "activation");
    IMP_CHECK(c, !act || (act->type == IMP_ATTR_STRING && strcmp(act->s, "Relu") == 0),
              IMP_ERR_UNSUPPORTED,
              "activation must be the string \"Relu\" (the only fused activation)");
    struct norm_pad pad;
    const char *why;
    IMP_CHECK(c, norm_pad_parse(c->node, &pad, &why), IMP_ERR_FORMAT, "%s", why);
    if (pad.on) {
        struct imp_shape *o = &c->out[0].shape;
        IMP_CHECK(c, o->rank == 4, IMP_ERR_SHAPE, "fused pads need NCHW input, not rank %d",
                  o->rank);
        for (int d = 0; d < 2; d++) {
            int64_t dim = o->d[2 + d], b = pad.pads[d], e = pad.pads[2 + d];
            IMP_CHECK(c, pad.mode != NORM_PAD_REFLECT || (b < dim && e < dim),
                      IMP_ERR_SHAPE, "reflect pads %lld/%lld must be smaller than dim %d (%lld)",
                      (long long)b, (long long)e, 2 + d, (long long)dim);
            o->d[2 + d] = dim + b + e;
        }
        enum imp_status pst = imp_check_out_shape(o, c->err);
        if (pst != IMP_OK)
            return pst;
    }
    return IMP_OK;
}

/* The fused activation: infer has checked that it can only be Relu. */
static bool instance_norm_relu(const struct imp_node *n)
{
    return imp_node_attr(n, "activation") != NULL;
}

struct instance_task {
    const float *x, *scale, *bias;
    float *y;
    int64_t channels, plane;
    double eps;
    bool relu;
    const struct imp_eltwise_kernels *k;
    struct imp_norm_stats_slot *stats; /* the predictor's control, or NULL */
    /* The plane as h rows of w written at (top, left) of an output plane
     * of out_plane floats with rows of ow; unpadded: 1 row of plane. */
    struct norm_pad pad;
    int64_t h, w, ow, out_plane;
};

static void instance_task_layout(struct instance_task *t, const struct imp_node *node,
                                 const struct imp_shape *s)
{
    const char *why;
    norm_pad_parse(node, &t->pad, &why); /* infer has checked it */
    if (t->pad.on) {
        t->h = s->d[2];
        t->w = s->d[3];
        t->ow = t->w + t->pad.pads[1] + t->pad.pads[3];
        t->out_plane = t->ow * (t->h + t->pad.pads[0] + t->pad.pads[2]);
    } else {
        t->h = 1;
        t->w = t->ow = t->out_plane = t->plane;
    }
}

static float *instance_out_row(const struct instance_task *t, float *y, int64_t r)
{
    return t->pad.on ? y + (r + t->pad.pads[0]) * t->ow + t->pad.pads[1] : y + r * t->ow;
}

static void instance_norm_planes(void *ctx, size_t begin, size_t end, int thread)
{
    const struct instance_task *t = ctx;
    const int64_t n = t->plane;
    (void)thread;
    for (size_t p = begin; p < end; p++) {
        const float *x = t->x + (int64_t)p * n;
        float *y = t->y + (int64_t)p * t->out_plane;
        const int64_t ch = (int64_t)p % t->channels;
        /* Four partial sums keep the double additions pipelined. */
        double s[4] = {0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (int k = 0; k < 4; k++)
                s[k] += x[i + k];
        for (; i < n; i++)
            s[0] += x[i];
        double mean = (s[0] + s[1] + s[2] + s[3]) / (double)n;
        double q[4] = {0, 0, 0, 0};
        for (i = 0; i + 4 <= n; i += 4)
            for (int k = 0; k < 4; k++) {
                double dv = x[i + k] - mean;
                q[k] += dv * dv;
            }
        for (; i < n; i++) {
            double dv = x[i] - mean;
            q[0] += dv * dv;
        }
        double var = (q[0] + q[1] + q[2] + q[3]) / (double)n;
        imp_norm_stats_pick(t->stats, (int64_t)p, &mean, &var);
        const double a = t->scale[ch] / sqrt(var + t->eps), b = t->bias[ch];
        for (int64_t r = 0; r < t->h; r++) {
            const float *xr = x + r * t->w;
            float *yr = instance_out_row(t, y, r);
            for (i = 0; i < t->w; i++) {
                float v = (float)((xr[i] - mean) * a + b);
                yr[i] = t->relu && !(v > 0.0f) ? 0.0f : v;
            }
        }
        if (t->pad.on)
            norm_pad_border(y, t->h, t->w, &t->pad);
    }
}

static void instance_norm_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *s = &a->in[0]->shape;
    struct instance_task t = {
        .x = a->in[0]->data, .scale = a->in[1]->data, .bias = a->in[2]->data,
        .y = a->out[0]->data, .channels = s->d[1], .plane = plane_size(s),
        .eps = imp_node_float(a->node, "epsilon", 1e-5f),
        .relu = instance_norm_relu(a->node), .stats = a->norm_stats};
    instance_task_layout(&t, a->node, s);
    int64_t planes = s->d[0] * s->d[1];
    int64_t grain = 65536 / t.plane;
    imp_parallel_for(a->pool, (size_t)planes, grain < 1 ? 1 : (size_t)grain,
                     instance_norm_planes, &t);
}

static void instance_norm_simd_planes(void *ctx, size_t begin, size_t end, int thread)
{
    const struct instance_task *t = ctx;
    const int64_t n = t->plane;
    (void)thread;
    for (size_t p = begin; p < end; p++) {
        const float *x = t->x + (int64_t)p * n;
        float *y = t->y + (int64_t)p * t->out_plane;
        const int64_t ch = (int64_t)p % t->channels;
        double mean, var;
        t->k->stats(x, n, &mean, &var);
        imp_norm_stats_pick(t->stats, (int64_t)p, &mean, &var);
        const double a = t->scale[ch] / sqrt(var + t->eps);
        struct imp_norm_coef c = {
            .mean = mean, .a = a, .b = t->bias[ch], .relu = t->relu};
        for (int64_t r = 0; r < t->h; r++)
            t->k->norm_apply(x + r * t->w, instance_out_row(t, y, r), t->w, &c);
        if (t->pad.on)
            norm_pad_border(y, t->h, t->w, &t->pad);
    }
}

static void instance_norm_simd_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *s = &a->in[0]->shape;
    struct instance_task t = {
        .x = a->in[0]->data, .scale = a->in[1]->data, .bias = a->in[2]->data,
        .y = a->out[0]->data, .channels = s->d[1], .plane = plane_size(s),
        .eps = imp_node_float(a->node, "epsilon", 1e-5f),
        .relu = instance_norm_relu(a->node), .k = imp_eltwise_kernels_for(a->isa),
        .stats = a->norm_stats};
    instance_task_layout(&t, a->node, s);
    int64_t planes = s->d[0] * s->d[1];
    int64_t grain = 32768 / t.plane;
    imp_parallel_for(a->pool, (size_t)planes, grain < 1 ? 1 : (size_t)grain,
                     instance_norm_simd_planes, &t);
}

/* Scale and B are read per plane at run: live style weights. */
static const struct imp_engine instance_norm_simd = {
    .name = "simd", .run = instance_norm_simd_run, .live_inputs = 1u << 1 | 1u << 2};
static const struct imp_engine instance_norm_ref = {
    .name = "ref", .run = instance_norm_run, .live_inputs = 1u << 1 | 1u << 2};
static const struct imp_engine *const instance_norm_engines[] = {
    &instance_norm_simd, &instance_norm_ref, NULL};
const struct imp_op_def imp_opdef_INSTANCE_NORM = {
    .infer = instance_norm_infer, .engines = instance_norm_engines,
    .flags = IMP_OPF_INPLACE};

/* ---- BatchNormalization ----------------------------------------------------- */

/* Inference uses the given mean and variance. training_mode=1 (opset 14 on)
 * normalises with the batch's own statistics and may also output the
 * running mean and variance updated by them. */
static enum imp_status batch_norm_infer(struct imp_infer_ctx *c)
{
    static const char *const names[] = {"X", "scale", "B", "input_mean", "input_var"};
    bool training = imp_node_int(c->node, "training_mode", 0) != 0;
    IMP_CHECK(c, c->n_out == 1 || (training && c->n_out <= 3), IMP_ERR_UNSUPPORTED,
              "%d outputs without training_mode=1: the training outputs of opsets "
              "before 14 are not supported",
              c->n_out);
    /* Opset < 9: spatial=0 means per-element statistics, which no model we
     * know uses. */
    IMP_CHECK(c, imp_node_int(c->node, "spatial", 1) == 1, IMP_ERR_UNSUPPORTED,
              "spatial=0 (per-activation statistics) is not supported");
    enum imp_status st = norm_check(c, 4, names, 2);
    for (int k = 1; st == IMP_OK && k < c->n_out; k++) {
        c->out[k].dtype = IMP_DTYPE_F32;
        c->out[k].shape = (struct imp_shape){.rank = 1, .d = {c->in[0]->shape.d[1]}};
    }
    return st;
}

struct batch_task {
    const float *x, *scale, *bias, *mean, *var;
    float *y;
    int64_t channels, plane;
    double eps;
};

static void batch_norm_planes(void *ctx, size_t begin, size_t end, int thread)
{
    const struct batch_task *t = ctx;
    (void)thread;
    for (size_t p = begin; p < end; p++) {
        const float *x = t->x + (int64_t)p * t->plane;
        float *y = t->y + (int64_t)p * t->plane;
        const int64_t ch = (int64_t)p % t->channels;
        const double a = t->scale[ch] / sqrt((double)t->var[ch] + t->eps);
        const double mean = t->mean[ch], b = t->bias[ch];
        for (int64_t i = 0; i < t->plane; i++)
            y[i] = (float)((x[i] - mean) * a + b);
    }
}

/* training_mode=1: per channel the batch's mean and (population) variance,
 * in double, then the same map as inference with them. */
static void batch_norm_training_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *s = &a->in[0]->shape;
    const int64_t n = s->d[0], channels = s->d[1], plane = plane_size(s);
    const float *x = a->in[0]->data, *scale = a->in[1]->data, *bias = a->in[2]->data;
    const float *in_mean = a->in[3]->data, *in_var = a->in[4]->data;
    float *y = a->out[0]->data;
    float *run_mean = a->n_out > 1 ? a->out[1]->data : NULL;
    float *run_var = a->n_out > 2 ? a->out[2]->data : NULL;
    const double eps = imp_node_float(a->node, "epsilon", 1e-5f);
    const double momentum = imp_node_float(a->node, "momentum", 0.9f);
    const double count = (double)(n * plane);
    for (int64_t ch = 0; ch < channels; ch++) {
        double sum = 0.0, sq = 0.0;
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < plane; i++)
                sum += x[(b * channels + ch) * plane + i];
        const double mean = count > 0 ? sum / count : 0.0;
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < plane; i++) {
                double d = x[(b * channels + ch) * plane + i] - mean;
                sq += d * d;
            }
        const double var = count > 0 ? sq / count : 0.0;
        const double k = scale[ch] / sqrt(var + eps);
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < plane; i++) {
                int64_t at = (b * channels + ch) * plane + i;
                y[at] = (float)((x[at] - mean) * k + bias[ch]);
            }
        if (run_mean)
            run_mean[ch] = (float)(in_mean[ch] * momentum + mean * (1.0 - momentum));
        if (run_var)
            run_var[ch] = (float)(in_var[ch] * momentum + var * (1.0 - momentum));
    }
}

static void batch_norm_run(const struct imp_kernel_args *a)
{
    if (imp_node_int(a->node, "training_mode", 0) != 0) {
        batch_norm_training_run(a);
        return;
    }
    const struct imp_shape *s = &a->in[0]->shape;
    struct batch_task t = {
        .x = a->in[0]->data, .scale = a->in[1]->data, .bias = a->in[2]->data,
        .mean = a->in[3]->data, .var = a->in[4]->data, .y = a->out[0]->data,
        .channels = s->d[1], .plane = plane_size(s),
        .eps = imp_node_float(a->node, "epsilon", 1e-5f)};
    int64_t planes = s->d[0] * s->d[1];
    if (t.plane < 1 || t.channels < 1)
        return;
    int64_t grain = 65536 / t.plane;
    imp_parallel_for(a->pool, (size_t)planes, grain < 1 ? 1 : (size_t)grain,
                     batch_norm_planes, &t);
}

IMP_REF_ENGINES(BATCH_NORM, batch_norm_run, NULL, NULL);
const struct imp_op_def imp_opdef_BATCH_NORM = {
    .infer = batch_norm_infer, .engines = BATCH_NORM_engines,
    .flags = IMP_OPF_INPLACE};

/* ---- LayerNormalization ----------------------------------------------------- */

/* ONNX opset 17: every slice X[i, ...] over the axes from `axis` on is
 * normalised by its own mean and variance, then * Scale + B (Scale and B
 * one value per normalised element, or one value in all). The optional
 * outputs Mean and InvStdDev have X's shape with the normalised axes 1.
 * The decomposed-norm pass (passes/fuse_decomposed_norm.c) writes it for
 * layer norms spelt out as ReduceMean/Sub/Pow/Sqrt/Div; the sums are in
 * double, like the instance norm's reference. */
struct layer_geom {
    int axis;
    int64_t rows, size; /* slices, elements per slice */
};

static bool layer_geometry(const struct imp_node *n, const struct imp_shape *s,
                           struct layer_geom *g)
{
    int axis;
    if (!imp_norm_axis(imp_node_int(n, "axis", -1), s->rank, &axis))
        return false;
    g->axis = axis;
    g->rows = 1;
    g->size = 1;
    for (int d = 0; d < s->rank; d++)
        *(d < axis ? &g->rows : &g->size) *= s->d[d];
    return true;
}

/* Scale or B: broadcastable to the normalised axes, and one value per
 * element or one in all. */
static bool layer_param_ok(const struct imp_shape *p, const struct imp_shape *x, int axis,
                           int64_t size)
{
    if (p->rank > x->rank - axis)
        return false;
    for (int i = 0; i < p->rank; i++) {
        int64_t xd = x->d[x->rank - p->rank + i];
        if (p->d[i] != 1 && p->d[i] != xd)
            return false;
    }
    int64_t count = imp_shape_count(p);
    return count == size || count == 1;
}

static enum imp_status layer_norm_infer(struct imp_infer_ctx *c)
{
    IMP_CHECK(c, c->n_in == 2 || c->n_in == 3, IMP_ERR_FORMAT, "%d inputs; 2 or 3 expected",
              c->n_in);
    IMP_CHECK(c, c->n_out >= 1 && c->n_out <= 3, IMP_ERR_FORMAT,
              "%d outputs; 1 to 3 expected", c->n_out);
    enum imp_status st = imp_need_inputs(c, 0, 1);
    if (st != IMP_OK)
        return st;
    const struct imp_tensor *x = c->in[0];
    for (int i = 0; i < c->n_in; i++)
        IMP_CHECK(c, !c->in[i] || c->in[i]->dtype == IMP_DTYPE_F32, IMP_ERR_UNSUPPORTED,
                  "input %d is %s; only float32 is supported", i,
                  imp_dtype_name(c->in[i]->dtype));
    struct layer_geom g;
    IMP_CHECK(c, x->shape.rank >= 1 && layer_geometry(c->node, &x->shape, &g), IMP_ERR_SHAPE,
              "axis %lld is out of range for rank %d",
              (long long)imp_node_int(c->node, "axis", -1), x->shape.rank);
    IMP_CHECK(c, g.size >= 1, IMP_ERR_SHAPE, "the normalised axes are empty");
    for (int i = 1; i < c->n_in; i++)
        IMP_CHECK(c, !c->in[i] || layer_param_ok(&c->in[i]->shape, &x->shape, g.axis, g.size),
                  IMP_ERR_SHAPE, "%s must hold one value per normalised element or one value",
                  i == 1 ? "Scale" : "B");
    float eps = imp_node_float(c->node, "epsilon", 1e-5f);
    IMP_CHECK(c, isfinite(eps) && eps >= 0.0f, IMP_ERR_FORMAT,
              "epsilon must be a finite float >= 0");
    c->out[0].dtype = IMP_DTYPE_F32;
    c->out[0].shape = x->shape;
    for (int k = 1; k < c->n_out; k++) {
        c->out[k].dtype = IMP_DTYPE_F32;
        c->out[k].shape = x->shape;
        for (int d = g.axis; d < x->shape.rank; d++)
            c->out[k].shape.d[d] = 1;
    }
    return IMP_OK;
}

struct layer_task {
    struct layer_geom g;
    const float *x, *scale, *bias;
    float *y, *mean, *inv;
    bool scale_one, bias_one;
    double eps;
};

static void layer_norm_rows(void *ctx, size_t begin, size_t end, int thread)
{
    (void)thread;
    const struct layer_task *t = ctx;
    const int64_t n = t->g.size;
    for (size_t row = begin; row < end; row++) {
        const float *x = t->x + (int64_t)row * n;
        float *y = t->y + (int64_t)row * n;
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < n; i++)
            sum += x[i];
        const double mean = sum / (double)n;
        for (int64_t i = 0; i < n; i++)
            sq += (x[i] - mean) * (x[i] - mean);
        const double inv = 1.0 / sqrt(sq / (double)n + t->eps);
        for (int64_t i = 0; i < n; i++) {
            double s = t->scale[t->scale_one ? 0 : i];
            double b = t->bias ? t->bias[t->bias_one ? 0 : i] : 0.0;
            y[i] = (float)((x[i] - mean) * inv * s + b);
        }
        if (t->mean)
            t->mean[row] = (float)mean;
        if (t->inv)
            t->inv[row] = (float)inv;
    }
}

static void layer_norm_run(const struct imp_kernel_args *a)
{
    struct layer_task t = {.x = a->in[0]->data, .scale = a->in[1]->data, .y = a->out[0]->data};
    if (!layer_geometry(a->node, &a->in[0]->shape, &t.g) || t.g.rows < 1 || t.g.size < 1)
        return;
    const struct imp_tensor *b = a->n_in > 2 ? a->in[2] : NULL;
    t.bias = b ? b->data : NULL;
    t.scale_one = imp_shape_count(&a->in[1]->shape) == 1 && t.g.size > 1;
    t.bias_one = b && imp_shape_count(&b->shape) == 1 && t.g.size > 1;
    t.mean = a->n_out > 1 && a->out[1] ? a->out[1]->data : NULL;
    t.inv = a->n_out > 2 && a->out[2] ? a->out[2]->data : NULL;
    t.eps = imp_node_float(a->node, "epsilon", 1e-5f);
    int64_t grain = 65536 / t.g.size;
    imp_parallel_for(a->pool, (size_t)t.g.rows, grain < 1 ? 1 : (size_t)grain,
                     layer_norm_rows, &t);
}

/* Scale and B are read per run: live weights. */
static const struct imp_engine layer_norm_ref = {
    .name = "ref", .run = layer_norm_run, .live_inputs = 1u << 1 | 1u << 2};
static const struct imp_engine *const layer_norm_engines[] = {&layer_norm_ref, NULL};
const struct imp_op_def imp_opdef_LAYER_NORM = {.infer = layer_norm_infer,
                                                .engines = layer_norm_engines};
