/*
 * A convolution run by the runtime's own Conv engines, prepared once and
 * run with the caller's buffers. For weights that do not change (the
 * loss network's) the first engine in the runtime's order that takes the
 * shape (Winograd for 3x3 stride 1) is used. For trainable weights only
 * the Winograd engines are taken ("winograd" for 3x3, "wide" for larger
 * kernels, both stride 1), whose weights can be replaced before each run
 * without allocating (frozen_conv_set_weights).
 */
#ifndef IMP_FROZEN_CONV_H
#define IMP_FROZEN_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "impasto.h"
#include "core/graph.h"

struct imp_threadpool;

struct frozen_conv {
    struct imp_graph g; /* one Conv node: X, W, (B) -> Y */
    const struct imp_engine *engine;
    void *state;
    size_t scratch_bytes;
    struct imp_tensor x, w, b, y;
    int n_in;
    bool ready;
};

/* w [M, C, k, k] and b [M] (or NULL) are copied. Padding `pad` zeros on
 * every side, stride `stride`. With `trainable`, IMP_ERR_UNSUPPORTED when
 * neither Winograd engine takes the shape. */
enum imp_status frozen_conv_init(struct frozen_conv *fc, int n, int c, int h, int w, int m,
                                 int k, int stride, int pad, const float *weights,
                                 const float *bias, bool trainable, enum imp_isa isa,
                                 struct imp_threadpool *pool, struct imp_error *err);
/* New weights (and bias, when the conv has one) for a trainable conv. */
void frozen_conv_set_weights(struct frozen_conv *fc, const float *weights, const float *bias);
const char *frozen_conv_engine_name(const struct frozen_conv *fc);
void frozen_conv_run(struct frozen_conv *fc, const float *x, float *y, void *scratch,
                     enum imp_isa isa, struct imp_threadpool *pool);
void frozen_conv_release(struct frozen_conv *fc);

#endif
