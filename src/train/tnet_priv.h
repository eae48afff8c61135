/* The insides of a training network: its layers, their plans, the arena. */
#ifndef IMP_TNET_PRIV_H
#define IMP_TNET_PRIV_H

#include "impasto_train.h"
#include "kernels/gemm.h"
#include "train/frozen_conv.h"
#include "train/train_conv.h"

enum tl_kind {
    TL_INPUT,
    TL_CONV,
    TL_NORM,
    TL_RELU,
    TL_SIGMOID,
    TL_TANH,
    TL_PAD,
    TL_UP2,
    TL_ADD,
    TL_MAXPOOL,
    TL_AVGPOOL,
};

struct tl_layer {
    enum tl_kind kind;
    int in0, in1;          /* values read (-1: none)              */
    int channels;          /* output channels (conv)              */
    int kernel, stride, pad;
    int n_styles;          /* norm                                */
    bool linear;           /* up2: bilinear, else nearest         */
    bool bias;
    size_t w_off, w_n, b_off, b_n; /* in the parameter array      */

    /* planned */
    int n, c, h, w;        /* output shape                        */
    float *act, *grad;     /* activation; gradient or NULL        */
    bool acc0, acc1;       /* add into in0's / in1's gradient (a later
                              reader of it already wrote it)       */
    bool seeded;
    bool needs_grad;
    /* conv */
    struct tconv_geom fwd_geom, bwd_geom; /* forward; data gradient */
    float *packed_w;       /* forward weights, packed (trainable) */
    float *packed_wt;      /* flipped and transposed, packed      */
    float *wt;             /* flipped and transposed (trainable, engine) */
    struct frozen_conv frozen_fwd, frozen_bwd;
    bool use_frozen_fwd, use_frozen_bwd;
    /* norm: per plane mean and 1/std, and per-plane partial sums */
    float *mean, *rstd;
    double *part_g, *part_b;
};

struct imp_tnet {
    int in_channels;
    struct tl_layer *layers; /* value i is written by layers[i] */
    int n_layers, cap_layers;
    size_t n_params;
    float *params, *param_grads;

    /* planned */
    bool planned;
    struct imp_tnet_plan_options opt;
    int *style_of;           /* batch entries */
    struct imp_threadpool *pool;
    const struct imp_gemm_ukernel *uk;
    void *arena;             /* activations, gradients, packed weights */
    float *conv_scratch;     /* per thread, train_conv's need            */
    size_t conv_scratch_floats;
    void *engine_scratch;    /* the runtime engines' scratch (frozen)    */
    float *tmp_grad;         /* a conv's data gradient before it is added */
};

#endif
