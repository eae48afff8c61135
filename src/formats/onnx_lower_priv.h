/* Pieces shared by the ONNX lowering's two files (not a public API):
 * onnx_lower.c (names, node emission, the graph) and onnx_lower_ops.c
 * (the per-operator rewrites). */
#ifndef IMP_ONNX_LOWER_PRIV_H
#define IMP_ONNX_LOWER_PRIV_H

#include "formats/onnx_lower.h"

struct lower {
    const struct imp_graph *src;
    struct imp_graph *o;
    struct imp_error *err;
    bool *read; /* src values some node reads or the graph outputs */
    /* Names in use in o: open addressing over value indices. */
    int *slots;
    size_t cap, used;
    /* Node names in use (ONNX Runtime refuses a model that repeats one):
     * open addressing over the names' strings, owned by o's nodes. */
    const char **node_slots;
    size_t node_cap, node_used;
    /* The source node being lowered. */
    const struct imp_node *n;
    int ni;
    int emitted; /* nodes emitted for it so far */
    enum imp_status st; /* first failure, sticky */
};

/* Record the first failure, naming the node being lowered; returns it. */
enum imp_status imp_olw_fail(struct lower *l, enum imp_status st, const char *fmt, ...)
    IMP_PRINTF(3, 4);
enum imp_status imp_olw_nomem(struct lower *l);
/* A new activation / constant of o named after the node; -1 on failure
 * (recorded). */
int imp_olw_add_act(struct lower *l, const char *what);
int imp_olw_add_const(struct lower *l, const char *what, enum imp_dtype dtype, int rank,
                      const int64_t *dims, const void *data);
int imp_olw_const_ints(struct lower *l, const char *what, const int64_t *v, int n);
int imp_olw_const_scalar(struct lower *l, const char *what, float f);
/* A node of o (see onnx_lower.c for its name); -1 after a failure. */
int imp_olw_emit(struct lower *l, enum imp_op op, int n_in, const int *in, int n_out,
                 const int *out);
/* Copy the source node's standard attributes for `op` to o's node,
 * skipping `handled`; refuse any other. */
void imp_olw_copy_attrs(struct lower *l, int node, enum imp_op op,
                        const char *const *handled);
/* The opset's attribute names for `op`, NULL-terminated
 * (onnx_lower_ops.c). */
const char *const *imp_olw_standard_attrs(enum imp_op op);
/* Lower l->n (onnx_lower_ops.c). */
void imp_olw_lower_node(struct lower *l);

#endif
