/*
 * Geometry of sliding-window operators (Conv, ConvTranspose, pooling):
 * the attributes kernel_shape, strides, dilations, pads and auto_pad,
 * checked once and turned into per-axis sizes.
 *
 * Kernels see every op as 3-D: a model's 1-D or 2-D op gets leading unit
 * axes (size 1, kernel 1, stride 1, no padding), so one loop nest over
 * (D, H, W) serves all spatial ranks. Index IMP_WIN_AXES - nsp is the
 * model's first spatial axis.
 */
#ifndef IMP_WINDOW_H
#define IMP_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/graph.h"

#define IMP_WIN_AXES 3

/* Upper bound on strides, dilations, pads and kernel sizes: far above any
 * real network, low enough that window arithmetic cannot overflow int64. */
#define IMP_WIN_ATTR_MAX ((int64_t)1 << 20)
/* Upper bound on a spatial size (inputs, outputs, output_shape). */
#define IMP_WIN_DIM_MAX ((int64_t)1 << 31)

enum imp_auto_pad {
    IMP_AUTO_PAD_NOTSET = 0,
    IMP_AUTO_PAD_SAME_UPPER,
    IMP_AUTO_PAD_SAME_LOWER,
    IMP_AUTO_PAD_VALID,
};

struct imp_window {
    int nsp;                    /* the model's spatial rank, 1..3      */
    enum imp_auto_pad auto_pad;
    int64_t in[IMP_WIN_AXES];   /* input spatial sizes                 */
    int64_t out[IMP_WIN_AXES];  /* output spatial sizes                */
    int64_t k[IMP_WIN_AXES];    /* kernel extent (undilated)           */
    int64_t s[IMP_WIN_AXES];    /* stride                              */
    int64_t d[IMP_WIN_AXES];    /* dilation                            */
    /* Padding before and after. Explicit (attribute) values after
     * imp_window_parse; the effective ones after imp_window_forward or the
     * ConvTranspose geometry, where they may be negative (an output that
     * reaches beyond the full transposed convolution). */
    int64_t pb[IMP_WIN_AXES], pe[IMP_WIN_AXES];
};

/* Dilated kernel extent along axis i: (k - 1) * d + 1. */
static inline int64_t imp_window_extent(const struct imp_window *w, int i)
{
    return (w->k[i] - 1) * w->d[i] + 1;
}

/* Reads auto_pad, strides, dilations and pads of node `n` for `nsp`
 * spatial axes with input sizes `in` (nsp values). `kernel` (nsp values)
 * comes from the weight's shape; when NULL, the kernel_shape attribute is
 * required (pooling). When both exist they must agree. Every value is
 * range-checked; failures name the attribute. */
enum imp_status imp_window_parse(const struct imp_node *n, int nsp,
                                 const int64_t *in, const int64_t *kernel,
                                 struct imp_window *w, struct imp_error *err);

/* Output sizes and effective padding of a forward window op (Conv,
 * pooling): auto_pad SAME_* derives padding from ceil(in / stride), VALID
 * uses none, NOTSET the explicit pads. ceil_mode (pooling) rounds the
 * output size up but drops a last window that would start in the end
 * padding. An output size below 1 is IMP_ERR_SHAPE. */
enum imp_status imp_window_forward(struct imp_window *w, bool ceil_mode,
                                   struct imp_error *err);

/* Floor and ceiling division for b > 0 and a of either sign. */
static inline int64_t imp_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static inline int64_t imp_ceil_div(int64_t a, int64_t b)
{
    return -imp_floor_div(-a, b);
}

#endif
