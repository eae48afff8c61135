/* Pieces of the ONNX reader shared between its files (not a public API). */
#ifndef IMP_ONNX_PRIV_H
#define IMP_ONNX_PRIV_H

#include "core/graph.h"
#include "formats/pb.h"

/* Limits on what a model may declare: generous for real networks, small
 * enough that no product of dims can overflow int64 anywhere later. */
#define IMP_ONNX_MAX_DIM ((int64_t)1 << 40)
#define IMP_ONNX_MAX_ELEMS ((int64_t)1 << 40)

/* ONNX TensorProto.DataType -> ours; UNDEFINED for what we lack. */
enum imp_dtype imp_onnx_dtype(int32_t onnx_type);
/* "FLOAT", "STRING", ... for messages. */
const char *imp_onnx_dtype_name(int32_t onnx_type);

/* NUL-terminated malloc'd copy of a name; rejects embedded NUL bytes
 * (they would make two different names compare equal). */
enum imp_status imp_onnx_cstr(struct imp_pb *pb, const struct imp_pb_bytes *b,
                              size_t offset, char **out);

/* A decoded TensorProto: data is imp_aligned_alloc'd, in host order. */
struct imp_onnx_tensor {
    char *name;
    enum imp_dtype dtype;
    struct imp_shape shape;
    void *data;
};
enum imp_status imp_onnx_read_tensor(struct imp_pb *pb,
                                     const struct imp_pb_field *f,
                                     struct imp_onnx_tensor *t);
void imp_onnx_tensor_release(struct imp_onnx_tensor *t);

/* Rewrites node `node` of r->g, read under an opset below 7, into the
 * form the operators read (src/formats/onnx_legacy.c). */
struct imp_onnx_reader;
enum imp_status imp_onnx_legacy_node(struct imp_onnx_reader *r, int node);

/* A ValueInfoProto. elem_type is ONNX's number (0 when absent); shape has
 * -1 for symbolic or missing dims; has_shape is false when the rank is
 * unknown. kind names a non-tensor type ("sequence", ...) or is NULL. */
struct imp_onnx_value_info {
    char *name;
    int32_t elem_type;
    bool has_shape;
    struct imp_shape shape;
    const char *kind;
};
enum imp_status imp_onnx_read_value_info(struct imp_pb *pb,
                                         const struct imp_pb_field *f,
                                         struct imp_onnx_value_info *vi);

/* ---- the reader's state, shared by onnx.c and onnx_node.c ------------- */

/* Per-value flags. */
#define IMP_ONNX_DROPPED 1u /* a Dropout mask: nothing computes it      */
#define IMP_ONNX_OUTPUT 2u  /* already listed as a graph output          */

/* What the first pass over the nodes decided for each. */
struct imp_onnx_node {
    int op;        /* enum imp_op, or IMP_ONNX_FOLDED for Constant */
    int out_start; /* its outputs: reader.outs[out_start, +n_out) */
    int n_out;
};
#define IMP_ONNX_FOLDED (-1)

struct imp_onnx_reader {
    struct imp_graph *g;
    struct imp_error *err;
    int64_t opset; /* of the default domain */
    /* Value names -> indices: open addressing, hashes kept for speed. */
    uint64_t *hashes;
    int *slots; /* value index, -1 empty */
    size_t cap, used;
    unsigned char *flags;
    int flags_cap;
    struct imp_onnx_node *nodes;
    int n_nodes, cap_nodes;
    int *outs;
    int n_outs, cap_outs;
    int *ins;
    int cap_ins;
};

/* Index of the value called p[0..n), or -1. */
int imp_onnx_find(const struct imp_onnx_reader *r, const uint8_t *p, size_t n);
/* Make value v findable by its name (which must be new and non-empty). */
enum imp_status imp_onnx_bind(struct imp_onnx_reader *r, int v);
enum imp_status imp_onnx_set_flag(struct imp_onnx_reader *r, int v, unsigned f);
bool imp_onnx_has_flag(const struct imp_onnx_reader *r, int v, unsigned f);

/* The model's metadata_props and a few of its fields into g->meta
 * (onnx_meta.c); a second walk over the ModelProto. */
enum imp_status imp_onnx_read_metadata(struct imp_onnx_reader *r,
                                       const uint8_t *data, size_t size);

/* Pass 1 over node `index`: check its operator, create its outputs (and
 * fold Constant nodes into constants). Pass 2: resolve its inputs and add
 * it to the graph with its attributes. Errors name the node. */
enum imp_status imp_onnx_declare_node(struct imp_onnx_reader *r,
                                      struct imp_pb *graph,
                                      const struct imp_pb_field *f, int index);
enum imp_status imp_onnx_build_node(struct imp_onnx_reader *r,
                                    struct imp_pb *graph,
                                    const struct imp_pb_field *f, int index);

#endif
