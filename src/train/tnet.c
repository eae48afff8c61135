/*
 * Training networks: the layer list, its parameters, the plan (shapes,
 * which values need gradients, the arena) and the forward and backward
 * sweeps, which hand each layer to its kernels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "kernels/isa_select.h"
#include "train/tnet_priv.h"
#include "train/train_kernels.h"

#define TN_MAX_SIDE 16384

struct imp_tnet *imp_tnet_create(int channels)
{
    if (channels < 1 || channels > 4096)
        return NULL;
    struct imp_tnet *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->in_channels = channels;
    net->cap_layers = 16;
    net->layers = calloc((size_t)net->cap_layers, sizeof *net->layers);
    if (!net->layers) {
        free(net);
        return NULL;
    }
    net->layers[0] = (struct tl_layer){.kind = TL_INPUT, .in0 = -1, .in1 = -1,
                                       .channels = channels};
    net->n_layers = 1;
    return net;
}

static void release_plan(struct imp_tnet *net)
{
    for (int i = 0; i < net->n_layers; i++) {
        struct tl_layer *l = &net->layers[i];
        if (l->frozen_fwd.ready)
            frozen_conv_release(&l->frozen_fwd);
        if (l->frozen_bwd.ready)
            frozen_conv_release(&l->frozen_bwd);
        l->use_frozen_fwd = l->use_frozen_bwd = false;
    }
    imp_threadpool_free(net->pool);
    net->pool = NULL;
    imp_aligned_free(net->arena);
    net->arena = NULL;
    net->planned = false;
}

void imp_tnet_free(struct imp_tnet *net)
{
    if (!net)
        return;
    release_plan(net);
    free(net->layers);
    free(net->params);
    free(net->param_grads);
    free(net);
}

static bool valid_value(const struct imp_tnet *net, int v)
{
    return v >= 0 && v < net->n_layers;
}

/* Appends a layer with `n_params` more parameters; returns its index. */
static int add_layer(struct imp_tnet *net, struct tl_layer l, size_t n_params)
{
    if (net->n_layers == net->cap_layers) {
        struct tl_layer *nl =
            realloc(net->layers, sizeof *nl * (size_t)net->cap_layers * 2);
        if (!nl)
            return -1;
        net->layers = nl;
        net->cap_layers *= 2;
    }
    if (n_params) {
        size_t total = net->n_params + n_params;
        float *p = realloc(net->params, sizeof(float) * total);
        if (!p)
            return -1;
        net->params = p;
        float *g = realloc(net->param_grads, sizeof(float) * total);
        if (!g)
            return -1;
        net->param_grads = g;
        memset(net->params + net->n_params, 0, sizeof(float) * n_params);
        memset(net->param_grads + net->n_params, 0, sizeof(float) * n_params);
        l.w_off += net->n_params;
        l.b_off += net->n_params;
        net->n_params = total;
    }
    net->layers[net->n_layers] = l;
    net->planned = false;
    return net->n_layers++;
}

int imp_tnet_conv(struct imp_tnet *net, int x, int out_channels, int kernel, int stride,
                  int pad, bool bias)
{
    if (!net || !valid_value(net, x) || out_channels < 1 || out_channels > 4096 ||
        kernel < 1 || kernel > 15 || stride < 1 || stride > 4 || pad < 0 || pad >= kernel)
        return -1;
    int c = net->layers[x].channels;
    size_t wn = (size_t)out_channels * (size_t)c * (size_t)kernel * (size_t)kernel;
    struct tl_layer l = {.kind = TL_CONV, .in0 = x, .in1 = -1, .channels = out_channels,
                         .kernel = kernel, .stride = stride, .pad = pad, .bias = bias,
                         .w_off = 0, .w_n = wn, .b_off = wn,
                         .b_n = bias ? (size_t)out_channels : 0};
    return add_layer(net, l, wn + l.b_n);
}

