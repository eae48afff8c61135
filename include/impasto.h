/*
 * impasto — a small CPU runtime for convolutional networks.
 *
 * A model is loaded once (ONNX, TFLite or .imp), optimised once, and is
 * immutable afterwards: many predictors may share it, one per thread.
 * A predictor owns every buffer it runs with; imp_predictor_run() never
 * allocates and cannot fail on data.
 *
 * Ownership: every object returned through an out-pointer belongs to the
 * caller and is released with the matching *_free(). Strings and info
 * structs handed out by query functions are borrowed: valid for as long as
 * the object they came from (outputs: until the next run or resize).
 */
#ifndef IMPASTO_H
#define IMPASTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Public symbols are the only ones the shared library exports. */
#if defined(__GNUC__)
#define IMP_API __attribute__((visibility("default")))
#else
#define IMP_API
#endif

#define IMP_VERSION_MAJOR 0
#define IMP_VERSION_MINOR 1

#define IMP_MAX_RANK 8
#define IMP_ERROR_MAX 320

enum imp_status {
    IMP_OK = 0,
    IMP_ERR_IO,          /* file could not be read or written          */
    IMP_ERR_FORMAT,      /* the bytes are not a valid model            */
    IMP_ERR_UNSUPPORTED, /* valid, but uses something impasto lacks    */
    IMP_ERR_SHAPE,       /* shapes do not fit together                 */
    IMP_ERR_ARGUMENT,    /* caller passed something wrong              */
    IMP_ERR_NOMEM,       /* allocation failed                          */
};

/* Element types. The numbering is part of the .imp format: never reorder. */
enum imp_dtype {
    IMP_DTYPE_UNDEFINED = 0,
    IMP_DTYPE_F32 = 1,
    IMP_DTYPE_F16 = 2,
    IMP_DTYPE_I64 = 3,
    IMP_DTYPE_I32 = 4,
    IMP_DTYPE_I8 = 5,
    IMP_DTYPE_U8 = 6,
    IMP_DTYPE_BOOL = 7,
    IMP_DTYPE_F64 = 8,
};

/* Instruction-set levels, ordered: a cap admits every level below it. */
enum imp_isa {
    IMP_ISA_SCALAR = 0,
    IMP_ISA_AVX2 = 1,   /* AVX2 + FMA                   */
    IMP_ISA_AVX512 = 2, /* AVX-512 F/BW/DQ/VL           */
    IMP_ISA_BEST = 99,  /* whatever this CPU supports   */
};

/* A readable failure: filled by every call that takes one (may be NULL). */
struct imp_error {
    enum imp_status status;
    char message[IMP_ERROR_MAX];
};

struct imp_tensor_info {
    const char *name;
    enum imp_dtype dtype;
    int rank;
    int64_t dims[IMP_MAX_RANK]; /* -1 where the model leaves a dim open */
};

struct imp_model;     /* immutable after load; share across threads */
struct imp_predictor; /* mutable; one thread at a time              */

IMP_API const char *imp_status_name(enum imp_status s);
IMP_API const char *imp_dtype_name(enum imp_dtype t);
IMP_API size_t imp_dtype_size(enum imp_dtype t);
IMP_API const char *imp_isa_name(enum imp_isa isa);
/* The best ISA this CPU (and this build) can run. */
IMP_API enum imp_isa imp_isa_detect(void);
/* Measured single-precision FMA peak of this machine in GFLOP/s for the
 * given ISA (capped to the CPU's) and thread count. Takes ~0.1 s. */
IMP_API double imp_measure_peak_gflops(enum imp_isa isa, int threads);

/* ---- model ------------------------------------------------------------ */

/* Load by content (ONNX, TFLite or .imp is recognised from the bytes). */
IMP_API enum imp_status imp_model_load_file(const char *path, struct imp_model **out,
                                    struct imp_error *err);
/* The buffer is copied; the caller may free it after the call. */
IMP_API enum imp_status imp_model_load_buffer(const void *data, size_t size,
                                      struct imp_model **out,
                                      struct imp_error *err);
IMP_API void imp_model_free(struct imp_model *m);

/* Write the optimised model as .imp (see docs/format.md), with its
 * metadata. Same as imp_model_save with the default options and format
 * IMP_FORMAT_IMP. */
IMP_API enum imp_status imp_model_save_imp(const struct imp_model *m, const char *path,
                                   struct imp_error *err);

/* ---- metadata ------------------------------------------------------------ */

/* A model carries string key/value pairs: style names, the input
 * convention, the recipe that made it (docs/format.md lists the well-known
 * keys, e.g. "impasto.input.range"). They come from an .imp file's
 * metadata section, from ONNX's metadata_props (plus "onnx.producer" and
 * "onnx.doc_string" from the model's fields), or from a TFLite model's
 * metadata entries that are plain text. Keys are unique, non-empty UTF-8;
 * values UTF-8 without NUL bytes. Keys and values are borrowed from the
 * model: valid until imp_model_free. */
