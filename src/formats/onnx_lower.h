/*
 * Lowering impasto's graph to standard ONNX (the ONNX writer's first half).
 *
 * impasto's graph holds what its readers and load-time passes made of a
 * model: fused nodes with attributes of ours (InstanceNormalization with
 * activation/pads, ConvTranspose with crop, Softmax with coerce_2d),
 * operators ONNX has retired (Upsample, Crop, ImageScaler, Affine) and the
 * attribute forms of older opsets (Pad's pads, Slice's starts, Clip's min,
 * ...). The lowering rewrites each node into the node sequence of one
 * opset (IMP_ONNX_WRITE_OPSET) that computes the same values, and gives
 * every value a unique name. A node attribute it does not know for the
 * operator is refused with a message naming it, never dropped: a new fused
 * attribute must come with its expansion here (docs/format.md).
 */
#ifndef IMP_ONNX_LOWER_H
#define IMP_ONNX_LOWER_H

#include "core/graph.h"

#define IMP_ONNX_WRITE_OPSET 17
#define IMP_ONNX_WRITE_IR 8
#define IMP_ONNX_STR2(x) #x
#define IMP_ONNX_STR(x) IMP_ONNX_STR2(x)
#define IMP_ONNX_PRODUCER_VERSION \
    IMP_ONNX_STR(IMP_VERSION_MAJOR) "." IMP_ONNX_STR(IMP_VERSION_MINOR)

/* `out` gets a new graph: src's values (constants borrow src's bytes, so
 * src must outlive it) plus the constants and intermediate values the
 * expansions add, and nodes of standard ONNX operators in execution order.
 * Metadata is not copied. On failure `out` is released. */
enum imp_status imp_onnx_lower(const struct imp_graph *src, struct imp_graph *out,
                               struct imp_error *err);

#endif