int imp_tnet_norm(struct imp_tnet *net, int x, int n_styles)
{
    if (!net || !valid_value(net, x) || n_styles < 1 || n_styles > 1024)
        return -1;
    int c = net->layers[x].channels;
    size_t n = (size_t)n_styles * (size_t)c;
    struct tl_layer l = {.kind = TL_NORM, .in0 = x, .in1 = -1, .channels = c,
                         .n_styles = n_styles, .w_off = 0, .w_n = n, .b_off = n, .b_n = n};
    return add_layer(net, l, 2 * n);
}

static int add_simple(struct imp_tnet *net, enum tl_kind kind, int x, int y, int pad)
{
    if (!net || !valid_value(net, x) || (y != -1 && !valid_value(net, y)))
        return -1;
    if (kind == TL_ADD && net->layers[x].channels != net->layers[y].channels)
        return -1;
    struct tl_layer l = {.kind = kind, .in0 = x, .in1 = y,
                         .channels = net->layers[x].channels, .pad = pad};
    return add_layer(net, l, 0);
}

int imp_tnet_relu(struct imp_tnet *net, int x) { return add_simple(net, TL_RELU, x, -1, 0); }
int imp_tnet_sigmoid(struct imp_tnet *net, int x)
{
    return add_simple(net, TL_SIGMOID, x, -1, 0);
}
int imp_tnet_tanh(struct imp_tnet *net, int x) { return add_simple(net, TL_TANH, x, -1, 0); }
int imp_tnet_pad_reflect(struct imp_tnet *net, int x, int pad)
{
    return pad < 1 || pad > 64 ? -1 : add_simple(net, TL_PAD, x, -1, pad);
}
int imp_tnet_upsample2(struct imp_tnet *net, int x) { return add_simple(net, TL_UP2, x, -1, 0); }
int imp_tnet_upsample2_linear(struct imp_tnet *net, int x)
{
    int v = add_simple(net, TL_UP2, x, -1, 0);
    if (v >= 0)
        net->layers[v].linear = true;
    return v;
}
int imp_tnet_add(struct imp_tnet *net, int a, int b)
{
    return b < 0 ? -1 : add_simple(net, TL_ADD, a, b, 0);
}
int imp_tnet_maxpool2(struct imp_tnet *net, int x)
{
    return add_simple(net, TL_MAXPOOL, x, -1, 0);
}
int imp_tnet_avgpool2(struct imp_tnet *net, int x)
{
    return add_simple(net, TL_AVGPOOL, x, -1, 0);
}

int imp_tnet_value_count(const struct imp_tnet *net) { return net->n_layers; }
size_t imp_tnet_param_count(const struct imp_tnet *net) { return net->n_params; }
float *imp_tnet_params(struct imp_tnet *net) { return net->params; }
float *imp_tnet_param_grads(struct imp_tnet *net) { return net->param_grads; }

bool imp_tnet_layer_params(const struct imp_tnet *net, int value, size_t *weight_offset,
                           size_t *weight_count, size_t *bias_offset, size_t *bias_count)
{
    if (!valid_value(net, value))
        return false;
    const struct tl_layer *l = &net->layers[value];
    if (l->kind != TL_CONV && l->kind != TL_NORM)
        return false;
    *weight_offset = l->w_off;
    *weight_count = l->w_n;
    *bias_offset = l->b_off;
    *bias_count = l->b_n;
    return true;
}

void imp_tnet_init_params(struct imp_tnet *net, uint64_t seed)
{
    struct imp_rng rng = {seed};
    for (int i = 1; i < net->n_layers; i++) {
        const struct tl_layer *l = &net->layers[i];
        if (l->kind == TL_CONV) {
            double fan_in = (double)(l->w_n / (size_t)l->channels);
            double bound = sqrt(6.0 / fan_in);
            for (size_t k = 0; k < l->w_n; k++)
                net->params[l->w_off + k] =
                    (float)((2.0 * imp_rng_uniform(&rng) - 1.0) * bound);
            for (size_t k = 0; k < l->b_n; k++)
                net->params[l->b_off + k] = 0.0f;
        } else if (l->kind == TL_NORM) {
            for (size_t k = 0; k < l->w_n; k++)
                net->params[l->w_off + k] = 1.0f;
            for (size_t k = 0; k < l->b_n; k++)
                net->params[l->b_off + k] = 0.0f;
        }
    }
}

