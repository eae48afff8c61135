/*
 * The graph IR every reader produces and every pass and predictor consumes.
 *
 * Values are tensors (activations, graph inputs, constants); nodes are
 * operator applications that read and write values by index. Operator
 * semantics are ONNX's (see src/ops/ops.def): the TFLite reader translates
 * into them, so kernels exist once.
 */
#ifndef IMP_GRAPH_H
#define IMP_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impasto.h"
#include "core/error.h"
#include "core/metadata.h"
#include "core/tensor.h"
#include "ops/op.h"

enum imp_value_kind {
    IMP_VALUE_ACTIVATION = 0, /* produced by a node                 */
    IMP_VALUE_INPUT = 1,      /* fed by the caller                  */
    IMP_VALUE_CONST = 2,      /* weights, folded results            */
};

struct imp_value {
    char *name;
    enum imp_value_kind kind;
    enum imp_dtype dtype;
    struct imp_shape shape;
    /* Constants only. `data` is 64-byte aligned. When `owned` is false it
     * points into memory that outlives the graph (a mapped .imp file). */
    void *data;
    size_t nbytes;
    bool owned;
    /* A constant no node need read that the model still carries: another
     * style's norm parameters in a multi-style network (docs/format.md,
     * impasto.style.NAME.params). Passes never drop it; writers write it. */
    bool kept;
};

enum imp_attr_type {
    IMP_ATTR_INT = 1,
    IMP_ATTR_FLOAT,
    IMP_ATTR_STRING,
    IMP_ATTR_INTS,
    IMP_ATTR_FLOATS,
    IMP_ATTR_TENSOR, /* `i` holds a value index (a constant) */
};

struct imp_attr {
    char *name;
    enum imp_attr_type type;
    int64_t i;
    float f;
    char *s;
    int n;          /* element count of ints/floats */
    int64_t *ints;
    float *floats;
};

struct imp_node {
    enum imp_op op;
    char *name;
    int n_inputs;
    int *inputs; /* value indices; -1 marks an omitted optional input */
    int n_outputs;
    int *outputs;
    int n_attrs;
    struct imp_attr *attrs;
};

struct imp_graph {
    struct imp_value *values;
    int n_values, cap_values;
    struct imp_node *nodes; /* topologically ordered after imp_graph_sort */
    int n_nodes, cap_nodes;
    int *inputs;
    int n_inputs;
    int *outputs;
    int n_outputs;
    const char *source_format; /* static string: "onnx", "tflite", "imp" */
    /* Key/value pairs the model carries through every format; no pass
     * looks at them. */
    struct imp_metadata meta;
};

void imp_graph_init(struct imp_graph *g);
void imp_graph_release(struct imp_graph *g);
/* Free one node's allocations (for passes that drop nodes). */
void imp_node_release(struct imp_node *n);
/* Release the nodes i < n_marked with drop[i] set and close the gaps,
 * keeping the others in order (for passes that replace nodes). */
void imp_graph_drop_nodes(struct imp_graph *g, const bool *drop, int n_marked);
/* Drop values nothing refers to and renumber the rest (indices change). */
enum imp_status imp_graph_compact(struct imp_graph *g);

/* Adders return the new index, or -1 on allocation failure. */
int imp_graph_add_value(struct imp_graph *g, const char *name,
                        enum imp_value_kind kind, enum imp_dtype dtype,
                        const struct imp_shape *shape);
/* A constant whose data is copied into a fresh aligned buffer. */
int imp_graph_add_const(struct imp_graph *g, const char *name,
                        enum imp_dtype dtype, const struct imp_shape *shape,
                        const void *data);
/* A constant that takes ownership of `data` (from imp_aligned_alloc). */
int imp_graph_add_const_owned(struct imp_graph *g, const char *name,
                              enum imp_dtype dtype,
                              const struct imp_shape *shape, void *data);
int imp_graph_add_node(struct imp_graph *g, enum imp_op op, const char *name,
                       int n_inputs, const int *inputs, int n_outputs,
                       const int *outputs);
enum imp_status imp_graph_add_input(struct imp_graph *g, int value);
enum imp_status imp_graph_add_output(struct imp_graph *g, int value);

/* Attribute setters for node `node`. Copy their arguments. */
enum imp_status imp_node_set_int(struct imp_graph *g, int node,
                                 const char *name, int64_t v);
enum imp_status imp_node_set_float(struct imp_graph *g, int node,
                                   const char *name, float v);
enum imp_status imp_node_set_string(struct imp_graph *g, int node,
                                    const char *name, const char *s);
enum imp_status imp_node_set_ints(struct imp_graph *g, int node,
                                  const char *name, const int64_t *v, int n);
enum imp_status imp_node_set_floats(struct imp_graph *g, int node,
                                    const char *name, const float *v, int n);
enum imp_status imp_node_set_tensor(struct imp_graph *g, int node,
                                    const char *name, int value);

/* Attribute getters: return the attribute or NULL when absent. */
const struct imp_attr *imp_node_attr(const struct imp_node *n,
                                     const char *name);
int64_t imp_node_int(const struct imp_node *n, const char *name, int64_t dflt);
float imp_node_float(const struct imp_node *n, const char *name, float dflt);
const char *imp_node_string(const struct imp_node *n, const char *name,
                            const char *dflt);

/* Index of the value named `name`, or -1. Linear; readers keep a map. */
int imp_graph_find_value(const struct imp_graph *g, const char *name);

/* Order nodes so that every input is produced before use; fails on cycles
 * and on inputs that nothing produces. */
enum imp_status imp_graph_sort(struct imp_graph *g, struct imp_error *err);

/* Deep copy (constants are copied too, even when not owned). */
enum imp_status imp_graph_clone(const struct imp_graph *src,
                                struct imp_graph *dst);

#endif
