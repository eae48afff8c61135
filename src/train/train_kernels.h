/*
 * Forward and backward kernels of the memory-bound layers, per plane or
 * per slice of elements, threaded through the pool. A backward kernel
 * writes its input gradient, or adds to it when `acc` (the value feeds
 * more than one layer). Every sum has a fixed order.
 */
#ifndef IMP_TRAIN_KERNELS_H
#define IMP_TRAIN_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "impasto.h" /* enum imp_isa */

struct imp_threadpool;

enum tk_act { TK_RELU, TK_SIGMOID, TK_TANH };

void tk_act_forward(enum tk_act a, const float *x, float *y, size_t n,
                    struct imp_threadpool *pool);
/* From the output y: dx (+)= dy * f'(x) expressed through y. */
void tk_act_backward(enum tk_act a, const float *y, const float *dy, float *dx, size_t n,
                     bool acc, struct imp_threadpool *pool);
void tk_add_forward(const float *a, const float *b, float *y, size_t n,
                    struct imp_threadpool *pool);
/* dx (+)= dy */
void tk_pass_backward(const float *dy, float *dx, size_t n, bool acc,
                      struct imp_threadpool *pool);

/* planes of h x w -> (h + 2p) x (w + 2p), mirror without the edge */
void tk_pad_forward(const float *x, float *y, size_t planes, int h, int w, int p,
                    struct imp_threadpool *pool);
void tk_pad_backward(const float *dy, float *dx, size_t planes, int h, int w, int p, bool acc,
                     struct imp_threadpool *pool);
/* planes of h x w -> 2h x 2w: nearest, or bilinear with half-pixel centres
 * and the edges repeated (`linear`); by the element-wise kernels of isa */
void tk_up2_forward(const float *x, float *y, size_t planes, int h, int w, bool linear,
                    enum imp_isa isa, struct imp_threadpool *pool);
void tk_up2_backward(const float *dy, float *dx, size_t planes, int h, int w, bool linear,
                     bool acc, struct imp_threadpool *pool);
/* planes of h x w -> h/2 x w/2; max takes the first largest of each window */
void tk_pool_forward(bool max, const float *x, float *y, size_t planes, int h, int w,
                     struct imp_threadpool *pool);
void tk_pool_backward(bool max, const float *x, const float *dy, float *dx, size_t planes,
                      int h, int w, bool acc, struct imp_threadpool *pool);

/* Instance norm over n x c planes of hw values, scale/shift per style and
 * channel ([n_styles, c]), style_of[n]. Keeps mean and 1/std per plane. */
void tk_norm_forward(const float *x, float *y, int n, int c, size_t hw, const float *gamma,
                     const float *beta, const int *style_of, float *mean, float *rstd,
                     struct imp_threadpool *pool);
/* dx (+)= ..., and dgamma, dbeta (overwritten, [n_styles, c]) through
 * per-plane partial sums part_g, part_b (n x c doubles). */
void tk_norm_backward(const float *x, const float *dy, float *dx, int n, int c, size_t hw,
                      const float *gamma, const int *style_of, const float *mean,
                      const float *rstd, bool acc, double *part_g, double *part_b,
                      float *dgamma, float *dbeta, int n_styles,
                      struct imp_threadpool *pool);

#define TK_NORM_EPS 1e-5

#endif