static const char *kind_name(enum tl_kind k)
{
    static const char *const names[] = {"input", "conv", "norm", "relu", "sigmoid", "tanh",
                                        "pad", "upsample", "add", "maxpool", "avgpool"};
    return names[k];
}

/* Output shape of layer i from its inputs' planned shapes. */
static enum imp_status infer_shape(struct imp_tnet *net, int i, struct imp_error *err)
{
    struct tl_layer *l = &net->layers[i];
    const struct tl_layer *x = &net->layers[l->in0];
    l->n = x->n;
    l->c = l->channels;
    l->h = x->h;
    l->w = x->w;
    switch (l->kind) {
    case TL_CONV:
        if (x->h + 2 * l->pad < l->kernel || x->w + 2 * l->pad < l->kernel)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "layer %d (conv %dx%d): input %dx%d is smaller than the kernel",
                            i, l->kernel, l->kernel, x->h, x->w);
        l->h = (x->h + 2 * l->pad - l->kernel) / l->stride + 1;
        l->w = (x->w + 2 * l->pad - l->kernel) / l->stride + 1;
        break;
    case TL_PAD:
        if (l->pad >= x->h || l->pad >= x->w)
            return imp_fail(err, IMP_ERR_SHAPE,
                            "layer %d (pad %d): reflection needs an input wider than %d, "
                            "got %dx%d", i, l->pad, l->pad, x->h, x->w);
        l->h = x->h + 2 * l->pad;
        l->w = x->w + 2 * l->pad;
        break;
    case TL_UP2:
        l->h = 2 * x->h;
        l->w = 2 * x->w;
        break;
    case TL_MAXPOOL:
    case TL_AVGPOOL:
        if (x->h < 2 || x->w < 2)
            return imp_fail(err, IMP_ERR_SHAPE, "layer %d (%s): input %dx%d is below 2x2", i,
                            kind_name(l->kind), x->h, x->w);
        l->h = x->h / 2;
        l->w = x->w / 2;
        break;
    case TL_ADD: {
        const struct tl_layer *y = &net->layers[l->in1];
        if (y->h != x->h || y->w != x->w)
            return imp_fail(err, IMP_ERR_SHAPE, "layer %d (add): %dx%d plus %dx%d", i, x->h,
                            x->w, y->h, y->w);
        break;
    }
    default:
        break;
    }
    if (l->h > TN_MAX_SIDE || l->w > TN_MAX_SIDE)
        return imp_fail(err, IMP_ERR_SHAPE, "layer %d (%s): output %dx%d is too large", i,
                        kind_name(l->kind), l->h, l->w);
    return IMP_OK;
}

static size_t value_floats(const struct tl_layer *l)
{
    return (size_t)l->n * (size_t)l->c * (size_t)l->h * (size_t)l->w;
}

/* The arena is laid out twice: once to count (base NULL), once to carve. */
struct carver {
    char *base;
    size_t used;
};

static void *carve(struct carver *cv, size_t bytes)
{
    size_t at = cv->used;
    cv->used += (bytes + 63) & ~(size_t)63;
    return cv->base ? cv->base + at : NULL;
}

static bool grad_of_input_needed(const struct imp_tnet *net, int v)
{
    return v == 0 ? net->opt.input_grad : net->layers[v].needs_grad;
}

/* Convolution weights that do not change during training: the whole
 * network frozen (a loss network), or only its convolutions (new styles
 * learnt in the norms alone). */
static bool convs_frozen(const struct imp_tnet *net)
{
    return net->opt.frozen || net->opt.frozen_convs;
}

