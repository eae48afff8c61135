/* Evaluating single nodes outside a predictor: used by constant folding at
 * load and by plan-time folding of shape computations. */
#ifndef IMP_EVAL_H
#define IMP_EVAL_H

#include "core/graph.h"

#define IMP_MAX_NODE_IO 64
/* Limits that keep a hostile model from making impasto allocate without
 * bound: a value computed at load/plan time, one graph input, and the
 * activation arena of one predictor. */
#define IMP_MAX_FOLDED_BYTES ((size_t)1 << 30)
#define IMP_MAX_INPUT_ELEMENTS ((int64_t)1 << 28)
#define IMP_MAX_ARENA_BYTES ((size_t)1 << 34)

/* Output dtypes and shapes of `n` from its inputs (NULL: omitted). */
enum imp_status imp_node_infer(const struct imp_node *n,
                               const struct imp_tensor *const *in,
                               struct imp_tensor *out, struct imp_error *err);
/* Infer, then compute with the reference engine into fresh buffers
 * (imp_aligned_alloc; the caller frees out[i].data). */
enum imp_status imp_node_eval(const struct imp_node *n,
                              const struct imp_tensor *const *in,
                              struct imp_tensor *out, struct imp_error *err);
/* The engine named `name` for op, or NULL. "ref" always exists. */
const struct imp_engine *imp_engine_find(enum imp_op op, const char *name);
const struct imp_engine *imp_engine_ref(enum imp_op op);

#endif
