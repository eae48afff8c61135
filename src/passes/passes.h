/* Load-time graph passes, run once per model in this order. */
#ifndef IMP_PASSES_H
#define IMP_PASSES_H

#include "core/graph.h"

/* fp16 constants become fp32; fp16 graph inputs/outputs keep their type at
 * the boundary through inserted Casts, so every kernel sees fp32. */
enum imp_status imp_pass_expand_fp16(struct imp_graph *g, struct imp_error *err);
/* Evaluate nodes whose inputs are all constants; their outputs become
 * constants. Needs a sorted graph. */
enum imp_status imp_pass_fold_constants(struct imp_graph *g,
                                        struct imp_error *err);
/* Move Transposes down through element-wise ops and merge/cancel
 * consecutive ones (see transpose.c). Needs a sorted graph; keeps it
 * sorted; leaves new constant permutations for the folder. */
enum imp_status imp_pass_sink_transposes(struct imp_graph *g,
                                         struct imp_error *err);
/* Nearest x2 upsampling followed by a 3x3 conv (IMP_SUBPIXEL_UPSAMPLE),
 * and stride-2 3x3 ConvTranspose (IMP_SUBPIXEL_CONV_TRANSPOSE), become one
 * 3x3 conv at low resolution with 4x the output channels plus DepthToSpace
 * (see subpixel.c). Needs folded constants; keeps the graph sorted; leaves
 * the bypassed nodes for dead-node removal. */
enum imp_subpixel_kinds {
    IMP_SUBPIXEL_UPSAMPLE = 1 << 0,
    IMP_SUBPIXEL_CONV_TRANSPOSE = 1 << 1,
};
enum imp_status imp_pass_subpixel(struct imp_graph *g, unsigned kinds,
                                  struct imp_error *err);
/* The pads [top, left, bottom, right], mode and value of Pad node n when
 * it pads only the two spatial axes of an NCHW tensor, by constant,
 * non-negative amounts, in mode constant (a finite constant value),
 * reflect or edge (see spatial_pad.c). */
bool imp_spatial_pad(const struct imp_graph *g, const struct imp_node *n, int64_t *pads4,
                     const char **mode, float *value);
/* Fold the Relu, then the spatial Pad, that are the sole readers of an
 * InstanceNormalization's output into it (attributes activation, pads;
 * see fuse_norm.c). Keeps the graph sorted; leaves no dead nodes, but
 * dead readers left by earlier passes block it. */
enum imp_status imp_pass_fuse_norm(struct imp_graph *g, struct imp_error *err);
/* A spatial Pad (reflect, edge, or zeros) whose output only a strided
 * Conv reads becomes that Conv's pads, and for reflect and edge its
 * `pad_mode` attribute (see fuse_pad_conv.c). Keeps the graph sorted; leaves no
 * dead nodes. */
enum imp_status imp_pass_fuse_pad_conv(struct imp_graph *g, struct imp_error *err);
/* A border-only Crop that is the sole reader of a ConvTranspose's output
 * becomes that node's `crop` attribute (see fold_crop.c). Keeps the graph
 * sorted; leaves no dead nodes. */
enum imp_status imp_pass_fold_crop(struct imp_graph *g, struct imp_error *err);
/* A BatchNormalization with constant operands that is the sole reader of
 * a Conv's output (constant weights) is folded into the Conv's weights
 * and bias (see fold_batchnorm.c). Keeps the graph sorted. */
enum imp_status imp_pass_fold_batchnorm(struct imp_graph *g, struct imp_error *err);
/* An activation (or an x * gate(x) pair) that is the sole reader of a
 * Conv's output becomes that Conv's `activation` attributes (see
 * fuse_activation.c). Keeps the graph sorted; leaves no dead nodes. */
enum imp_status imp_pass_fuse_activation(struct imp_graph *g, struct imp_error *err);
/* An instance or layer norm written out as ReduceMean/Sub/Mul/Sqrt/Div...
 * (the forms TensorFlow and PyTorch converters write) becomes one
 * InstanceNormalization or LayerNormalization (see fuse_decomposed_norm.c). `known` gives each
 * value's dtype and shape (a trial inference); *fused counts the norms.
 * Keeps the graph sorted; leaves unread constants for dead-node removal. */
enum imp_status imp_pass_fuse_decomposed_norm(struct imp_graph *g,
                                              const struct imp_tensor *known, int *fused,
                                              struct imp_error *err);
/* Readers of an Identity's output read its input instead, unless the
 * output is a graph output (see skip_identity.c). Needs a sorted graph;
 * leaves the bypassed nodes for dead-node removal. */
enum imp_status imp_pass_skip_identity(struct imp_graph *g, struct imp_error *err);
/* Drop nodes whose outputs nothing reads, and unreferenced constants. */
enum imp_status imp_pass_remove_dead(struct imp_graph *g, struct imp_error *err);

/* All of the above but the decomposed-norm fusion, plus sorting. */
enum imp_status imp_passes_run(struct imp_graph *g, struct imp_error *err);
/* The passes that need each value's shape (`known`, from a trial inference
 * of the graph as imp_passes_run left it; a dim that follows an open input
 * dim is -1): the decomposed-norm fusion, then dead-node removal and the
 * norm's Relu/Pad fusion when it changed anything (*changed). */
enum imp_status imp_passes_run_shaped(struct imp_graph *g, const struct imp_tensor *known,
                                      bool *changed, struct imp_error *err);

#endif