static void lay_out(struct imp_tnet *net, struct carver *cv)
{
    const int threads = net->opt.threads;
    size_t conv_scratch = 0, tmp = 0, engine = 0;
    for (int i = 0; i < net->n_layers; i++) {
        struct tl_layer *l = &net->layers[i];
        l->act = carve(cv, sizeof(float) * value_floats(l));
        l->grad = l->needs_grad || (i == 0 && net->opt.input_grad)
                      ? carve(cv, sizeof(float) * value_floats(l))
                      : NULL;
        if (l->kind == TL_NORM) {
            size_t planes = (size_t)l->n * (size_t)l->c;
            l->mean = carve(cv, sizeof(float) * planes);
            l->rstd = carve(cv, sizeof(float) * planes);
            l->part_g = carve(cv, sizeof(double) * planes);
            l->part_b = carve(cv, sizeof(double) * planes);
        }
        if (l->kind != TL_CONV)
            continue;
        bool dx = grad_of_input_needed(net, l->in0);
        if (!convs_frozen(net)) {
            if (!l->use_frozen_fwd)
                l->packed_w =
                    carve(cv, sizeof(float) * tconv_packed_w_floats(net->uk, &l->fwd_geom));
            if (l->use_frozen_bwd)
                l->wt = carve(cv, sizeof(float) * l->w_n);
            /* the weight gradient's, and im2col's */
            size_t s = tconv_scratch_floats(net->uk, &l->fwd_geom);
            conv_scratch = s > conv_scratch ? s : conv_scratch;
        }
        if (dx && !l->use_frozen_bwd) {
            l->packed_wt = carve(cv, sizeof(float) * tconv_packed_w_floats(net->uk, &l->bwd_geom));
            size_t s = tconv_scratch_floats(net->uk, &l->bwd_geom);
            conv_scratch = s > conv_scratch ? s : conv_scratch;
        }
        if (dx && (l->acc0)) {
            size_t s = value_floats(&net->layers[l->in0]);
            tmp = s > tmp ? s : tmp;
        }
        if (l->use_frozen_fwd && l->frozen_fwd.scratch_bytes > engine)
            engine = l->frozen_fwd.scratch_bytes;
        if (l->use_frozen_bwd && l->frozen_bwd.scratch_bytes > engine)
            engine = l->frozen_bwd.scratch_bytes;
    }
    net->style_of = carve(cv, sizeof(int) * (size_t)net->opt.batch);
    net->conv_scratch_floats = conv_scratch;
    net->conv_scratch = carve(cv, sizeof(float) * conv_scratch * (size_t)threads);
    net->engine_scratch = carve(cv, engine);
    net->tmp_grad = carve(cv, sizeof(float) * tmp);
}

/* The data gradient's weights: w [M, C, k, k] flipped in space, with its
 * channel axes swapped: [C, M, k, k]. */
static void flip_transpose(const float *w, int m_n, int c_n, int kk, float *wt)
{
    for (int m = 0; m < m_n; m++)
        for (int c = 0; c < c_n; c++)
            for (int t = 0; t < kk; t++)
                wt[((size_t)c * (size_t)m_n + (size_t)m) * (size_t)kk + (size_t)t] =
                    w[((size_t)m * (size_t)c_n + (size_t)c) * (size_t)kk + (size_t)(kk - 1 - t)];
}

/* Convolutions on the runtime's engines: in a frozen net every conv, its
 * forward pass and (stride 1) its data gradient, a conv with the flipped
 * weights; in a trainable net the stride-1 ones that a Winograd engine
 * takes (3x3; 9x9 by nested Winograd), both ways, their weights replaced
 * at each pass. The others stay on im2col (train_conv.c). */
