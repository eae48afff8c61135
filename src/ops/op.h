/*
 * Operators and their engines.
 *
 * An operator knows its shape inference; an engine knows one way to
 * compute it (reference, direct, Winograd, GEMM...). Every operator lists
 * its engines best-first and ends with "ref", which supports everything
 * and is the twin the fast engines are tested against.
 *
 * Lifecycle inside a predictor, per node:
 *   infer    (load and every reshape) output dtypes/shapes from inputs
 *   supports (every reshape) can this engine take these shapes?
 *   prepare  (every reshape) pack weights, size scratch; may fail
 *   run      (every run) compute; never fails, never allocates
 *   release  (reshape/free) free what prepare made
 */
#ifndef IMP_OP_H
#define IMP_OP_H

#include <stdbool.h>
#include <stddef.h>

#include "impasto.h"
#include "core/tensor.h"

enum imp_op {
#define IMP_OP(id, name, family) IMP_OP_##id,
#include "ops/ops.def"
#undef IMP_OP
    IMP_OP_COUNT
};

struct imp_node;
struct imp_threadpool;
struct imp_norm_stats_slot;

struct imp_infer_ctx {
    const struct imp_node *node;
    const struct imp_tensor *const *in; /* NULL entries: omitted optionals */
    int n_in;
    struct imp_tensor *out; /* fill dtype and shape of each */
    int n_out;
    struct imp_error *err;
};

struct imp_kernel_args {
    const struct imp_node *node;
    const struct imp_tensor *const *in; /* NULL entries: omitted optionals */
    int n_in;
    struct imp_tensor *const *out;
    int n_out;
    void *state;   /* what prepare() made, or NULL                        */
    void *scratch; /* scratch_bytes from prepare, 64-byte aligned         */
    struct imp_threadpool *pool;
    enum imp_isa isa; /* the cap in force for this predictor              */
    /* InstanceNormalization only: the predictor's control over the
     * statistics (ops/norm_stats.h), or NULL to measure them as ONNX says. */
    struct imp_norm_stats_slot *norm_stats;
};

/* What supports and prepare may rely on: an input's `data` is set then only
 * when its contents are fixed for the whole plan (constants, values folded
 * at plan time, plan-time graph inputs). Every other input (a graph input,
 * an activation) has NULL data until run, so an engine that packs or reads
 * an operand in prepare must decline a node whose operand has no data. */
struct imp_engine {
    const char *name;
    /* NULL means "supports everything". */
    bool (*supports)(const struct imp_kernel_args *a);
    /* NULL means "no state, no scratch". Input data of constants is set. */
    enum imp_status (*prepare)(const struct imp_kernel_args *a, void **state,
                               size_t *scratch_bytes, struct imp_error *err);
    void (*run)(const struct imp_kernel_args *a);
    void (*release)(void *state);
    /* Bit k set: input k's values are read by run alone, never by infer or
     * prepare (nothing packed, nothing sized from them), so a new value
     * from imp_predictor_set_param takes effect at the next run with no
     * re-planning. 0 (the default) re-plans: engines that pack weights. */
    unsigned live_inputs;
};

enum imp_op_flags {
    /* Output 0 may share input 0's buffer (same size, element-wise). */
    IMP_OPF_INPLACE = 1 << 0,
    /* Output 0 is input 0's bytes under another shape: no copy at all. */
    IMP_OPF_ALIAS = 1 << 1,
    /* Output depends only on the inputs' shapes (Shape): evaluated at plan
     * time even when the input data is unknown, so shape computations
     * downstream fold. Its run must not read input data. */
    IMP_OPF_SHAPE_ONLY = 1 << 2,
};

struct imp_op_def {
    enum imp_status (*infer)(struct imp_infer_ctx *c);
    const struct imp_engine *const *engines; /* NULL-terminated, ref last */
    unsigned flags;
    /* Inputs (bit k: input k) whose contents decide output shapes or how
     * the node is prepared: Reshape's shape, Resize's scales, Pad's pads.
     * A graph input that reaches one of them is read at plan time like a
     * constant, and a new value for it re-plans (src/runtime/plan_inputs.c). */
    unsigned plan_inputs;
    /* When the node's attributes decide which of those inputs count
     * (Resize reads its roi only for tf_crop_and_resize): the mask for
     * this node; NULL: plan_inputs as it stands. */
    unsigned (*plan_inputs_of)(const struct imp_node *n);
};

#define IMP_OP(id, name, family) extern const struct imp_op_def imp_opdef_##id;
#include "ops/ops.def"
#undef IMP_OP

const struct imp_op_def *imp_op_get(enum imp_op op);
const char *imp_op_name(enum imp_op op);
/* By ONNX op_type; IMP_OP_COUNT when unknown. */
enum imp_op imp_op_from_name(const char *name);

#endif