IMP_API int imp_model_metadata_count(const struct imp_model *m);
/* Pair `index` in the model's order (as the file lists them); an index out
 * of range returns IMP_ERR_ARGUMENT. */
IMP_API enum imp_status imp_model_metadata_get(const struct imp_model *m, int index,
                                       const char **key, const char **value);
/* The value of `key`, or NULL when the model has none. */
IMP_API const char *imp_model_metadata_find(const struct imp_model *m,
                                    const char *key);

/* ---- saving ------------------------------------------------------------------ */

enum imp_model_format {
    IMP_FORMAT_AUTO = 0, /* by the path's extension: .onnx, else .imp */
    IMP_FORMAT_IMP = 1,  /* impasto's own, docs/format.md                 */
    IMP_FORMAT_ONNX = 2, /* standard ONNX (opset 17); fused nodes are
                            written as the standard nodes they stand for */
};

/* One metadata change; value NULL removes the key. Both are copied. */
struct imp_metadata_entry {
    const char *key;
    const char *value;
};

struct imp_save_options {
    enum imp_model_format format;
    /* Start from no pairs instead of the model's own. */
    int clear_metadata;
    /* Applied in order after that: each sets (replacing) or removes one
     * key. The model itself is not changed. */
    const struct imp_metadata_entry *metadata;
    int metadata_count;
};

IMP_API struct imp_save_options imp_save_options_default(void);
/* Write the model to `path` atomically (a temporary file in the same folder,
 * renamed into place: on failure the old file, if any, is untouched). A key
 * or value that breaks the rules above is IMP_ERR_ARGUMENT naming it. */
IMP_API enum imp_status imp_model_save(const struct imp_model *m, const char *path,
                               const struct imp_save_options *opt,
                               struct imp_error *err);

IMP_API int imp_model_input_count(const struct imp_model *m);
IMP_API int imp_model_output_count(const struct imp_model *m);
/* Index out of range returns IMP_ERR_ARGUMENT. */
IMP_API enum imp_status imp_model_input_info(const struct imp_model *m, int index,
                                     struct imp_tensor_info *info);
IMP_API enum imp_status imp_model_output_info(const struct imp_model *m, int index,
                                      struct imp_tensor_info *info);
/* The dims of input `index` that the model declares with a size but that
 * imp_predictor_resize_input may change all the same: bit d stands for
 * dim d. Found at load: a model without open dims whose graph, with two
 * dims of a rank-4 input doubled, still infers and gives outputs of the
 * same or doubled sizes (at least one doubled) -- a fully convolutional
 * network converted at one size (the Magenta TFLite transfer net, 384x384).
 * 0 for an index out of range, open dims, or a model bound to its size
 * (a Reshape to constant dims, a ConvTranspose output_shape...). */
IMP_API unsigned imp_model_input_resizable(const struct imp_model *m, int index);
/* Index of the input/output with this name, or -1. */
IMP_API int imp_model_find_input(const struct imp_model *m, const char *name);
IMP_API int imp_model_find_output(const struct imp_model *m, const char *name);
/* "onnx", "tflite" or "imp". */
IMP_API const char *imp_model_source_format(const struct imp_model *m);

/* ---- predictor ---------------------------------------------------------- */

struct imp_predictor_options {
    int threads;          /* 0 = the cores this process may use          */
    enum imp_isa max_isa; /* cap on the kernels used                      */
    /* Engine overrides, "op=engine[,op=engine...]", e.g. "Conv=ref".
     * NULL for none. Copied during init. */
    const char *engines;
    /* Time every node on each run (see imp_predictor_node_profile). */
    int profile;
    /* Choose each node's engine by timing the candidates while planning
     * (slower init, never slower runs) instead of by the built-in order.
     * An engines override still wins for its operator. */
    int autotune;
};

IMP_API struct imp_predictor_options imp_predictor_options_default(void);

IMP_API enum imp_status imp_predictor_init(const struct imp_model *m,
                                   const struct imp_predictor_options *opt,
                                   struct imp_predictor **out,
                                   struct imp_error *err);
IMP_API void imp_predictor_free(struct imp_predictor *p);

/* Change an input's shape; the predictor re-plans before the next run.
 * Open dims take any size, fixed ones only their own, except the dims
 * imp_model_input_resizable names. */
IMP_API enum imp_status imp_predictor_resize_input(struct imp_predictor *p, int index,
                                           int rank, const int64_t *dims);
/* Copy `bytes` bytes in; dtype must match the input's dtype and bytes its
 * current size. An input whose contents decide shapes (a Reshape's shape, a
 * Resize's scales fed by the caller) is read when planning: a new value for
 * it re-plans before the next run, as a resize does, and ends the borrow of
 * the outputs. */
IMP_API enum imp_status imp_predictor_set_input(struct imp_predictor *p, int index,
                                        const void *data, size_t bytes);
/* Replace a named weight (a model constant) for this predictor only:
 * e.g. instance-norm scale/shift for live style strength. The count of
 * float elements must equal the constant's. A weight that every reader
 * takes at run time (instance-norm scale and B) changes in time
 * proportional to its size, with no re-planning; one that an engine packed
 * at planning (convolution weights) makes the next run re-plan. */