static enum imp_status prepare_engine_convs(struct imp_tnet *net, int i, struct imp_error *err)
{
    struct tl_layer *l = &net->layers[i];
    const struct tl_layer *x = &net->layers[l->in0];
    const bool trainable = !convs_frozen(net);
    if (trainable && l->stride != 1)
        return IMP_OK;
    const float *w = net->params + l->w_off;
    enum imp_status st = frozen_conv_init(&l->frozen_fwd, x->n, x->c, x->h, x->w, l->c,
                                          l->kernel, l->stride, l->pad, w,
                                          l->bias ? net->params + l->b_off : NULL, trainable,
                                          net->opt.max_isa, net->pool, err);
    if (trainable && st == IMP_ERR_UNSUPPORTED)
        return IMP_OK; /* e.g. too few channels for Winograd: im2col */
    if (st != IMP_OK)
        return st;
    l->use_frozen_fwd = true;
    if (!grad_of_input_needed(net, l->in0) || l->stride != 1)
        return IMP_OK;
    const int k = l->kernel;
    float *wt = malloc(sizeof(float) * l->w_n);
    if (!wt)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    flip_transpose(w, l->c, x->c, k * k, wt);
    st = frozen_conv_init(&l->frozen_bwd, l->n, l->c, l->h, l->w, x->c, k, 1,
                          k - 1 - l->pad, wt, NULL, trainable, net->opt.max_isa, net->pool,
                          err);
    free(wt);
    if (trainable && st == IMP_ERR_UNSUPPORTED)
        return IMP_OK;
    if (st != IMP_OK)
        return st;
    l->use_frozen_bwd = true;
    return IMP_OK;
}

enum imp_status imp_tnet_plan(struct imp_tnet *net, const struct imp_tnet_plan_options *o,
                              struct imp_error *err)
{
    if (!net || !o)
        return imp_fail(err, IMP_ERR_ARGUMENT, "plan: no network or options");
    release_plan(net);
    if (o->batch < 1 || o->batch > 4096 || o->height < 1 || o->width < 1 ||
        o->height > TN_MAX_SIDE || o->width > TN_MAX_SIDE || o->threads < 1 ||
        o->threads > 256)
        return imp_fail(err, IMP_ERR_ARGUMENT,
                        "plan: batch %d of %dx%d with %d threads is out of range", o->batch,
                        o->height, o->width, o->threads);
    net->opt = *o;
    net->opt.seeds = NULL;
    net->opt.n_seeds = 0;
    net->opt.max_isa = imp_isa_usable(net->opt.max_isa);
    net->uk = imp_gemm_ukernel_for(net->opt.max_isa);
    struct tl_layer *in = &net->layers[0];
    in->n = o->batch;
    in->c = net->in_channels;
    in->h = o->height;
    in->w = o->width;
    enum imp_status st = IMP_OK;
    for (int i = 1; i < net->n_layers && st == IMP_OK; i++)
        st = infer_shape(net, i, err);
    if (st != IMP_OK)
        return st;

