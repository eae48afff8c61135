/* What Conv and ConvTranspose share: input checks and channel geometry. */
#ifndef IMP_CONV_COMMON_H
#define IMP_CONV_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/activation.h"
#include "ops/op_util.h"
#include "ops/window.h"

/* How a Conv fills its padding: ONNX's zeros, or (attribute `pad_mode`,
 * from a Pad the load-time pass fuse_pad_conv.c folded in) the input's
 * own border reflected or repeated, as the Pad operator's modes. */
enum imp_conv_pad_mode { IMP_CONV_PAD_ZEROS, IMP_CONV_PAD_REFLECT, IMP_CONV_PAD_EDGE };

struct imp_conv_geom {
    struct imp_window w;
    int64_t n;      /* batch                                  */
    int64_t c, cg;  /* input channels, and per group          */
    int64_t m, mg;  /* output channels, and per group         */
    int64_t group;
    bool has_bias;
    /* Conv only; a mode other than zeros needs 2-D, explicit pads and
     * reflect pads smaller than the input (checked by the geometry). */
    enum imp_conv_pad_mode pad_mode;
    /* Conv's fused activation (attribute `activation`, ops/activation.h),
     * its kernels bound to the predictor's ISA cap by prepare; NONE for
     * ConvTranspose. Every engine applies it to the outputs it stores. */
    struct imp_activation act;
};

/* X, W and (when present) B must be float32. */
enum imp_status imp_conv_check_f32(const struct imp_tensor *const *in, int n_in,
                                   struct imp_error *err);
/* Checks inputs and attributes and fills everything but the output sizes
 * and effective padding (imp_window_forward for Conv; ConvTranspose has
 * its own rule). W is [M, C/group, k...], or [C, M/group, k...] when
 * `transpose`. */
enum imp_status imp_conv_geometry(const struct imp_node *node,
                                  const struct imp_tensor *const *in, int n_in,
                                  bool transpose, struct imp_conv_geom *g,
                                  struct imp_error *err);
/* The complete geometry (output sizes, effective pads) of a Conv node or
 * a ConvTranspose node; what the reference engines keep as their state.
 * Fast engines may call these from supports/prepare. */
enum imp_status imp_conv_forward_geometry(const struct imp_node *node,
                                          const struct imp_tensor *const *in,
                                          int n_in, struct imp_conv_geom *g,
                                          struct imp_error *err);
enum imp_status imp_conv_transpose_geometry(const struct imp_node *node,
                                            const struct imp_tensor *const *in,
                                            int n_in, struct imp_conv_geom *g,
                                            struct imp_error *err);
/* The input index that padded index i (of an axis of n, padded by at
 * most n - 1 each side for reflect) reads, or -1 for a zero. */
static inline int64_t imp_conv_pad_source(enum imp_conv_pad_mode mode, int64_t i, int64_t n)
{
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case IMP_CONV_PAD_REFLECT: return i < 0 ? -i : 2 * (n - 1) - i;
    case IMP_CONV_PAD_EDGE: return i < 0 ? 0 : n - 1;
    default: return -1;
    }
}
/* The fast engines that fill padding with zeros only decline the rest. */
static inline bool imp_conv_pads_zeros(const struct imp_node *node)
{
    return !imp_node_attr(node, "pad_mode");
}
/* [N, M, out...] */
void imp_conv_output_shape(const struct imp_conv_geom *g, struct imp_shape *out);
/* The reference engines' prepare: the geometry from `geometry` (one of the
 * two above), allocated as the engine state; no scratch. */
typedef enum imp_status (*imp_conv_geometry_fn)(const struct imp_node *node,
                                                const struct imp_tensor *const *in,
                                                int n_in, struct imp_conv_geom *g,
                                                struct imp_error *err);
enum imp_status imp_conv_prepare_geometry(const struct imp_kernel_args *a,
                                          imp_conv_geometry_fn geometry, void **state,
                                          size_t *scratch_bytes, struct imp_error *err);
/* Frees a geometry made by an engine's prepare. */
void imp_conv_release(void *state);
/* parallel_for grain for rows of `row_macs` multiply-adds each. */
size_t imp_conv_grain(int64_t row_macs);

#endif
