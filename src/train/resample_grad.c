/* Reflection padding, nearest and bilinear x2 upsampling and 2x2 pooling,
 * forward and backward, one plane per work item (train_kernels.h). */
#include <string.h>

#include "core/threadpool.h"
#include "kernels/eltwise.h"
#include "train/train_kernels.h"

struct plane_job {
    const float *x, *dy;
    float *y;
    int h, w, p;
    bool acc, max, linear;
    const struct imp_eltwise_kernels *k; /* x2 forward: the runtime's Resize rows */
};

/* Reflection of index i into [0, n) without repeating the edge. */
static int reflect(int i, int n)
{
    if (i < 0)
        return -i;
    if (i >= n)
        return 2 * (n - 1) - i;
    return i;
}

static void pad_fwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct plane_job *j = ctx;
    const int h = j->h, w = j->w, p = j->p, oh = h + 2 * p, ow = w + 2 * p;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = j->x + pl * (size_t)h * (size_t)w;
        float *y = j->y + pl * (size_t)oh * (size_t)ow;
        for (int r = 0; r < oh; r++) {
            const float *src = x + (size_t)reflect(r - p, h) * (size_t)w;
            float *dst = y + (size_t)r * (size_t)ow;
            for (int c = 0; c < p; c++)
                dst[c] = src[reflect(c - p, w)];
            memcpy(dst + p, src, sizeof(float) * (size_t)w);
            for (int c = p + w; c < ow; c++)
                dst[c] = src[reflect(c - p, w)];
        }
    }
}

void tk_pad_forward(const float *x, float *y, size_t planes, int h, int w, int p,
                    struct imp_threadpool *pool)
{
    struct plane_job j = {.x = x, .y = y, .h = h, .w = w, .p = p};
    imp_parallel_for(pool, planes, 1, pad_fwd_items, &j);
}

static void pad_bwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct plane_job *j = ctx;
    const int h = j->h, w = j->w, p = j->p, oh = h + 2 * p, ow = w + 2 * p;
    for (size_t pl = begin; pl < end; pl++) {
        const float *dy = j->dy + pl * (size_t)oh * (size_t)ow;
        float *dx = j->y + pl * (size_t)h * (size_t)w;
        /* The interior first (written or added), then the mirrored border
         * added in row-major order of dy: a fixed order per pixel. */
        for (int r = 0; r < h; r++) {
            const float *src = dy + (size_t)(r + p) * (size_t)ow + p;
            float *dst = dx + (size_t)r * (size_t)w;
            if (j->acc)
                for (int c = 0; c < w; c++)
                    dst[c] += src[c];
            else
                memcpy(dst, src, sizeof(float) * (size_t)w);
        }
        for (int r = 0; r < oh; r++) {
            bool row_border = r < p || r >= p + h;
            float *dst = dx + (size_t)reflect(r - p, h) * (size_t)w;
            const float *src = dy + (size_t)r * (size_t)ow;
            for (int c = 0; c < ow; c++) {
                if (!row_border && c >= p && c < p + w)
                    continue;
                dst[reflect(c - p, w)] += src[c];
            }
        }
    }
}

void tk_pad_backward(const float *dy, float *dx, size_t planes, int h, int w, int p, bool acc,
                     struct imp_threadpool *pool)
{
    struct plane_job j = {.dy = dy, .y = dx, .h = h, .w = w, .p = p, .acc = acc};
    imp_parallel_for(pool, planes, 1, pad_bwd_items, &j);
}

/* Nearest x2: each input row repeated into an output row by the runtime's
 * Resize kernel, and that row copied below it. */
static void up_fwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct plane_job *j = ctx;
    const int h = j->h, w = j->w, ow = 2 * w;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = j->x + pl * (size_t)h * (size_t)w;
        float *y = j->y + pl * (size_t)(4 * h) * (size_t)w;
        for (int r = 0; r < h; r++) {
            float *row = y + (size_t)(2 * r) * (size_t)ow;
            j->k->repeat2(x + (size_t)r * (size_t)w, row, w);
            memcpy(row + ow, row, sizeof(float) * (size_t)ow);
        }
    }
}

/* Bilinear x2 with half-pixel centres: output o of n reads input o/2 -
 * 1/4, so each output is 3/4 of its own input and 1/4 of the neighbour on
 * its side, the edge repeated past the ends (ONNX Resize 'linear' with
 * half_pixel, PyTorch's align_corners=False). */
static void up2_taps(int o, int n, int i[2], float f[2])
{
    const int c = o / 2, side = (o & 1) ? c + 1 : c - 1;
    i[0] = c;
    i[1] = side < 0 ? 0 : side >= n ? n - 1 : side;
    f[0] = 0.75f;
    f[1] = 0.25f;
}

/* Each output row from its own input row and the neighbour row on its
 * side, by the runtime's Resize kernel: the exported network computes
 * exactly this. */
static void up_linear_fwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct plane_job *j = ctx;
    const int h = j->h, w = j->w, ow = 2 * w;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = j->x + pl * (size_t)h * (size_t)w;
        float *y = j->y + pl * (size_t)(4 * h) * (size_t)w;
        for (int r = 0; r < 2 * h; r++) {
            int ry[2];
            float fy[2];
            up2_taps(r, h, ry, fy);
            j->k->linear2(x + (size_t)ry[0] * (size_t)w, x + (size_t)ry[1] * (size_t)w,
                          y + (size_t)r * (size_t)ow, w);
        }
    }
}

