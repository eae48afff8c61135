/*
 * Activations as node attributes and as engines.
 *
 * A Conv may carry a fused activation (passes/fuse_activation.c) as the
 * attributes activation (a name below), activation_alpha and
 * activation_beta; its engines apply it to each block of outputs as they
 * store it (kernels/activation.h). The same kernels are the "simd"
 * engines of Clip, HardSigmoid and LeakyRelu.
 */
#ifndef IMP_OPS_ACTIVATION_H
#define IMP_OPS_ACTIVATION_H

#include "core/error.h"
#include "core/graph.h"
#include "kernels/activation.h"
#include "ops/op.h"

/* The attribute value naming `kind` ("Relu", "Clip", ...), NULL for NONE. */
const char *imp_act_name(enum imp_act_kind kind);

/* A node's fused activation from its attributes: NONE without an
 * `activation` attribute; an error for an unknown name or parameters
 * that are not finite. The kernels are bound to `cap`. */
enum imp_status imp_activation_from_node(const struct imp_node *n, enum imp_isa cap,
                                         struct imp_activation *act, struct imp_error *err);

/* Apply a bound activation to n floats in place, split over the pool when
 * there is enough work. */
void imp_activation_apply_parallel(const struct imp_activation *act, float *y, int64_t n,
                                   struct imp_threadpool *pool);

extern const struct imp_engine imp_clip_simd_engine;
extern const struct imp_engine imp_hard_sigmoid_simd_engine;
extern const struct imp_engine imp_leaky_relu_simd_engine;

#endif