IMP_API enum imp_status imp_predictor_set_param(struct imp_predictor *p,
                                        const char *name, const float *data,
                                        size_t count);
IMP_API enum imp_status imp_predictor_run(struct imp_predictor *p);
/* Borrowed until the next run, resize or free. */
IMP_API enum imp_status imp_predictor_output(struct imp_predictor *p, int index,
                                     struct imp_tensor_info *info,
                                     const void **data);
IMP_API const char *imp_predictor_last_error(const struct imp_predictor *p);

/* ---- instance-norm statistics (tiles, video) ------------------------------ */

/* How every InstanceNormalization of the model gets the mean and variance it
 * normalises each (n, c) plane by. Tiles of one large picture should share
 * the whole picture's statistics (else each tile gets its own colours), and
 * the frames of a video should not each jump to their own (flicker). */
enum imp_norm_stats_mode {
    IMP_NORM_STATS_MEASURED = 0, /* measured on this run's input (ONNX; default) */
    IMP_NORM_STATS_HELD = 1,     /* the held statistics, as set                  */
    IMP_NORM_STATS_SMOOTHED = 2, /* held = weight * held + (1 - weight) * measured,
                                    then normalised by held: an exponential
                                    average over the frames of a video           */
};
/* Takes effect at the next run, without re-planning; weight (SMOOTHED only)
 * in [0, 1]. While nothing is held (at first, after a reset, or after a
 * resize changed the sizes), a run in HELD or SMOOTHED mode normalises by
 * what it measures and holds that. */
IMP_API enum imp_status imp_predictor_set_norm_stats_mode(struct imp_predictor *p,
                                                  enum imp_norm_stats_mode mode,
                                                  double weight);
/* Entries of a statistics vector: the sum over the model's
 * InstanceNormalization nodes, in graph order, of N x C (planes, n-major)
 * at the current input shapes. Plans if needed. */
IMP_API enum imp_status imp_predictor_norm_stats_count(struct imp_predictor *p,
                                               size_t *count);
/* Copies what the last run measured (measured != 0; in HELD mode that is
 * what each norm's input gave with the held statistics upstream), or what
 * is held (0; zeros when nothing is). count must equal the entry count. */
IMP_API enum imp_status imp_predictor_get_norm_stats(struct imp_predictor *p,
                                             int measured, double *mean,
                                             double *var, size_t count);
/* Sets the held statistics (variances >= 0, all finite). */
IMP_API enum imp_status imp_predictor_set_norm_stats(struct imp_predictor *p,
                                             const double *mean,
                                             const double *var, size_t count);
/* Forgets the held statistics (a scene cut). */
IMP_API void imp_predictor_reset_norm_stats(struct imp_predictor *p);

/* ---- introspection (reports, bench, info) -------------------------------- */

IMP_API int imp_model_node_count(const struct imp_model *m);
/* Operator type (ONNX spelling) and name of node i, or NULL. */
IMP_API const char *imp_model_node_op(const struct imp_model *m, int i);
IMP_API const char *imp_model_node_name(const struct imp_model *m, int i);
/* Name of input k of node i (a weight's name for constant inputs), or NULL. */
IMP_API const char *imp_model_node_input(const struct imp_model *m, int i, int k);
/* A float32 weight of the optimised model by name, borrowed for the model's
 * life: what imp_predictor_set_param replaces (e.g. to mix the instance-norm
 * scales of two styles). Also the constants a multi-style network keeps
 * though no node reads them: every style's scales and shifts, named by its
 * metadata (impasto.style.NAME.params, docs/format.md). IMP_ERR_ARGUMENT
 * when there is no such weight. */
IMP_API enum imp_status imp_model_param(const struct imp_model *m, const char *name,
                                        const float **data, size_t *count);
/* Elements in all float weights (constants) of the optimised model. */
IMP_API int64_t imp_model_param_count(const struct imp_model *m);

struct imp_plan_stats {
    size_t arena_bytes;   /* activations + scratch, as planned          */
    size_t naive_bytes;   /* the same with no buffer sharing            */
    int64_t macs;         /* multiply-accumulates of one run            */
    int nodes_run;        /* nodes executed per run (after folding)     */
};
/* Plans for the current input shapes if needed. */
IMP_API enum imp_status imp_predictor_plan_stats(struct imp_predictor *p,
                                         struct imp_plan_stats *stats);

struct imp_node_profile {
    const char *op;     /* operator type                                  */
    const char *name;   /* node name                                      */
    const char *engine; /* engine that ran it                             */
    int64_t macs;       /* multiply-accumulates per run                   */
    double total_ms;    /* summed over runs since init/resize (profile=1) */
    int runs;
};
/* Nodes executed per run, in order; valid after a run. */
IMP_API int imp_predictor_node_count(const struct imp_predictor *p);
IMP_API enum imp_status imp_predictor_node_profile(const struct imp_predictor *p,
                                           int i, struct imp_node_profile *out);

#ifdef __cplusplus
}
#endif
#endif