    /* Which values need a gradient, and who writes each first (layers
     * run backwards, so the last reader writes and earlier ones add). */
    for (int i = 0; i < net->n_layers; i++)
        net->layers[i].seeded = net->layers[i].needs_grad = false;
    for (int s = 0; s < o->n_seeds; s++) {
        if (!o->seeds || !valid_value(net, o->seeds[s]))
            return imp_fail(err, IMP_ERR_ARGUMENT, "plan: seed %d is not a value", s);
        net->layers[o->seeds[s]].seeded = net->layers[o->seeds[s]].needs_grad = true;
    }
    for (int i = net->n_layers - 1; i >= 1; i--) {
        const struct tl_layer *l = &net->layers[i];
        if (!l->needs_grad)
            continue;
        net->layers[l->in0].needs_grad = true;
        if (l->in1 >= 0)
            net->layers[l->in1].needs_grad = true;
    }
    net->layers[0].needs_grad = false;
    /* A gradient that reaches no parameter and not the asked-for input
     * gradient is never used: e.g. that of the student's padded input,
     * whose 9x9 data gradient would cost a tenth of the student's step. */
    bool *useful = calloc((size_t)(unsigned)net->n_layers, sizeof *useful);
    if (!useful)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    useful[0] = o->input_grad;
    for (int i = 1; i < net->n_layers; i++) {
        struct tl_layer *l = &net->layers[i];
        bool trains = !o->frozen && ((l->kind == TL_CONV && !o->frozen_convs) ||
                                     l->kind == TL_NORM);
        useful[i] = trains || useful[l->in0] || (l->in1 >= 0 && useful[l->in1]);
        /* (a seed keeps its buffer: the caller writes it) */
        l->needs_grad = l->seeded || (l->needs_grad && useful[i]);
    }
    free(useful);
    bool *written = calloc((size_t)(unsigned)net->n_layers, sizeof *written);
    if (!written)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < net->n_layers; i++)
        written[i] = net->layers[i].seeded;
    for (int i = net->n_layers - 1; i >= 1; i--) {
        struct tl_layer *l = &net->layers[i];
        l->acc0 = l->acc1 = false;
        if (!l->needs_grad)
            continue;
        l->acc0 = written[l->in0];
        written[l->in0] = true;
        if (l->in1 >= 0) {
            l->acc1 = written[l->in1];
            written[l->in1] = true;
        }
    }
    free(written);

    net->pool = imp_threadpool_create(o->threads);
    if (o->threads > 1 && !net->pool)
        return imp_fail(err, IMP_ERR_NOMEM, "cannot start %d threads", o->threads);
    for (int i = 1; i < net->n_layers; i++) {
        struct tl_layer *l = &net->layers[i];
        if (l->kind != TL_CONV)
            continue;
        const struct tl_layer *x = &net->layers[l->in0];
        l->fwd_geom = (struct tconv_geom){
            .n = x->n, .c = x->c, .h = x->h, .w = x->w, .m = l->c, .oh = l->h, .ow = l->w,
            .k = l->kernel, .stride = l->stride, .dilate = 1, .pad_t = l->pad,
            .pad_l = l->pad};
        l->bwd_geom = (struct tconv_geom){
            .n = l->n, .c = l->c, .h = l->h, .w = l->w, .m = x->c, .oh = x->h, .ow = x->w,
            .k = l->kernel, .stride = 1, .dilate = l->stride,
            .pad_t = l->kernel - 1 - l->pad, .pad_l = l->kernel - 1 - l->pad};
        st = prepare_engine_convs(net, i, err);
        if (st != IMP_OK) {
            imp_error_prefix(err, "layer %d (conv)", i);
            release_plan(net);
            return st;
        }
    }
    struct carver count = {NULL, 0};
    lay_out(net, &count);
    net->arena = imp_aligned_alloc(count.used);
    if (!net->arena) {
        release_plan(net);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory for a %.1f MiB training arena",
                        (double)count.used / (1024.0 * 1024.0));
    }
    /* Touch every page now, so the first step does not pay for them. */
    memset(net->arena, 0, count.used);
    struct carver cv = {net->arena, 0};
    lay_out(net, &cv);
    memset(net->style_of, 0, sizeof(int) * (size_t)o->batch);
    /* Frozen weights never change: pack the strided data gradients once. */
    if (o->frozen || o->frozen_convs)
        for (int i = 1; i < net->n_layers; i++) {
            struct tl_layer *l = &net->layers[i];
            if (l->packed_wt)
                tconv_pack_weights(net->uk, &l->bwd_geom, net->params + l->w_off, true,
                                   l->packed_wt);
        }
    net->planned = true;
    return IMP_OK;
}

void imp_tnet_value_shape(const struct imp_tnet *net, int value, int dims[4])
{
    const struct tl_layer *l = &net->layers[value];
    dims[0] = l->n;
    dims[1] = l->c;
    dims[2] = l->h;
    dims[3] = l->w;
}

float *imp_tnet_value(struct imp_tnet *net, int value)
{
    return net->planned && valid_value(net, value) ? net->layers[value].act : NULL;
}

float *imp_tnet_grad(struct imp_tnet *net, int value)
{
    return net->planned && valid_value(net, value) ? net->layers[value].grad : NULL;
}

