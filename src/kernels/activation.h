/*
 * Point-wise activations, applied in place on a run of floats: what a
 * convolution engine calls on each block of outputs it has just stored
 * (while the block is still in cache), and what the activation operators'
 * own "simd" engines run on whole tensors.
 *
 * Each kind computes bit for bit what the reference engine of the
 * operator (or pair of operators) it replaces computes, at the same ISA
 * cap: the clamps are compares in the reference's fminf/fmaxf order, NaN
 * included, and Sigmoid is the eltwise kernels' own.
 */
#ifndef IMP_ACTIVATION_H
#define IMP_ACTIVATION_H

#include <stdint.h>

#include "impasto.h"

enum imp_act_kind {
    IMP_ACT_NONE,
    IMP_ACT_RELU,          /* max(x, 0)                                      */
    IMP_ACT_CLIP,          /* fminf(fmaxf(x, alpha), beta)                    */
    IMP_ACT_LEAKY_RELU,    /* x >= 0 ? x : alpha * x                          */
    IMP_ACT_HARD_SIGMOID,  /* fmaxf(0, fminf(1, alpha * x + beta))            */
    IMP_ACT_HARD_SWISH,    /* x * fmaxf(0, fminf(1, x / 6 + 0.5)) (HardSwish) */
    IMP_ACT_HARD_SILU,     /* x * HardSigmoid(x; alpha, beta) (Mul pair)      */
    IMP_ACT_SIGMOID,       /* 1 / (1 + exp(-x))                               */
    IMP_ACT_SILU,          /* x * Sigmoid(x) (Mul pair)                       */
};

struct imp_act_kernels;

struct imp_activation {
    enum imp_act_kind kind;
    float alpha, beta;
    const struct imp_act_kernels *k; /* the ISA's kernels; set by imp_activation_bind */
};

struct imp_act_kernels {
    enum imp_isa isa;
    /* y = act(x) for n floats; y may be x. */
    void (*apply)(const struct imp_activation *act, const float *x, float *y, int64_t n);
};

/* The widest kernel set within `cap` and this CPU. */
const struct imp_act_kernels *imp_act_kernels_for(enum imp_isa cap);

/* Picks the kernels for `cap`; a NONE activation stays a no-op. */
static inline void imp_activation_bind(struct imp_activation *act, enum imp_isa cap)
{
    act->k = imp_act_kernels_for(cap);
}

/* In place on y[0, n); nothing for IMP_ACT_NONE. */
static inline void imp_activation_apply(const struct imp_activation *act, float *y, int64_t n)
{
    if (act->kind != IMP_ACT_NONE && n > 0)
        act->k->apply(act, y, y, n);
}

/* The same on `rows` runs of `n` floats, `stride` floats apart. */
static inline void imp_activation_apply_rows(const struct imp_activation *act, float *y,
                                             int64_t rows, int64_t n, int64_t stride)
{
    if (act->kind == IMP_ACT_NONE)
        return;
    for (int64_t r = 0; r < rows; r++)
        imp_activation_apply(act, y + r * stride, n);
}

#define IMP_ACT_DECLARE(sfx) extern const struct imp_act_kernels imp_act__##sfx;
IMP_ACT_DECLARE(scalar)
IMP_ACT_DECLARE(avx2)
IMP_ACT_DECLARE(avx512)
#undef IMP_ACT_DECLARE

#endif
