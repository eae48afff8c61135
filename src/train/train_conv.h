/*
 * Convolution for training, where the weights change every step: im2col
 * fused into the packing of the GEMM's B panels, and the runtime's packed
 * GEMM microkernels (kernels/gemm.h) for the products.
 *
 * The same routine serves the forward pass and the data gradient: the
 * data gradient of a convolution is a stride-1 convolution of the output
 * gradient, dilated by the stride, with the weights flipped and input and
 * output channels swapped. The weight gradient is one GEMM per block of
 * output pixels, dW += dY * col^T.
 *
 * Work splits into items that each own their outputs and sum in a fixed
 * order, so results do not depend on the threads.
 */
#ifndef IMP_TRAIN_CONV_H
#define IMP_TRAIN_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/gemm.h"

struct imp_threadpool;

struct tconv_geom {
    int n, c, h, w;   /* input                                        */
    int m, oh, ow;    /* output channels and size                     */
    int k, stride;    /* square kernel; stride over the dilated input  */
    int dilate;       /* input dilation: 1, or a stride for a data gradient */
    int pad_t, pad_l; /* zeros before the (dilated) input; the far side is
                         whatever oh/ow leave */
};

/* Floats of one packed weight matrix [M x C*k*k]. */
size_t tconv_packed_w_floats(const struct imp_gemm_ukernel *uk, const struct tconv_geom *g);
/* Packs w [M, C, k, k] for g (M = g->m, C = g->c). With `flipped`, w is
 * the forward layer's [C, M, k, k] and is packed flipped in space with its
 * two channel axes swapped: the data gradient's weights. */
void tconv_pack_weights(const struct imp_gemm_ukernel *uk, const struct tconv_geom *g,
                        const float *w, bool flipped, float *packed);
/* Scratch floats each thread needs for forward and weight gradient. */
size_t tconv_scratch_floats(const struct imp_gemm_ukernel *uk, const struct tconv_geom *g);

/* y [N, M, OH, OW] = conv(x) + bias (bias may be NULL). */
void tconv_forward(const struct tconv_geom *g, const struct imp_gemm_ukernel *uk,
                   const float *packed_w, const float *bias, const float *x, float *y,
                   float *scratch, size_t scratch_per_thread, struct imp_threadpool *pool);
/* dw [M, C, k, k] = sum over the batch of dy * col(x)^T; db [M] = sum of
 * dy (db may be NULL). Both overwritten. */
void tconv_weight_grad(const struct tconv_geom *g, const struct imp_gemm_ukernel *uk,
                       const float *x, const float *dy, float *dw, float *db, float *scratch,
                       size_t scratch_per_thread, struct imp_threadpool *pool);

#endif