enum imp_status imp_tnet_set_styles(struct imp_tnet *net, const int *style_of_sample,
                                    struct imp_error *err)
{
    if (!net->planned)
        return imp_fail(err, IMP_ERR_ARGUMENT, "set_styles: the network is not planned");
    int max_styles = 1 << 30;
    for (int i = 1; i < net->n_layers; i++)
        if (net->layers[i].kind == TL_NORM && net->layers[i].n_styles < max_styles)
            max_styles = net->layers[i].n_styles;
    for (int n = 0; n < net->opt.batch; n++)
        if (style_of_sample[n] < 0 || style_of_sample[n] >= max_styles)
            return imp_fail(err, IMP_ERR_ARGUMENT,
                            "set_styles: sample %d has style %d; the network has %d", n,
                            style_of_sample[n], max_styles);
    memcpy(net->style_of, style_of_sample, sizeof(int) * (size_t)net->opt.batch);
    return IMP_OK;
}

static void conv_forward(struct imp_tnet *net, struct tl_layer *l)
{
    const float *x = net->layers[l->in0].act;
    if (l->use_frozen_fwd) {
        if (!convs_frozen(net))
            frozen_conv_set_weights(&l->frozen_fwd, net->params + l->w_off,
                                    l->bias ? net->params + l->b_off : NULL);
        frozen_conv_run(&l->frozen_fwd, x, l->act, net->engine_scratch, net->opt.max_isa,
                        net->pool);
        return;
    }
    tconv_pack_weights(net->uk, &l->fwd_geom, net->params + l->w_off, false, l->packed_w);
    tconv_forward(&l->fwd_geom, net->uk, l->packed_w, l->bias ? net->params + l->b_off : NULL,
                  x, l->act, net->conv_scratch, net->conv_scratch_floats, net->pool);
}

void imp_tnet_forward(struct imp_tnet *net, const float *input, int last_value)
{
    if (!net->planned)
        return;
    if (last_value < 0 || last_value >= net->n_layers)
        last_value = net->n_layers - 1;
    memcpy(net->layers[0].act, input, sizeof(float) * value_floats(&net->layers[0]));
    for (int i = 1; i <= last_value; i++) {
        struct tl_layer *l = &net->layers[i];
        const struct tl_layer *x = &net->layers[l->in0];
        size_t n = value_floats(l), planes = (size_t)x->n * (size_t)x->c;
        switch (l->kind) {
        case TL_CONV:
            conv_forward(net, l);
            break;
        case TL_NORM:
            tk_norm_forward(x->act, l->act, l->n, l->c, (size_t)l->h * (size_t)l->w,
                            net->params + l->w_off, net->params + l->b_off, net->style_of,
                            l->mean, l->rstd, net->pool);
            break;
        case TL_RELU:
            tk_act_forward(TK_RELU, x->act, l->act, n, net->pool);
            break;
        case TL_SIGMOID:
            tk_act_forward(TK_SIGMOID, x->act, l->act, n, net->pool);
            break;
        case TL_TANH:
            tk_act_forward(TK_TANH, x->act, l->act, n, net->pool);
            break;
        case TL_PAD:
            tk_pad_forward(x->act, l->act, planes, x->h, x->w, l->pad, net->pool);
            break;
        case TL_UP2:
            tk_up2_forward(x->act, l->act, planes, x->h, x->w, l->linear, net->opt.max_isa,
                           net->pool);
            break;
        case TL_ADD:
            tk_add_forward(x->act, net->layers[l->in1].act, l->act, n, net->pool);
            break;
        case TL_MAXPOOL:
        case TL_AVGPOOL:
            tk_pool_forward(l->kind == TL_MAXPOOL, x->act, l->act, planes, x->h, x->w,
                            net->pool);
            break;
        case TL_INPUT:
            break;
        }
    }
}

