/* DepthToSpace (ONNX opset 1/11/13): moves blocks of channels into b x b
 * spatial blocks of an NCHW tensor. With C' = C / (b*b):
 *   DCR (default): y[n, c, h*b + i, w*b + j] = x[n, (i*b + j)*C' + c, h, w]
 *   CRD:           y[n, c, h*b + i, w*b + j] = x[n, (c*b + i)*b + j, h, w]
 * The sub-pixel pass (src/passes/subpixel.c) ends every decomposed
 * upsampling layer with one, so the 4-byte engine is a row interleave that
 * writes each output row once, front to back. */
#include <string.h>

#include "core/threadpool.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

/* Far above any real block size; keeps the dim products exact. */
#define D2S_MAX_BLOCK 4096

struct d2s_geom {
    int64_t n, c, h, w, b; /* c: output channels */
    bool crd;
};

static enum imp_status d2s_geometry(const struct imp_node *node,
                                    const struct imp_tensor *x, struct d2s_geom *g,
                                    struct imp_error *err)
{
    if (x->shape.rank != 4)
        return imp_fail(err, IMP_ERR_SHAPE, "input must be NCHW (rank 4), not rank %d",
                        x->shape.rank);
    int64_t b = imp_node_int(node, "blocksize", 0);
    if (b < 1 || b > D2S_MAX_BLOCK)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "blocksize %lld must be in [1, %d]", (long long)b, D2S_MAX_BLOCK);
    const char *mode = imp_node_string(node, "mode", "DCR");
    if (strcmp(mode, "DCR") == 0)
        g->crd = false;
    else if (strcmp(mode, "CRD") == 0)
        g->crd = true;
    else
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "unknown mode '%s' (DCR, CRD)", mode);
    const int64_t *d = x->shape.d;
    for (int i = 0; i < 4; i++)
        if (d[i] < 0)
            return imp_fail(err, IMP_ERR_SHAPE, "dim %d is open", i);
    if (d[1] % (b * b) != 0)
        return imp_fail(err, IMP_ERR_SHAPE,
                        "%lld channels do not split into blocks of %lld x %lld",
                        (long long)d[1], (long long)b, (long long)b);
    g->n = d[0];
    g->c = d[1] / (b * b);
    g->h = d[2];
    g->w = d[3];
    g->b = b;
    return IMP_OK;
}

static enum imp_status d2s_infer(struct imp_infer_ctx *c)
{
    enum imp_status st = imp_need_inputs(c, 0, 0);
    if (st != IMP_OK)
        return st;
    IMP_CHECK(c, c->n_in == 1 && c->n_out == 1, IMP_ERR_FORMAT,
              "DepthToSpace has %d inputs and %d outputs; 1 and 1 expected", c->n_in,
              c->n_out);
    struct d2s_geom g = {0};
    st = d2s_geometry(c->node, c->in[0], &g, c->err);
    if (st != IMP_OK)
        return st;
    IMP_CHECK(c, g.h <= INT64_MAX / g.b && g.w <= INT64_MAX / g.b, IMP_ERR_SHAPE,
              "output would be absurdly large");
    c->out[0].dtype = c->in[0]->dtype;
    c->out[0].shape = (struct imp_shape){.rank = 4, .d = {g.n, g.c, g.h * g.b, g.w * g.b}};
    return imp_check_out_shape(&c->out[0].shape, c->err);
}

/* Input channel holding output channel c's block position (i, j). */
static inline int64_t d2s_source(const struct d2s_geom *g, int64_t c, int64_t i,
                                 int64_t j)
{
    return g->crd ? (c * g->b + i) * g->b + j : (i * g->b + j) * g->c + c;
}

/* Reference: one element at a time, any dtype. */
static void d2s_ref_run(const struct imp_kernel_args *a)
{
    struct d2s_geom g = {0};
    if (d2s_geometry(a->node, a->in[0], &g, NULL) != IMP_OK)
        return; /* infer already accepted these shapes */
    const size_t es = imp_dtype_size(a->in[0]->dtype);
    const unsigned char *x = a->in[0]->data;
    unsigned char *y = a->out[0]->data;
    const int64_t cin = g.c * g.b * g.b, ow = g.w * g.b, oh = g.h * g.b;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++)
            for (int64_t r = 0; r < oh; r++)
                for (int64_t s = 0; s < ow; s++) {
                    int64_t src = ((n * cin + d2s_source(&g, c, r % g.b, s % g.b)) * g.h +
                                   r / g.b) * g.w + s / g.b;
                    int64_t dst = ((n * g.c + c) * oh + r) * ow + s;
                    memcpy(y + (size_t)dst * es, x + (size_t)src * es, es);
                }
}

struct d2s_task {
    struct d2s_geom g;
    const uint32_t *x;
    uint32_t *y;
};

/* Items are output rows (n, c, h*b + i): each interleaves b input rows. */
static void d2s_rows(void *ctx, size_t begin, size_t end, int thread)
{
    (void)thread;
    const struct d2s_task *t = ctx;
    const struct d2s_geom *g = &t->g;
    const int64_t b = g->b, w = g->w, oh = g->h * b, ow = w * b;
    const int64_t plane = g->h * w, cin = g->c * b * b;
    for (size_t row = begin; row < end; row++) {
        int64_t r = (int64_t)row % oh, nc = (int64_t)row / oh;
        int64_t n = nc / g->c, c = nc % g->c, h = r / b, i = r % b;
        uint32_t *y = t->y + (int64_t)row * ow;
        const uint32_t *x = t->x + n * cin * plane + h * w;
        if (b == 2) {
            const uint32_t *x0 = x + d2s_source(g, c, i, 0) * plane;
            const uint32_t *x1 = x + d2s_source(g, c, i, 1) * plane;
            for (int64_t k = 0; k < w; k++) {
                y[2 * k] = x0[k];
                y[2 * k + 1] = x1[k];
            }
            continue;
        }
        for (int64_t j = 0; j < b; j++) {
            const uint32_t *xs = x + d2s_source(g, c, i, j) * plane;
            for (int64_t k = 0; k < w; k++)
                y[k * b + j] = xs[k];
        }
    }
}

static bool d2s_fast_supports(const struct imp_kernel_args *a)
{
    return imp_dtype_size(a->in[0]->dtype) == sizeof(uint32_t);
}

/* Any 4-byte type (float32, int32) moves as raw bits. */
static void d2s_fast_run(const struct imp_kernel_args *a)
{
    struct d2s_task t = {.x = a->in[0]->data, .y = a->out[0]->data};
    if (d2s_geometry(a->node, a->in[0], &t.g, NULL) != IMP_OK)
        return;
    int64_t rows = t.g.n * t.g.c * t.g.h * t.g.b;
    int64_t ow = t.g.w * t.g.b;
    size_t grain = ow >= 4096 ? 1 : (size_t)(4096 / (ow > 0 ? ow : 1));
    imp_parallel_for(a->pool, (size_t)rows, grain, d2s_rows, &t);
}

static const struct imp_engine d2s_fast = {
    .name = "rows", .supports = d2s_fast_supports, .run = d2s_fast_run};
static const struct imp_engine d2s_ref = {.name = "ref", .run = d2s_ref_run};
static const struct imp_engine *const d2s_engines[] = {&d2s_fast, &d2s_ref, NULL};
const struct imp_op_def imp_opdef_DEPTH_TO_SPACE = {.infer = d2s_infer,
                                                    .engines = d2s_engines};
