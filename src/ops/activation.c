/* Fused-activation attributes and the activation operators' "simd" engines
 * (activation.h). */
#include "ops/activation.h"

#include <math.h>
#include <string.h>

#include "core/dtype.h"
#include "core/threadpool.h"
#include "ops/op_util.h"

static const char *const act_names[] = {
    [IMP_ACT_RELU] = "Relu",           [IMP_ACT_CLIP] = "Clip",
    [IMP_ACT_LEAKY_RELU] = "LeakyRelu", [IMP_ACT_HARD_SIGMOID] = "HardSigmoid",
    [IMP_ACT_HARD_SWISH] = "HardSwish", [IMP_ACT_HARD_SILU] = "HardSilu",
    [IMP_ACT_SIGMOID] = "Sigmoid",     [IMP_ACT_SILU] = "Silu",
};
#define N_ACT_NAMES ((int)(sizeof act_names / sizeof act_names[0]))

const char *imp_act_name(enum imp_act_kind kind)
{
    return kind > IMP_ACT_NONE && (int)kind < N_ACT_NAMES ? act_names[kind] : NULL;
}

enum imp_status imp_activation_from_node(const struct imp_node *n, enum imp_isa cap,
                                         struct imp_activation *act, struct imp_error *err)
{
    *act = (struct imp_activation){.kind = IMP_ACT_NONE};
    imp_activation_bind(act, cap);
    const struct imp_attr *a = imp_node_attr(n, "activation");
    if (!a)
        return IMP_OK;
    if (a->type != IMP_ATTR_STRING || !a->s)
        return imp_fail(err, IMP_ERR_FORMAT, "attribute activation must be a string");
    for (int k = IMP_ACT_NONE + 1; k < N_ACT_NAMES; k++)
        if (strcmp(a->s, act_names[k]) == 0)
            act->kind = (enum imp_act_kind)k;
    if (act->kind == IMP_ACT_NONE)
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "unknown fused activation \"%.40s\"", a->s);
    act->alpha = imp_node_float(n, "activation_alpha", 0.0f);
    act->beta = imp_node_float(n, "activation_beta", 0.0f);
    /* Clip's open bounds are infinite; everything else must be finite. */
    bool ok = act->kind == IMP_ACT_CLIP ? !isnan(act->alpha) && !isnan(act->beta)
                                        : isfinite(act->alpha) && isfinite(act->beta);
    if (!ok)
        return imp_fail(err, IMP_ERR_FORMAT, "activation %s has a parameter that is not a "
                        "number", a->s);
    return IMP_OK;
}

struct act_task {
    const struct imp_activation *act;
    const float *x;
    float *y;
};

static void act_slices(void *ctx, size_t begin, size_t end, int thread)
{
    const struct act_task *t = ctx;
    (void)thread;
    t->act->k->apply(t->act, t->x + begin, t->y + begin, (int64_t)(end - begin));
}

/* Elements per slice: the clamps stream from cache about as fast as Relu,
 * the Sigmoid kinds compute some 20 times longer per element. */
static size_t act_grain(const struct imp_activation *act)
{
    return act->kind == IMP_ACT_SIGMOID || act->kind == IMP_ACT_SILU ? 8192 : 1 << 16;
}

static void act_run(const struct imp_activation *act, const float *x, float *y, int64_t n,
                    struct imp_threadpool *pool)
{
    struct act_task t = {.act = act, .x = x, .y = y};
    if (n > 0)
        imp_parallel_for(pool, (size_t)n, act_grain(act), act_slices, &t);
}

void imp_activation_apply_parallel(const struct imp_activation *act, float *y, int64_t n,
                                   struct imp_threadpool *pool)
{
    if (act->kind != IMP_ACT_NONE)
        act_run(act, y, y, n, pool);
}

/* ---- the operators' engines ------------------------------------------- */

static float clip_bound(const struct imp_kernel_args *a, int i, const char *attr,
                        float dflt)
{
    if (a->n_in > i && a->in[i])
        return (float)imp_load_f64(a->in[i]->dtype, a->in[i]->data, 0);
    return imp_node_float(a->node, attr, dflt);
}

static void clip_simd_run(const struct imp_kernel_args *a)
{
    struct imp_activation act = {.kind = IMP_ACT_CLIP,
                                 .alpha = clip_bound(a, 1, "min", -INFINITY),
                                 .beta = clip_bound(a, 2, "max", INFINITY)};
    imp_activation_bind(&act, a->isa);
    act_run(&act, a->in[0]->data, a->out[0]->data, imp_numel(a->in[0]), a->pool);
}

static void hard_sigmoid_simd_run(const struct imp_kernel_args *a)
{
    struct imp_activation act = {.kind = IMP_ACT_HARD_SIGMOID,
                                 .alpha = imp_node_float(a->node, "alpha", 0.2f),
                                 .beta = imp_node_float(a->node, "beta", 0.5f)};
    imp_activation_bind(&act, a->isa);
    act_run(&act, a->in[0]->data, a->out[0]->data, imp_numel(a->in[0]), a->pool);
}

static void leaky_relu_simd_run(const struct imp_kernel_args *a)
{
    struct imp_activation act = {.kind = IMP_ACT_LEAKY_RELU,
                                 .alpha = imp_node_float(a->node, "alpha", 0.01f)};
    imp_activation_bind(&act, a->isa);
    act_run(&act, a->in[0]->data, a->out[0]->data, imp_numel(a->in[0]), a->pool);
}

/* The vector kernels read and write float32; the operators also take
 * integer tensors (Clip on uint8, say), which stay with the reference. */
static bool float32_only(const struct imp_kernel_args *a)
{
    return a->in[0]->dtype == IMP_DTYPE_F32 && a->out[0]->dtype == IMP_DTYPE_F32;
}

const struct imp_engine imp_clip_simd_engine = {
    .name = "simd", .supports = float32_only, .run = clip_simd_run};
const struct imp_engine imp_hard_sigmoid_simd_engine = {
    .name = "simd", .supports = float32_only, .run = hard_sigmoid_simd_run};
const struct imp_engine imp_leaky_relu_simd_engine = {
    .name = "simd", .supports = float32_only, .run = leaky_relu_simd_run};