void tk_up2_forward(const float *x, float *y, size_t planes, int h, int w, bool linear,
                    enum imp_isa isa, struct imp_threadpool *pool)
{
    struct plane_job j = {.x = x, .y = y, .h = h, .w = w, .k = imp_eltwise_kernels_for(isa)};
    imp_parallel_for(pool, planes, 1, linear ? up_linear_fwd_items : up_fwd_items, &j);
}

static void up_bwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct plane_job *j = ctx;
    const int h = j->h, w = j->w;
    const size_t ow = 2 * (size_t)w;
    for (size_t pl = begin; pl < end; pl++) {
        const float *dy = j->dy + pl * (size_t)(4 * h) * (size_t)w;
        float *dx = j->y + pl * (size_t)h * (size_t)w;
        for (int r = 0; r < h; r++) {
            const float *a = dy + (size_t)(2 * r) * ow, *b = a + ow;
            for (int c = 0; c < w; c++) {
                float s = (a[2 * c] + a[2 * c + 1]) + (b[2 * c] + b[2 * c + 1]);
                float *d = dx + (size_t)r * (size_t)w + (size_t)c;
                *d = j->acc ? *d + s : s;
            }
        }
    }
}

/* The transpose of up_linear_fwd_items: each output's gradient added to
 * its four inputs in row-major order of dy, a fixed order per plane. */
static void up_linear_bwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct plane_job *j = ctx;
    const int h = j->h, w = j->w, ow = 2 * w;
    for (size_t pl = begin; pl < end; pl++) {
        const float *dy = j->dy + pl * (size_t)(4 * h) * (size_t)w;
        float *dx = j->y + pl * (size_t)h * (size_t)w;
        if (!j->acc)
            memset(dx, 0, sizeof(float) * (size_t)h * (size_t)w);
        for (int r = 0; r < 2 * h; r++) {
            int ry[2], cx[2];
            float fy[2], fx[2];
            up2_taps(r, h, ry, fy);
            float *a = dx + (size_t)ry[0] * (size_t)w, *b = dx + (size_t)ry[1] * (size_t)w;
            const float *src = dy + (size_t)r * (size_t)ow;
            for (int c = 0; c < ow; c++) {
                up2_taps(c, w, cx, fx);
                const float ga = fy[0] * src[c], gb = fy[1] * src[c];
                a[cx[0]] += fx[0] * ga;
                a[cx[1]] += fx[1] * ga;
                b[cx[0]] += fx[0] * gb;
                b[cx[1]] += fx[1] * gb;
            }
        }
    }
}

void tk_up2_backward(const float *dy, float *dx, size_t planes, int h, int w, bool linear,
                     bool acc, struct imp_threadpool *pool)
{
    struct plane_job j = {.dy = dy, .y = dx, .h = h, .w = w, .acc = acc};
    imp_parallel_for(pool, planes, 1, linear ? up_linear_bwd_items : up_bwd_items, &j);
}

/* Index 0..3 of the first largest of a 2x2 window. */
static int argmax4(const float v[4])
{
    int best = 0;
    for (int i = 1; i < 4; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

static void pool_fwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct plane_job *j = ctx;
    const int h = j->h, w = j->w, oh = h / 2, ow = w / 2;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = j->x + pl * (size_t)h * (size_t)w;
        float *y = j->y + pl * (size_t)oh * (size_t)ow;
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++) {
                const float *a = x + (size_t)(2 * r) * (size_t)w + 2 * c, *b = a + w;
                float v[4] = {a[0], a[1], b[0], b[1]};
                y[(size_t)r * (size_t)ow + (size_t)c] =
                    j->max ? v[argmax4(v)] : ((v[0] + v[1]) + (v[2] + v[3])) * 0.25f;
            }
    }
}

void tk_pool_forward(bool max, const float *x, float *y, size_t planes, int h, int w,
                     struct imp_threadpool *pool)
{
    struct plane_job j = {.x = x, .y = y, .h = h, .w = w, .max = max};
    imp_parallel_for(pool, planes, 1, pool_fwd_items, &j);
}

static void pool_bwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct plane_job *j = ctx;
    const int h = j->h, w = j->w, oh = h / 2, ow = w / 2;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = j->x + pl * (size_t)h * (size_t)w;
        const float *dy = j->dy + pl * (size_t)oh * (size_t)ow;
        float *dx = j->y + pl * (size_t)h * (size_t)w;
        if (!j->acc)
            memset(dx, 0, sizeof(float) * (size_t)h * (size_t)w); /* and the odd edge */
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++) {
                size_t i0 = (size_t)(2 * r) * (size_t)w + (size_t)(2 * c);
                size_t idx[4] = {i0, i0 + 1, i0 + (size_t)w, i0 + (size_t)w + 1};
                float g = dy[(size_t)r * (size_t)ow + (size_t)c];
                if (j->max) {
                    float v[4] = {x[idx[0]], x[idx[1]], x[idx[2]], x[idx[3]]};
                    dx[idx[argmax4(v)]] += g;
                } else {
                    for (int i = 0; i < 4; i++)
                        dx[idx[i]] += 0.25f * g;
                }
            }
    }
}

void tk_pool_backward(bool max, const float *x, const float *dy, float *dx, size_t planes,
                      int h, int w, bool acc, struct imp_threadpool *pool)
{
    struct plane_job j = {.x = x, .dy = dy, .y = dx, .h = h, .w = w, .acc = acc, .max = max};
    imp_parallel_for(pool, planes, 1, pool_bwd_items, &j);
}
