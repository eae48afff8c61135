/*
 * Engine choice by measurement (options.autotune).
 *
 * The default choice is the first engine in the operator's list whose
 * supports() accepts the node: a fixed cost model written into the list
 * order and the engines' shape tests. It is right for the shapes we
 * measured and can be wrong on another CPU or an unusual shape. Autotuning
 * prepares every fast engine that accepts the node, runs each on stand-in
 * inputs and keeps the quickest. "ref" is never a candidate while a fast
 * engine accepts the node: it exists to be correct, not quick, and timing
 * it on a large layer would cost seconds.
 *
 * The stand-ins are private buffers, so tuning works before the arena
 * exists and never touches the caller's data.
 */
#include "runtime/autotune.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/tensor.h"

#define TUNE_MAX_IO 16    /* nodes with more inputs/outputs are not tuned */
#define TUNE_TIMED_RUNS 3 /* after one warm-up run                         */

struct tune_buffers {
    struct imp_tensor in[TUNE_MAX_IO], out[TUNE_MAX_IO];
    const struct imp_tensor *in_ptr[TUNE_MAX_IO];
    struct imp_tensor *out_ptr[TUNE_MAX_IO];
    void *owned[2 * TUNE_MAX_IO + 1];
    int n_owned;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static void *tune_alloc(struct tune_buffers *b, size_t bytes)
{
    void *p = imp_aligned_alloc(bytes ? bytes : 64);
    if (p)
        b->owned[b->n_owned++] = p;
    return p;
}

static void tune_free(struct tune_buffers *b)
{
    for (int i = 0; i < b->n_owned; i++)
        imp_aligned_free(b->owned[i]);
    b->n_owned = 0;
}

/* Values in [-1, 1): any float data is a fair stand-in for a timing. */
static void fill_stand_in(float *x, size_t n)
{
    uint32_t s = 0x9e3779b9u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(s >> 8) / 8388608.0f - 1.0f;
    }
}

/* Point copies of the node's tensors at private buffers: inputs that have
 * no data yet (activations) get float stand-ins, outputs get room. Returns
 * false when the node cannot be tuned this way (non-float activations). */
static bool tune_buffers_init(struct tune_buffers *b, const struct imp_kernel_args *a,
                              struct imp_kernel_args *copy)
{
    memset(b, 0, sizeof *b);
    if (a->n_in > TUNE_MAX_IO || a->n_out > TUNE_MAX_IO)
        return false;
    for (int k = 0; k < a->n_in; k++) {
        if (!a->in[k])
            continue;
        b->in[k] = *a->in[k];
        b->in_ptr[k] = &b->in[k];
        if (b->in[k].data)
            continue;
        if (b->in[k].dtype != IMP_DTYPE_F32)
            return false;
        size_t bytes = imp_tensor_bytes(&b->in[k]);
        b->in[k].data = tune_alloc(b, bytes);
        if (!b->in[k].data)
            return false;
        fill_stand_in(b->in[k].data, bytes / sizeof(float));
    }
    for (int k = 0; k < a->n_out; k++) {
        b->out[k] = *a->out[k];
        b->out[k].data = tune_alloc(b, imp_tensor_bytes(&b->out[k]));
        if (!b->out[k].data)
            return false;
        b->out_ptr[k] = &b->out[k];
    }
    *copy = *a;
    copy->in = b->in_ptr;
    copy->out = b->out_ptr;
    return true;
}

/* Best time of a few runs of a prepared engine, or a negative number when
 * its scratch cannot be had. */
static double time_engine(const struct imp_engine *eng, struct imp_kernel_args *args,
                          size_t scratch_bytes)
{
    void *scratch = scratch_bytes ? imp_aligned_alloc(scratch_bytes) : NULL;
    if (scratch_bytes && !scratch)
        return -1.0;
    args->scratch = scratch;
    eng->run(args); /* warm-up: caches, page faults, thread wake-up */
    double best = 0.0;
    for (int r = 0; r < TUNE_TIMED_RUNS; r++) {
        double t0 = now_ms();
        eng->run(args);
        double t = now_ms() - t0;
        if (r == 0 || t < best)
            best = t;
    }
    imp_aligned_free(scratch);
    args->scratch = NULL;
    return best;
}

static void release_engine(const struct imp_engine *eng, void *state)
{
    if (eng->release && state)
        eng->release(state);
}

bool imp_autotune_engine(const struct imp_op_def *def, const struct imp_kernel_args *a,
                         struct imp_tuned_engine *out)
{
    memset(out, 0, sizeof *out);
    const struct imp_engine *cands[32];
    int n = 0;
    for (int i = 0; def->engines && def->engines[i] && n < 32; i++) {
        const struct imp_engine *eng = def->engines[i];
        if (strcmp(eng->name, "ref") != 0 && (!eng->supports || eng->supports(a)))
            cands[n++] = eng;
    }
    if (n < 2)
        return false; /* nothing to choose between */
    struct tune_buffers bufs;
    struct imp_kernel_args args;
    if (!tune_buffers_init(&bufs, a, &args)) {
        tune_free(&bufs);
        return false;
    }
    for (int i = 0; i < n; i++) {
        void *state = NULL;
        size_t scratch = 0;
        if (cands[i]->prepare) {
            struct imp_error ignored;
            imp_error_clear(&ignored);
            /* An engine that cannot prepare this node simply drops out. */
            if (cands[i]->prepare(a, &state, &scratch, &ignored) != IMP_OK) {
                release_engine(cands[i], state);
                continue;
            }
        }
        args.state = state;
        double ms = time_engine(cands[i], &args, scratch);
        if (ms >= 0.0 && (!out->engine || ms < out->ms)) {
            if (out->engine)
                release_engine(out->engine, out->state);
            *out = (struct imp_tuned_engine){cands[i], state, scratch, ms};
        } else {
            release_engine(cands[i], state);
        }
    }
    tune_free(&bufs);
    return out->engine != NULL;
}
