/*
 * Transpose between NCHW and NHWC ("layout" engine).
 *
 * Readers of channels-last formats (TFLite) keep a network in NCHW and
 * transpose only at its boundaries: the photo in (perm 0,3,1,2) and the
 * picture out (perm 0,2,3,1), each a full pass over an image of a few
 * channels. The reference walks the output with a general index per row of
 * C elements; here each work item is a block of pixels, copied channel by
 * channel, so the block's C planes (reads) and its interleaved run
 * (writes) stay in L1. Any 4-byte type moves as raw bits.
 */
#include <string.h>

#include "core/threadpool.h"
#include "ops/op_util.h"
#include "ops/tensor_util.h"

#define LAYOUT_BLOCK 512 /* pixels per work item */

struct layout_task {
    const uint32_t *x;
    uint32_t *y;
    int64_t n, c, plane, blocks; /* blocks per image */
    bool to_nhwc;
};

static void layout_blocks(void *ctx, size_t begin, size_t end, int thread)
{
    (void)thread;
    const struct layout_task *t = ctx;
    for (size_t item = begin; item < end; item++) {
        const int64_t n = (int64_t)item / t->blocks, b = (int64_t)item % t->blocks;
        const int64_t p0 = b * LAYOUT_BLOCK;
        const int64_t len = t->plane - p0 < LAYOUT_BLOCK ? t->plane - p0 : LAYOUT_BLOCK;
        const int64_t c = t->c, image = c * t->plane;
        const uint32_t *x = t->x + n * image;
        uint32_t *y = t->y + n * image;
        for (int64_t ch = 0; ch < c; ch++) {
            if (t->to_nhwc) { /* planes -> interleaved */
                const uint32_t *src = x + ch * t->plane + p0;
                uint32_t *dst = y + p0 * c + ch;
                for (int64_t p = 0; p < len; p++)
                    dst[p * c] = src[p];
            } else { /* interleaved -> planes */
                const uint32_t *src = x + p0 * c + ch;
                uint32_t *dst = y + ch * t->plane + p0;
                for (int64_t p = 0; p < len; p++)
                    dst[p] = src[p * c];
            }
        }
    }
}

/* 1 for perm (0,2,3,1), 2 for (0,3,1,2), else 0. */
static int layout_kind(const struct imp_node *n)
{
    int64_t p[4];
    const struct imp_attr *a = imp_node_attr(n, "perm");
    if (!a || imp_attr_ints(n, "perm", p, 4) != 4)
        return 0;
    if (p[0] == 0 && p[1] == 2 && p[2] == 3 && p[3] == 1)
        return 1;
    if (p[0] == 0 && p[1] == 3 && p[2] == 1 && p[3] == 2)
        return 2;
    return 0;
}

static bool layout_supports(const struct imp_kernel_args *a)
{
    return a->in[0]->shape.rank == 4 && imp_dtype_size(a->in[0]->dtype) == sizeof(uint32_t) &&
           layout_kind(a->node) != 0;
}

static void layout_run(const struct imp_kernel_args *a)
{
    const struct imp_shape *s = &a->in[0]->shape;
    struct layout_task t = {.x = a->in[0]->data, .y = a->out[0]->data, .n = s->d[0]};
    t.to_nhwc = layout_kind(a->node) == 1;
    /* The channel axis and the pixels, seen from the input's layout. */
    t.c = t.to_nhwc ? s->d[1] : s->d[3];
    t.plane = t.to_nhwc ? s->d[2] * s->d[3] : s->d[1] * s->d[2];
    if (t.n < 1 || t.c < 1 || t.plane < 1)
        return;
    t.blocks = (t.plane + LAYOUT_BLOCK - 1) / LAYOUT_BLOCK;
    /* About 64K elements per chunk: smaller jobs stay on one thread. */
    int64_t per = LAYOUT_BLOCK * t.c, grain = 65536 / per;
    imp_parallel_for(a->pool, (size_t)(t.n * t.blocks), grain < 1 ? 1 : (size_t)grain,
                     layout_blocks, &t);
}

const struct imp_engine imp_transpose_layout_engine = {
    .name = "layout", .supports = layout_supports, .run = layout_run};
