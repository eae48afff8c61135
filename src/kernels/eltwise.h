/*
 * Memory-bound element-wise kernels for the non-convolution operators of
 * the image networks: instance-norm statistics and its affine map (with
 * the activation that fusion folds into it), Relu, Tanh, HardSwish,
 * Sigmoid, Add, and the rows of x2 upsampling (nearest and bilinear).
 *
 * One template (eltwise.inc) is compiled per ISA with GCC vector types of
 * that ISA's width; dispatch picks the widest one within the cap.
 */
#ifndef IMP_ELTWISE_H
#define IMP_ELTWISE_H

#include <stdint.h>

#include "impasto.h"

/* What the normalisation map needs, per plane:
 * y = act((float)((x - mean) * a + b)), the bracket in double like the
 * reference engine computes it (up to the last double bits). */
struct imp_norm_coef {
    double mean, a, b;
    int relu;
};

struct imp_eltwise_kernels {
    enum imp_isa isa;
    const char *name;
    /* Mean and population variance of x[0, n), n >= 1, in double. */
    void (*stats)(const float *x, int64_t n, double *mean, double *var);
    /* Sum of x[0, n) in double (vector partial sums): the means of
     * global average pooling, where a plane is often a few vectors. */
    double (*sum)(const float *x, int64_t n);
    void (*norm_apply)(const float *x, float *y, int64_t n,
                       const struct imp_norm_coef *c);
    /* y = max(x, 0), NaN and -0 giving +0 like `x > 0 ? x : 0`. y may be x. */
    void (*relu)(const float *x, float *y, int64_t n);
    /* y = a + b; y may be a or b. */
    void (*add)(const float *a, const float *b, float *y, int64_t n);
    /* y[2i] = y[2i + 1] = x[i] for i in [0, n). */
    void (*repeat2)(const float *x, float *y, int64_t n);
    /* One output row of bilinear x2 with half-pixel centres: y[0, 2n) =
     * 3/4 H(near) + 1/4 H(far), where H(x)[2i] = 3/4 x[i] + 1/4 x[i - 1]
     * and H(x)[2i + 1] = 3/4 x[i] + 1/4 x[i + 1], the row's ends repeated;
     * near is the input row the output row lies in, far its neighbour on
     * the output row's side (or near again at the plane's edge). Products
     * and sums in that order, as the reference engine's taps give them. */
    void (*linear2)(const float *near, const float *far, float *y, int64_t n);
    /* y = tanh(x) within an ulp or so of tanhf; y may be x. */
    void (*tanh)(const float *x, float *y, int64_t n);
    /* y = x * clamp(x / 6 + 1/2, 0, 1), bit for bit the reference engine's
     * x * fmaxf(0, fminf(1, x / 6 + 0.5)); y may be x. */
    void (*hard_swish)(const float *x, float *y, int64_t n);
    /* y = 1 / (1 + exp(-x)) within an ulp of that value computed in
     * double and rounded; NaN stays NaN; y may be x. */
    void (*sigmoid)(const float *x, float *y, int64_t n);
};

/* The widest kernel set within `cap` and this CPU. */
const struct imp_eltwise_kernels *imp_eltwise_kernels_for(enum imp_isa cap);

#define IMP_ELTWISE_DECLARE(sfx)                                              \
    extern const struct imp_eltwise_kernels imp_eltwise__##sfx;
IMP_ELTWISE_DECLARE(scalar)
IMP_ELTWISE_DECLARE(avx2)
IMP_ELTWISE_DECLARE(avx512)
#undef IMP_ELTWISE_DECLARE

#endif
