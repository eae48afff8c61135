/*
 * The reference twins of the training kernels: plain loops in double
 * precision, written for obviousness. Tests check them against finite
 * differences and the fast kernels against them.
 */
#ifndef IMP_TRAIN_REFERENCE_H
#define IMP_TRAIN_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "train/train_conv.h"
#include "train/train_kernels.h"

/* Convolution with g->dilate == 1; b may be NULL. */
void tref_conv_forward(const struct tconv_geom *g, const double *x, const double *w,
                       const double *b, double *y);
/* dx, dw, db (each may be NULL) overwritten. */
void tref_conv_backward(const struct tconv_geom *g, const double *x, const double *w,
                        const double *dy, double *dx, double *dw, double *db);

void tref_norm_forward(const double *x, double *y, int n, int c, size_t hw,
                       const double *gamma, const double *beta, const int *style_of);
void tref_norm_backward(const double *x, const double *dy, double *dx, int n, int c,
                        size_t hw, const double *gamma, const int *style_of, int n_styles,
                        double *dgamma, double *dbeta);

void tref_act_forward(enum tk_act a, const double *x, double *y, size_t n);
/* From the input x. */
void tref_act_backward(enum tk_act a, const double *x, const double *dy, double *dx, size_t n);

void tref_pad_forward(const double *x, double *y, size_t planes, int h, int w, int p);
void tref_pad_backward(const double *dy, double *dx, size_t planes, int h, int w, int p);
void tref_up2_forward(const double *x, double *y, size_t planes, int h, int w, bool linear);
void tref_up2_backward(const double *dy, double *dx, size_t planes, int h, int w,
                       bool linear);
void tref_pool_forward(bool max, const double *x, double *y, size_t planes, int h, int w);
void tref_pool_backward(bool max, const double *x, const double *dy, double *dx,
                        size_t planes, int h, int w);

#endif
