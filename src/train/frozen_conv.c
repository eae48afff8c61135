#include "train/frozen_conv.h"

#include <string.h>

#include "core/error.h"
#include "ops/conv/conv_engines.h"
#include "ops/op.h"

enum imp_status frozen_conv_init(struct frozen_conv *fc, int n, int c, int h, int w, int m,
                                 int k, int stride, int pad, const float *weights,
                                 const float *bias, bool trainable, enum imp_isa isa,
                                 struct imp_threadpool *pool, struct imp_error *err)
{
    memset(fc, 0, sizeof *fc);
    imp_graph_init(&fc->g);
    int64_t xd[4] = {n, c, h, w}, wd[4] = {m, c, k, k}, bd[1] = {m};
    int64_t oh = ((int64_t)h + 2 * pad - k) / stride + 1;
    int64_t ow = ((int64_t)w + 2 * pad - k) / stride + 1;
    int64_t yd[4] = {n, m, oh, ow};
    struct imp_shape xs = imp_shape_make(4, xd), ws = imp_shape_make(4, wd),
                     bs = imp_shape_make(1, bd), ys = imp_shape_make(4, yd);
    int vx = imp_graph_add_value(&fc->g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    int vw = imp_graph_add_const(&fc->g, "w", IMP_DTYPE_F32, &ws, weights);
    int vb = bias ? imp_graph_add_const(&fc->g, "b", IMP_DTYPE_F32, &bs, bias) : -2;
    int vy = imp_graph_add_value(&fc->g, "y", IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, &ys);
    int ins[3] = {vx, vw, vb};
    fc->n_in = bias ? 3 : 2;
    int node = vx < 0 || vw < 0 || vb == -1 || vy < 0
                   ? -1
                   : imp_graph_add_node(&fc->g, IMP_OP_CONV, "conv", fc->n_in, ins, 1, &vy);
    int64_t p4[4] = {pad, pad, pad, pad}, s2[2] = {stride, stride};
    if (node < 0 || imp_node_set_ints(&fc->g, node, "pads", p4, 4) != IMP_OK ||
        imp_node_set_ints(&fc->g, node, "strides", s2, 2) != IMP_OK) {
        frozen_conv_release(fc);
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory building a convolution");
    }
    fc->x = (struct imp_tensor){IMP_DTYPE_F32, xs, NULL};
    fc->w = (struct imp_tensor){IMP_DTYPE_F32, ws, fc->g.values[vw].data};
    if (bias)
        fc->b = (struct imp_tensor){IMP_DTYPE_F32, bs, fc->g.values[vb].data};
    fc->y = (struct imp_tensor){IMP_DTYPE_F32, ys, NULL};
    const struct imp_tensor *in[3] = {&fc->x, &fc->w, &fc->b};
    struct imp_tensor *out[1] = {&fc->y};
    struct imp_kernel_args a = {
        .node = &fc->g.nodes[node], .in = in, .n_in = fc->n_in, .out = out, .n_out = 1,
        .pool = pool, .isa = isa,
    };
    const struct imp_op_def *def = imp_op_get(IMP_OP_CONV);
    for (int i = 0; def->engines[i]; i++) {
        const struct imp_engine *e = def->engines[i];
        if (trainable && e != &imp_conv_winograd_engine && e != &imp_conv_wide_engine)
            continue;
        if (e->supports && !e->supports(&a))
            continue;
        fc->engine = e;
        break;
    }
    if (!fc->engine) {
        frozen_conv_release(fc);
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "no convolution engine takes %dx%d", k, k);
    }
    if (fc->engine->prepare) {
        enum imp_status st = fc->engine->prepare(&a, &fc->state, &fc->scratch_bytes, err);
        if (st != IMP_OK) {
            frozen_conv_release(fc);
            return st;
        }
    }
    fc->ready = true;
    return IMP_OK;
}

void frozen_conv_set_weights(struct frozen_conv *fc, const float *weights, const float *bias)
{
    if (fc->engine == &imp_conv_wide_engine)
        imp_conv_wide_set_weights(fc->state, weights, bias);
    else
        imp_conv_winograd_set_weights(fc->state, weights, bias);
}

const char *frozen_conv_engine_name(const struct frozen_conv *fc)
{
    return fc->engine ? fc->engine->name : "none";
}

void frozen_conv_run(struct frozen_conv *fc, const float *x, float *y, void *scratch,
                     enum imp_isa isa, struct imp_threadpool *pool)
{
    struct imp_tensor xt = fc->x, yt = fc->y;
    xt.data = (void *)x;
    yt.data = y;
    const struct imp_tensor *in[3] = {&xt, &fc->w, &fc->b};
    struct imp_tensor *out[1] = {&yt};
    struct imp_kernel_args a = {
        .node = &fc->g.nodes[0], .in = in, .n_in = fc->n_in, .out = out, .n_out = 1,
        .state = fc->state, .scratch = scratch, .pool = pool, .isa = isa,
    };
    fc->engine->run(&a);
}

void frozen_conv_release(struct frozen_conv *fc)
{
    if (fc->engine && fc->engine->release && fc->state)
        fc->engine->release(fc->state);
    imp_graph_release(&fc->g);
    memset(fc, 0, sizeof *fc);
}
