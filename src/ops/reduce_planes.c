/*
 * ReduceMean engine "planes": the mean over the trailing axes of a tensor
 * (the spatial axes of NCHW, as the moments of a TensorFlow-converted
 * instance norm and a global pooling take it), so each output is the mean
 * of one contiguous block. Blocks are split between threads and summed by
 * the eltwise kernels' statistics pass (vectors of doubles, shifted by a
 * first estimate of the mean, as the instance norm does), which agrees
 * with the reference's plain double sum to float rounding.
 *
 * GlobalAveragePool is the same reduction over every spatial axis (the
 * squeeze of squeeze-and-excitation blocks and the pooling before a
 * classifier head), so it has a "planes" engine here too; its planes are
 * small (7x7 in MobileNets), where the statistics pass's first estimate
 * costs more than the sums, so it takes a plain double sum (`sum`).
 */
#include <stdlib.h>

#include "core/threadpool.h"
#include "kernels/eltwise.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

struct planes {
    int64_t blocks, inner;
};

/* The reduced axes as flags; false when they cannot be read. */
static bool reduced_axes(const struct imp_kernel_args *a, bool *reduce)
{
    const int rank = a->in[0]->shape.rank;
    int64_t axes[IMP_MAX_RANK];
    int count = 0;
    const struct imp_tensor *axes_in = imp_opt_input(a->in, a->n_in, 1);
    if (axes_in) {
        if (!axes_in->data ||
            imp_input_ints(axes_in, 1, axes, IMP_MAX_RANK, &count, NULL) != IMP_OK)
            return false;
    } else if (imp_node_attr(a->node, "axes")) {
        count = imp_attr_ints(a->node, "axes", axes, IMP_MAX_RANK);
        if (count < 0)
            return false;
    }
    for (int d = 0; d < rank; d++)
        reduce[d] = count == 0;
    if (count == 0 && imp_node_int(a->node, "noop_with_empty_axes", 0))
        return false;
    for (int i = 0; i < count; i++) {
        int ax;
        if (!imp_norm_axis(axes[i], rank, &ax))
            return false;
        reduce[ax] = true;
    }
    return true;
}

/* Reduced axes that are all trailing ones, up to size-1 axes anywhere. */
static bool planes_geometry(const struct imp_kernel_args *a, struct planes *p)
{
    const struct imp_shape *s = &a->in[0]->shape;
    bool reduce[IMP_MAX_RANK];
    if (a->in[0]->dtype != IMP_DTYPE_F32 || s->rank < 1 || !reduced_axes(a, reduce))
        return false;
    p->blocks = p->inner = 1;
    bool in_suffix = false;
    for (int d = 0; d < s->rank; d++) {
        if (s->d[d] == 1)
            continue;
        if (reduce[d]) {
            in_suffix = true;
            p->inner *= s->d[d];
        } else if (in_suffix) {
            return false;
        } else {
            p->blocks *= s->d[d];
        }
    }
    return p->inner >= 1 && p->blocks * p->inner == imp_numel(a->in[0]) &&
           imp_numel(a->out[0]) == p->blocks;
}

static bool planes_supports(const struct imp_kernel_args *a)
{
    struct planes p;
    return planes_geometry(a, &p);
}

static enum imp_status planes_prepare(const struct imp_kernel_args *a, void **state,
                                      size_t *scratch, struct imp_error *err)
{
    struct planes *p = malloc(sizeof *p);
    if (!p)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = p;
    *scratch = 0;
    if (!planes_geometry(a, p))
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "not a reduction over trailing axes");
    return IMP_OK;
}

struct planes_job {
    const struct planes *p;
    const struct imp_eltwise_kernels *k;
    const float *x;
    float *y;
};

static void planes_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    const struct planes_job *j = ctx;
    (void)thread;
    for (size_t b = begin; b < end; b++) {
        double mean, var;
        j->k->stats(j->x + (int64_t)b * j->p->inner, j->p->inner, &mean, &var);
        j->y[b] = (float)mean;
    }
}

static void planes_run(const struct imp_kernel_args *a)
{
    const struct planes *p = a->state;
    struct planes_job j = {.p = p, .k = imp_eltwise_kernels_for(a->isa),
                           .x = a->in[0]->data, .y = a->out[0]->data};
    int64_t grain = 65536 / p->inner;
    imp_parallel_for(a->pool, (size_t)p->blocks, grain < 1 ? 1 : (size_t)grain,
                     planes_blocks, &j);
}

static void planes_release(void *state)
{
    free(state);
}

const struct imp_engine imp_reduce_mean_planes_engine = {
    .name = "planes", .supports = planes_supports, .prepare = planes_prepare,
    .run = planes_run, .release = planes_release};

/* GlobalAveragePool: blocks are the N * C planes, inner their pixels. */
static bool global_geometry(const struct imp_kernel_args *a, struct planes *p)
{
    const struct imp_shape *s = &a->in[0]->shape;
    if (a->in[0]->dtype != IMP_DTYPE_F32 || s->rank < 3)
        return false;
    p->blocks = s->d[0] * s->d[1];
    p->inner = imp_numel(a->in[0]) / (p->blocks > 0 ? p->blocks : 1);
    return p->blocks >= 1 && p->inner >= 1 && imp_numel(a->out[0]) == p->blocks;
}

static bool global_supports(const struct imp_kernel_args *a)
{
    struct planes p;
    return global_geometry(a, &p);
}

static enum imp_status global_prepare(const struct imp_kernel_args *a, void **state,
                                      size_t *scratch, struct imp_error *err)
{
    struct planes *p = malloc(sizeof *p);
    if (!p)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    *state = p;
    *scratch = 0;
    if (!global_geometry(a, p))
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "not a float32 tensor of N, C and spatial axes");
    return IMP_OK;
}

static void global_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    const struct planes_job *j = ctx;
    (void)thread;
    for (size_t b = begin; b < end; b++)
        j->y[b] = (float)(j->k->sum(j->x + (int64_t)b * j->p->inner, j->p->inner) /
                          (double)j->p->inner);
}

static void global_run(const struct imp_kernel_args *a)
{
    const struct planes *p = a->state;
    struct planes_job j = {.p = p, .k = imp_eltwise_kernels_for(a->isa),
                           .x = a->in[0]->data, .y = a->out[0]->data};
    int64_t grain = 65536 / p->inner;
    imp_parallel_for(a->pool, (size_t)p->blocks, grain < 1 ? 1 : (size_t)grain,
                     global_blocks, &j);
}

const struct imp_engine imp_global_avg_pool_planes_engine = {
    .name = "planes", .supports = global_supports, .prepare = global_prepare,
    .run = global_run, .release = planes_release};