static void conv_backward(struct imp_tnet *net, struct tl_layer *l)
{
    struct tl_layer *x = &net->layers[l->in0];
    if (!convs_frozen(net))
        tconv_weight_grad(&l->fwd_geom, net->uk, x->act, l->grad,
                          net->param_grads + l->w_off,
                          l->bias ? net->param_grads + l->b_off : NULL, net->conv_scratch,
                          net->conv_scratch_floats, net->pool);
    if (!x->grad)
        return;
    float *dst = l->acc0 ? net->tmp_grad : x->grad;
    if (l->use_frozen_bwd) {
        if (!convs_frozen(net)) {
            flip_transpose(net->params + l->w_off, l->c, x->c, l->kernel * l->kernel, l->wt);
            frozen_conv_set_weights(&l->frozen_bwd, l->wt, NULL);
        }
        frozen_conv_run(&l->frozen_bwd, l->grad, dst, net->engine_scratch, net->opt.max_isa,
                        net->pool);
    } else {
        if (!convs_frozen(net))
            tconv_pack_weights(net->uk, &l->bwd_geom, net->params + l->w_off, true,
                               l->packed_wt);
        tconv_forward(&l->bwd_geom, net->uk, l->packed_wt, NULL, l->grad, dst,
                      net->conv_scratch, net->conv_scratch_floats, net->pool);
    }
    if (l->acc0) {
        size_t n = value_floats(x);
        for (size_t i = 0; i < n; i++)
            x->grad[i] += net->tmp_grad[i];
    }
}

void imp_tnet_backward(struct imp_tnet *net)
{
    if (!net->planned)
        return;
    if (!net->opt.frozen && net->n_params)
        memset(net->param_grads, 0, sizeof(float) * net->n_params);
    for (int i = net->n_layers - 1; i >= 1; i--) {
        struct tl_layer *l = &net->layers[i];
        if (!l->needs_grad)
            continue;
        struct tl_layer *x = &net->layers[l->in0];
        size_t n = value_floats(l), planes = (size_t)x->n * (size_t)x->c;
        if (l->kind == TL_CONV) {
            conv_backward(net, l);
            continue;
        }
        if (l->kind == TL_NORM) {
            bool params = !net->opt.frozen;
            /* Without an input gradient (the network's input) the kernel
             * still runs for the parameters' sums and writes its dx over
             * this layer's own gradient, which nothing reads after. */
            float *dx = x->grad;
            if (!dx && !params)
                continue;
            tk_norm_backward(x->act, l->grad, dx ? dx : l->grad, l->n, l->c,
                             (size_t)l->h * (size_t)l->w, net->params + l->w_off,
                             net->style_of, l->mean, l->rstd, dx ? l->acc0 : false,
                             l->part_g, l->part_b,
                             params ? net->param_grads + l->w_off : NULL,
                             params ? net->param_grads + l->b_off : NULL, l->n_styles,
                             net->pool);
            continue;
        }
        if (!x->grad && (l->kind != TL_ADD || !net->layers[l->in1].grad))
            continue;
        switch (l->kind) {
        case TL_RELU:
            tk_act_backward(TK_RELU, l->act, l->grad, x->grad, n, l->acc0, net->pool);
            break;
        case TL_SIGMOID:
            tk_act_backward(TK_SIGMOID, l->act, l->grad, x->grad, n, l->acc0, net->pool);
            break;
        case TL_TANH:
            tk_act_backward(TK_TANH, l->act, l->grad, x->grad, n, l->acc0, net->pool);
            break;
        case TL_PAD:
            tk_pad_backward(l->grad, x->grad, planes, x->h, x->w, l->pad, l->acc0, net->pool);
            break;
        case TL_UP2:
            tk_up2_backward(l->grad, x->grad, planes, x->h, x->w, l->linear, l->acc0,
                            net->pool);
            break;
        case TL_ADD:
            if (x->grad)
                tk_pass_backward(l->grad, x->grad, n, l->acc0, net->pool);
            if (net->layers[l->in1].grad)
                tk_pass_backward(l->grad, net->layers[l->in1].grad, n, l->acc1, net->pool);
            break;
        case TL_MAXPOOL:
        case TL_AVGPOOL:
            tk_pool_backward(l->kind == TL_MAXPOOL, x->act, l->grad, x->grad, planes, x->h,
                             x->w, l->acc0, net->pool);
            break;
        default:
            break;
        }
    }
}
