/*
 * The predictor: per-thread state for running a model.
 *
 * Planning happens when shapes or weights change (init, resize, set_param):
 * shape inference with plan-time folding, engine choice and preparation
 * (weight packing), then memory planning into one arena. Running walks the
 * prepared nodes and calls their engines; it allocates nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/autotune.h"
#include "ops/eval.h"
#include "kernels/isa_select.h"
#include "runtime/infer.h"
#include "runtime/model.h"
#include "runtime/norm_stats.h"
#include "runtime/plan_inputs.h"
#include "runtime/planner.h"
#include "core/threadpool.h"
#include "core/util.h"

struct exec_node {
    const struct imp_node *node;
    const struct imp_engine *engine;
    void *state;
    size_t scratch_bytes;
    int scratch_buffer; /* index into the plan's buffers, or -1 */
    struct imp_kernel_args args;
    int64_t macs;
    double total_ms;
    int runs;
};

struct imp_predictor {
    const struct imp_model *model;
    const struct imp_graph *g;
    struct imp_predictor_options opt;
    char *engine_spec; /* owned copy of opt.engines */
    enum imp_isa isa;
    struct imp_threadpool *pool;

    struct imp_shape *input_shapes;
    void **input_data; /* per graph input, owned, sized to its shape */
    /* per graph input: its contents are read at plan time (a Reshape's
     * shape fed by the caller), so a new value re-plans */
    bool *plan_input;
    bool *plan_input_set; /* set_input has given it a value */
    int n_plan_inputs;
    void **param_data; /* per value: set_param override, owned, or NULL */

    bool planned;
    struct imp_inference inf;
    struct exec_node *exec;
    int n_exec;
    const struct imp_tensor **in_ptrs; /* flat storage for args.in  */
    struct imp_tensor **out_ptrs;      /* flat storage for args.out */
    uint8_t *arena;
    size_t arena_cap;
    struct imp_plan_stats stats;
    struct imp_norm_stats_table norm_stats; /* survives re-planning */

    struct imp_error error;
};

struct imp_predictor_options imp_predictor_options_default(void)
{
    struct imp_predictor_options o = {0};
    o.threads = 0;
    o.max_isa = IMP_ISA_BEST;
    o.engines = NULL;
    o.profile = 0;
    o.autotune = 0;
    return o;
}

static int default_threads(void)
{
    long n = 1;
#ifdef _SC_NPROCESSORS_ONLN
    n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

static size_t input_bytes(const struct imp_predictor *p, int i)
{
    int64_t n = imp_shape_count(&p->input_shapes[i]);
    int v = p->g->inputs[i];
    return n < 0 ? 0 : (size_t)n * imp_dtype_size(p->g->values[v].dtype);
}

static void release_plan(struct imp_predictor *p)
{
    for (int i = 0; i < p->n_exec; i++) {
        struct exec_node *e = &p->exec[i];
        if (e->engine && e->engine->release && e->state)
            e->engine->release(e->state);
    }
    free(p->exec);
    free(p->in_ptrs);
    free(p->out_ptrs);
    p->exec = NULL;
    p->in_ptrs = NULL;
    p->out_ptrs = NULL;
    p->n_exec = 0;
    imp_inference_release(&p->inf);
    p->planned = false;
}

/* The engine for node `n`: the user's override for its op, else the first
 * that supports it. `*overridden` says which. */
static enum imp_status choose_engine(struct imp_predictor *p,
                                     struct exec_node *e, bool *overridden)
{
    *overridden = false;
    const struct imp_node *n = e->node;
    const char *opname = imp_op_name(n->op);
    const struct imp_op_def *def = imp_op_get(n->op);
    if (p->engine_spec) {
        size_t oplen = strlen(opname);
        for (const char *s = p->engine_spec; *s;) {
            const char *end = strchr(s, ',');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len > oplen + 1 && strncmp(s, opname, oplen) == 0 && s[oplen] == '=') {
                char want[64];
                size_t wl = len - oplen - 1;
                if (wl >= sizeof want)
                    wl = sizeof want - 1;
                memcpy(want, s + oplen + 1, wl);
                want[wl] = '\0';
                const struct imp_engine *eng = imp_engine_find(n->op, want);
                if (!eng)
                    return imp_fail(&p->error, IMP_ERR_ARGUMENT,
                                    "engine '%s' does not exist for %s", want, opname);
                if (eng->supports && !eng->supports(&e->args))
                    return imp_fail(&p->error, IMP_ERR_UNSUPPORTED,
                                    "node '%s' (%s): engine '%s' cannot run it",
                                    n->name, opname, want);
                e->engine = eng;
                *overridden = true;
                return IMP_OK;
            }
            s += len;
            if (*s == ',')
                s++;
        }
    }
    for (int i = 0; def->engines && def->engines[i]; i++) {
        const struct imp_engine *eng = def->engines[i];
        if (!eng->supports || eng->supports(&e->args)) {
            e->engine = eng;
            return IMP_OK;
        }
    }
    return imp_fail(&p->error, IMP_ERR_UNSUPPORTED,
                    "node '%s' (%s): no engine supports it", n->name, opname);
}

static int64_t node_macs(const struct imp_node *n, const struct imp_tensor *const *in,
                         const struct imp_tensor *const *out)
{
    if (n->n_outputs < 1 || n->n_inputs < 2 || !in[0] || !in[1])
        return 0;
    const struct imp_shape *w = &in[1]->shape;
    int64_t outn = imp_shape_count(&out[0]->shape);
    switch (n->op) {
    case IMP_OP_CONV: { /* each output element: Cin/group * kernel area */
        int64_t per = 1;
        for (int d = 1; d < w->rank; d++)
            per *= w->d[d];
        return outn * per;
    }
    case IMP_OP_CONV_TRANSPOSE: { /* each input element scatters Cout/g*k */
        int64_t per = 1;
        for (int d = 1; d < w->rank; d++)
            per *= w->d[d];
        return imp_shape_count(&in[0]->shape) * per;
    }
    case IMP_OP_GEMM:
    case IMP_OP_MATMUL: {
        const struct imp_shape *a = &in[0]->shape;
        if (a->rank < 1)
            return 0;
        int64_t k = a->d[a->rank - 1];
        if (n->op == IMP_OP_GEMM && imp_node_int(n, "transA", 0) && a->rank == 2)
            k = a->d[0];
        return outn * k;
    }
    default:
        return 0;
    }
}

static void nothing_to_compute(const struct imp_kernel_args *a)
{
    (void)a;
}

static const struct imp_engine empty_output_engine = {
    .name = "empty", .run = nothing_to_compute};

static bool outputs_empty(const struct imp_kernel_args *a)
{
    for (int k = 0; k < a->n_out; k++)
        if (imp_shape_count(&a->out[k]->shape) != 0)
            return false;
    return a->n_out > 0;
}

struct value_buf {
    int buffer;   /* plan buffer index, or -1 for none       */
    int last_use; /* last exec position that reads the value */
};

static enum imp_status plan(struct imp_predictor *p)
{
    const struct imp_graph *g = p->g;
    release_plan(p);
    /* Only plan-time inputs are known while planning: engines see no data
     * for the others, so none can pack or read what changes per run. */
    void **plan_data = calloc((size_t)g->n_inputs + 1, sizeof *plan_data);
    if (!plan_data)
        return imp_fail(&p->error, IMP_ERR_NOMEM, "out of memory planning");
    for (int i = 0; i < g->n_inputs; i++)
        plan_data[i] = p->plan_input[i] ? p->input_data[i] : NULL;
    enum imp_status st = imp_infer_graph(g, p->input_shapes, plan_data, p->param_data,
                                         &p->inf, &p->error);
    free(plan_data);
    if (st != IMP_OK) {
        /* Zeros for a shape are a likely reason: say which input waits. */
        for (int i = 0; i < g->n_inputs; i++)
            if (p->plan_input[i] && !p->plan_input_set[i]) {
                imp_error_prefix(&p->error, "input '%s' gives shapes and has no value yet",
                                 g->values[g->inputs[i]].name);
                break;
            }
        return st;
    }
    struct imp_tensor *t = p->inf.tensors;

    int n_exec = 0, n_in = 0, n_out = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (p->inf.folded[ni])
            continue;
        n_exec++;
        n_in += g->nodes[ni].n_inputs;
        n_out += g->nodes[ni].n_outputs;
    }
    p->exec = calloc((size_t)n_exec + 1, sizeof *p->exec);
    p->in_ptrs = calloc((size_t)n_in + 1, sizeof *p->in_ptrs);
    p->out_ptrs = calloc((size_t)n_out + 1, sizeof *p->out_ptrs);
    struct value_buf *vb = malloc(sizeof *vb * (size_t)(g->n_values + 1));
    /* At most one buffer per activation output plus one scratch per node. */
    struct imp_plan_buffer *bufs =
        calloc((size_t)(n_out + n_exec + 1), sizeof *bufs);
    if (!p->exec || !p->in_ptrs || !p->out_ptrs || !vb || !bufs) {
        st = imp_fail(&p->error, IMP_ERR_NOMEM, "out of memory planning");
        goto done;
    }

    /* Wire up kernel arguments and find each value's last reader. */
    for (int v = 0; v < g->n_values; v++)
        vb[v] = (struct value_buf){-1, -1};
    n_in = n_out = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (p->inf.folded[ni])
            continue;
        const struct imp_node *n = &g->nodes[ni];
        struct exec_node *e = &p->exec[p->n_exec];
        e->node = n;
        e->scratch_buffer = -1;
        e->args.node = n;
        e->args.in = &p->in_ptrs[n_in];
        e->args.n_in = n->n_inputs;
        e->args.out = &p->out_ptrs[n_out];
        e->args.n_out = n->n_outputs;
        e->args.pool = p->pool;
        e->args.isa = p->isa;
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            p->in_ptrs[n_in++] = v >= 0 ? &t[v] : NULL;
            if (v >= 0)
                vb[v].last_use = p->n_exec;
        }
        for (int k = 0; k < n->n_outputs; k++)
            p->out_ptrs[n_out++] = &t[n->outputs[k]];
        e->macs = node_macs(n, e->args.in, (const struct imp_tensor *const *)e->args.out);
        p->n_exec++;
    }
    for (int i = 0; i < g->n_outputs; i++)
        vb[g->outputs[i]].last_use = p->n_exec; /* outputs outlive the run */

    /* Refuse a plan beyond the arena limit before any engine prepares:
     * some prepare work grows with the output (Pad's index tables), so a
     * hostile shape would otherwise cost minutes and gigabytes first. */
    for (int i = 0; i < p->n_exec; i++) {
        const struct imp_node *n = p->exec[i].node;
        for (int k = 0; k < n->n_outputs; k++) {
            size_t bytes = imp_tensor_bytes(&t[n->outputs[k]]);
            if (bytes > IMP_MAX_ARENA_BYTES) {
                st = imp_fail(&p->error, IMP_ERR_NOMEM,
                              "node '%s' (%s): its output would take %.1f GiB, "
                              "more than impasto allows", n->name,
                              imp_op_name(n->op), (double)bytes / (1 << 30));
                goto done;
            }
        }
    }

    /* Engines: choose and prepare (constant inputs have data already). A
     * node whose outputs are all empty has nothing to compute: it gets no
     * engine work at all, however large its other dims (a hostile [0, 2^30]
     * must not make an engine build tables). */
    for (int i = 0; i < p->n_exec; i++) {
        struct exec_node *e = &p->exec[i];
        if (outputs_empty(&e->args)) {
            e->engine = &empty_output_engine;
            continue;
        }
        bool overridden;
        st = choose_engine(p, e, &overridden);
        struct imp_tuned_engine tuned;
        if (st == IMP_OK && p->opt.autotune && !overridden &&
            imp_autotune_engine(imp_op_get(e->node->op), &e->args, &tuned)) {
            e->engine = tuned.engine;
            e->state = tuned.state;
            e->scratch_bytes = tuned.scratch_bytes;
        } else if (st == IMP_OK && e->engine->prepare) {
            st = e->engine->prepare(&e->args, &e->state, &e->scratch_bytes,
                                    &p->error);
            if (st != IMP_OK)
                imp_error_prefix(&p->error, "node '%s' (%s)", e->node->name,
                                 imp_op_name(e->node->op));
        }
        if (st != IMP_OK)
            goto done;
    }

    /* After the engines: autotuning runs them on stand-in data, which must
     * not touch the statistics the caller holds. */
    imp_norm_stats_begin_plan(&p->norm_stats);
    for (int i = 0; i < p->n_exec; i++) {
        struct exec_node *e = &p->exec[i];
        st = imp_norm_stats_attach(&p->norm_stats, g, (int)(e->node - g->nodes),
                                   &e->args, &p->error);
        if (st != IMP_OK)
            goto done;
    }

    /* Engines are prepared: now every input gets its data, for running
     * and for the views below. */
    for (int i = 0; i < g->n_inputs; i++)
        t[g->inputs[i]].data = p->input_data[i];

    /* Buffers: one per activation, shared by aliases and in-place ops. */
    int n_bufs = 0;
    size_t naive = 0;
    for (int i = 0; i < p->n_exec; i++) {
        struct exec_node *e = &p->exec[i];
        const struct imp_node *n = e->node;
        unsigned flags = imp_op_get(n->op)->flags;
        for (int k = 0; k < n->n_outputs; k++) {
            int v = n->outputs[k];
            size_t bytes = imp_tensor_bytes(&t[v]);
            naive += bytes;
            int src = k == 0 && n->n_inputs > 0 ? n->inputs[0] : -1;
            if (src >= 0 && (flags & IMP_OPF_ALIAS)) {
                if (vb[src].buffer >= 0) {
                    vb[v].buffer = vb[src].buffer;
                    struct imp_plan_buffer *b = &bufs[vb[v].buffer];
                    if (vb[v].last_use > b->last)
                        b->last = vb[v].last_use;
                } else {
                    /* A view of an input, constant or folded value. */
                    t[v].data = t[src].data;
                }
                continue;
            }
            if (src >= 0 && (flags & IMP_OPF_INPLACE) && vb[src].buffer >= 0 &&
                bufs[vb[src].buffer].last <= i &&
                imp_tensor_bytes(&t[src]) == bytes) {
                vb[v].buffer = vb[src].buffer;
                bufs[vb[v].buffer].last = vb[v].last_use > i ? vb[v].last_use : i;
                continue;
            }
            vb[v].buffer = n_bufs;
            bufs[n_bufs++] = (struct imp_plan_buffer){
                .size = bytes, .first = i,
                .last = vb[v].last_use > i ? vb[v].last_use : i};
        }
        if (e->scratch_bytes) {
            naive += e->scratch_bytes;
            e->scratch_buffer = n_bufs;
            bufs[n_bufs++] = (struct imp_plan_buffer){
                .size = e->scratch_bytes, .first = i, .last = i};
        }
    }
    size_t total = imp_plan_memory(bufs, n_bufs);
    if (total == (size_t)-1) {
        st = imp_fail(&p->error, IMP_ERR_NOMEM, "out of memory planning");
        goto done;
    }
    if (total > IMP_MAX_ARENA_BYTES) {
        st = imp_fail(&p->error, IMP_ERR_NOMEM,
                      "the plan needs %.1f GiB of activations, more than impasto allows",
                      (double)total / (1 << 30));
        goto done;
    }
    /* Always a real arena, even for a plan of empty tensors: data pointers
     * are arena offsets, and an offset from NULL is undefined. */
    if (total > p->arena_cap || !p->arena) {
        imp_aligned_free(p->arena);
        p->arena = imp_aligned_alloc(total);
        p->arena_cap = p->arena ? total : 0;
        if (!p->arena) {
            st = imp_fail(&p->error, IMP_ERR_NOMEM,
                          "out of memory: %zu bytes of activations", total);
            goto done;
        }
    }
    for (int v = 0; v < g->n_values; v++)
        if (vb[v].buffer >= 0)
            t[v].data = p->arena + bufs[vb[v].buffer].offset;
    p->stats = (struct imp_plan_stats){.arena_bytes = total, .naive_bytes = naive,
                                       .nodes_run = p->n_exec};
    for (int i = 0; i < p->n_exec; i++) {
        struct exec_node *e = &p->exec[i];
        if (e->scratch_buffer >= 0)
            e->args.scratch = p->arena + bufs[e->scratch_buffer].offset;
        e->args.state = e->state;
        p->stats.macs += e->macs;
    }
    p->planned = true;
done:
    free(vb);
    free(bufs);
    if (st != IMP_OK)
        release_plan(p);
    return st;
}

static bool has_open_dims(const struct imp_graph *g)
{
    for (int i = 0; i < g->n_inputs; i++) {
        const struct imp_shape *s = &g->values[g->inputs[i]].shape;
        for (int d = 0; d < s->rank; d++)
            if (s->d[d] < 0)
                return true;
    }
    return false;
}

enum imp_status imp_predictor_init(const struct imp_model *m,
                                   const struct imp_predictor_options *opt,
                                   struct imp_predictor **out,
                                   struct imp_error *err)
{
    imp_error_clear(err);
    if (!m || !out)
        return imp_fail(err, IMP_ERR_ARGUMENT, "null argument");
    *out = NULL;
    struct imp_predictor *p = calloc(1, sizeof *p);
    if (!p)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    p->model = m;
    p->g = &m->graph;
    p->opt = opt ? *opt : imp_predictor_options_default();
    if (p->opt.engines) {
        p->engine_spec = imp_strdup(p->opt.engines);
        p->opt.engines = p->engine_spec;
    }
    p->isa = imp_isa_usable(p->opt.max_isa);
    int threads = p->opt.threads > 0 ? p->opt.threads : default_threads();
    p->pool = imp_threadpool_create(threads);
    const struct imp_graph *g = p->g;
    p->input_shapes = calloc((size_t)g->n_inputs + 1, sizeof *p->input_shapes);
    p->input_data = calloc((size_t)g->n_inputs + 1, sizeof *p->input_data);
    p->param_data = calloc((size_t)g->n_values + 1, sizeof *p->param_data);
    p->plan_input = calloc((size_t)g->n_inputs + 1, sizeof *p->plan_input);
    p->plan_input_set = calloc((size_t)g->n_inputs + 1, sizeof *p->plan_input_set);
    p->n_plan_inputs = p->plan_input ? imp_find_plan_inputs(g, p->plan_input) : -1;
    enum imp_status st = IMP_OK;
    if (!p->input_shapes || !p->input_data || !p->param_data || p->n_plan_inputs < 0 ||
        !p->plan_input_set ||
        (p->opt.engines && !p->engine_spec)) {
        st = imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        p->input_shapes[i] = m->input_shapes[i];
        p->input_data[i] = imp_aligned_alloc(input_bytes(p, i));
        if (!p->input_data[i]) {
            st = imp_fail(err, IMP_ERR_NOMEM, "out of memory");
            goto fail;
        }
        memset(p->input_data[i], 0, input_bytes(p, i));
    }
    /* Plan now so errors surface here. When the model leaves dims open,
     * the stand-in shape may not fit it, nor zeros a plan-time input:
     * planning then waits for the caller's resize or input (and any error
     * comes from run). */
    st = plan(p);
    if (st != IMP_OK && ((!has_open_dims(g) && p->n_plan_inputs == 0) ||
                         st == IMP_ERR_NOMEM)) {
        if (err)
            *err = p->error;
        goto fail;
    }
    imp_error_clear(&p->error);
    *out = p;
    return IMP_OK;
fail:
    imp_predictor_free(p);
    return st;
}

void imp_predictor_free(struct imp_predictor *p)
{
    if (!p)
        return;
    release_plan(p);
    for (int i = 0; p->input_data && i < p->g->n_inputs; i++)
        imp_aligned_free(p->input_data[i]);
    for (int v = 0; p->param_data && v < p->g->n_values; v++)
        imp_aligned_free(p->param_data[v]);
    free(p->input_data);
    free(p->param_data);
    free(p->plan_input);
    free(p->plan_input_set);
    free(p->input_shapes);
    free(p->engine_spec);
    imp_aligned_free(p->arena);
    imp_threadpool_free(p->pool);
    imp_norm_stats_free(&p->norm_stats);
    free(p);
}

static enum imp_status fail_p(struct imp_predictor *p, enum imp_status st)
{
    p->error.status = st;
    return st;
}

enum imp_status imp_predictor_resize_input(struct imp_predictor *p, int index,
                                           int rank, const int64_t *dims)
{
    if (!p)
        return IMP_ERR_ARGUMENT;
    if (index < 0 || index >= p->g->n_inputs)
        return imp_fail(&p->error, IMP_ERR_ARGUMENT, "no input #%d", index);
    if (rank < 0 || rank > IMP_MAX_RANK || (rank && !dims))
        return imp_fail(&p->error, IMP_ERR_ARGUMENT, "bad rank %d", rank);
    const struct imp_value *v = &p->g->values[p->g->inputs[index]];
    if (v->shape.rank != rank)
        return imp_fail(&p->error, IMP_ERR_SHAPE,
                        "input '%s' has rank %d, not %d", v->name, v->shape.rank, rank);
    const unsigned resizable = imp_model_input_resizable(p->model, index);
    for (int d = 0; d < rank; d++) {
        /* A dim the model fixes is fine at its value, even 0: the model
         * loaded and planned with it. */
        bool fixed = v->shape.d[d] >= 0 && !(resizable >> d & 1u);
        bool fixed_value = fixed && v->shape.d[d] == dims[d];
        if (!fixed_value && (dims[d] < 1 || dims[d] > (1 << 24)))
            return imp_fail(&p->error, IMP_ERR_SHAPE,
                            "input '%s': dim %d = %lld is out of range", v->name, d,
                            (long long)dims[d]);
        if (fixed && v->shape.d[d] != dims[d])
            return imp_fail(&p->error, IMP_ERR_SHAPE,
                            "input '%s': dim %d is fixed at %lld by the model",
                            v->name, d, (long long)v->shape.d[d]);
    }
    struct imp_shape s = imp_shape_make(rank, dims);
    int64_t count = imp_shape_count(&s);
    if (count < 0 || count > IMP_MAX_INPUT_ELEMENTS)
        return imp_fail(&p->error, IMP_ERR_SHAPE, "input '%s' is too large", v->name);
    if (imp_shape_equal(&s, &p->input_shapes[index]))
        return IMP_OK;
    void *buf = imp_aligned_alloc((size_t)count * imp_dtype_size(v->dtype));
    if (!buf)
        return imp_fail(&p->error, IMP_ERR_NOMEM, "out of memory");
    memset(buf, 0, (size_t)count * imp_dtype_size(v->dtype));
    imp_aligned_free(p->input_data[index]);
    p->input_data[index] = buf;
    p->input_shapes[index] = s;
    p->plan_input_set[index] = false; /* zeros again */
    release_plan(p);
    return IMP_OK;
}

enum imp_status imp_predictor_set_input(struct imp_predictor *p, int index,
                                        const void *data, size_t bytes)
{
    if (!p)
        return IMP_ERR_ARGUMENT;
    if (index < 0 || index >= p->g->n_inputs)
        return imp_fail(&p->error, IMP_ERR_ARGUMENT, "no input #%d", index);
    size_t want = input_bytes(p, index);
    if (bytes != want || (!data && bytes))
        return imp_fail(&p->error, IMP_ERR_SHAPE,
                        "input '%s' takes %zu bytes, got %zu",
                        p->g->values[p->g->inputs[index]].name, want, bytes);
    /* A plan-time input re-plans when its contents change. */
    if (p->plan_input[index] && bytes && memcmp(p->input_data[index], data, bytes) != 0)
        release_plan(p);
    p->plan_input_set[index] = true;
    memcpy(p->input_data[index], data, bytes);
    return IMP_OK;
}

/* Whether weight v is read by run alone in the current plan: no node
 * folded at plan time reads it, no graph output is it, and every running
 * reader's engine declares that input live (imp_engine.live_inputs). */
static bool read_live(const struct imp_predictor *p, int v)
{
    const struct imp_graph *g = p->g;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == v)
            return false;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (!p->inf.folded[ni])
            continue;
        for (int k = 0; k < g->nodes[ni].n_inputs; k++)
            if (g->nodes[ni].inputs[k] == v)
                return false;
    }
    for (int i = 0; i < p->n_exec; i++) {
        const struct exec_node *e = &p->exec[i];
        for (int k = 0; k < e->node->n_inputs; k++)
            if (e->node->inputs[k] == v &&
                (k >= 32 || !(e->engine->live_inputs & (1u << k))))
                return false;
    }
    return true;
}

enum imp_status imp_predictor_set_param(struct imp_predictor *p,
                                        const char *name, const float *data,
                                        size_t count)
{
    if (!p || !name || (!data && count))
        return IMP_ERR_ARGUMENT;
    int v = imp_graph_find_value(p->g, name);
    if (v < 0 || p->g->values[v].kind != IMP_VALUE_CONST)
        return imp_fail(&p->error, IMP_ERR_ARGUMENT,
                        "no weight named '%s' (it may have been folded away)", name);
    const struct imp_value *val = &p->g->values[v];
    int64_t n = imp_shape_count(&val->shape);
    if (val->dtype != IMP_DTYPE_F32 || n < 0 || (size_t)n != count)
        return imp_fail(&p->error, IMP_ERR_SHAPE,
                        "weight '%s' holds %lld %s values, got %zu floats", name,
                        (long long)n, imp_dtype_name(val->dtype), count);
    if (!p->param_data[v]) {
        p->param_data[v] = imp_aligned_alloc(count * sizeof(float));
        if (!p->param_data[v])
            return imp_fail(&p->error, IMP_ERR_NOMEM, "out of memory");
    }
    memcpy(p->param_data[v], data, count * sizeof(float));
    if (p->planned && read_live(p, v)) {
        /* Every reader takes the values at run: point at the new ones. */
        p->inf.tensors[v].data = p->param_data[v];
        return IMP_OK;
    }
    /* An engine packed the old values, or planning used them: plan again. */
    release_plan(p);
    return IMP_OK;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

enum imp_status imp_predictor_run(struct imp_predictor *p)
{
    if (!p)
        return IMP_ERR_ARGUMENT;
    if (!p->planned) {
        enum imp_status st = plan(p);
        if (st != IMP_OK)
            return st;
    }
    if (p->opt.profile) {
        for (int i = 0; i < p->n_exec; i++) {
            struct exec_node *e = &p->exec[i];
            double t0 = now_ms();
            e->engine->run(&e->args);
            e->total_ms += now_ms() - t0;
            e->runs++;
        }
    } else {
        for (int i = 0; i < p->n_exec; i++)
            p->exec[i].engine->run(&p->exec[i].args);
    }
    imp_norm_stats_after_run(&p->norm_stats);
    return IMP_OK;
}

enum imp_status imp_predictor_set_norm_stats_mode(struct imp_predictor *p,
                                                  enum imp_norm_stats_mode mode,
                                                  double weight)
{
    if (!p)
        return IMP_ERR_ARGUMENT;
    if (mode != IMP_NORM_STATS_MEASURED && mode != IMP_NORM_STATS_HELD &&
        mode != IMP_NORM_STATS_SMOOTHED)
        return imp_fail(&p->error, IMP_ERR_ARGUMENT, "unknown norm statistics mode %d",
                        (int)mode);
    if (!(weight >= 0.0 && weight <= 1.0))
        return imp_fail(&p->error, IMP_ERR_ARGUMENT,
                        "norm statistics weight %g is not in [0, 1]", weight);
    imp_norm_stats_set_mode(&p->norm_stats, mode, weight);
    return IMP_OK;
}

enum imp_status imp_predictor_norm_stats_count(struct imp_predictor *p, size_t *count)
{
    if (!p || !count)
        return IMP_ERR_ARGUMENT;
    if (!p->planned) {
        enum imp_status st = plan(p);
        if (st != IMP_OK)
            return st;
    }
    *count = imp_norm_stats_entries(&p->norm_stats);
    return IMP_OK;
}

/* The entry count, checked against the caller's. */
static enum imp_status norm_stats_check_count(struct imp_predictor *p, size_t count)
{
    size_t want;
    enum imp_status st = imp_predictor_norm_stats_count(p, &want);
    if (st != IMP_OK)
        return st;
    if (count != want)
        return imp_fail(&p->error, IMP_ERR_SHAPE,
                        "the model has %zu norm statistics entries at this shape, not %zu",
                        want, count);
    return IMP_OK;
}

enum imp_status imp_predictor_get_norm_stats(struct imp_predictor *p, int measured,
                                             double *mean, double *var, size_t count)
{
    if (!p || ((!mean || !var) && count))
        return IMP_ERR_ARGUMENT;
    enum imp_status st = norm_stats_check_count(p, count);
    if (st != IMP_OK)
        return st;
    imp_norm_stats_copy_out(&p->norm_stats, measured, mean, var);
    return IMP_OK;
}

enum imp_status imp_predictor_set_norm_stats(struct imp_predictor *p, const double *mean,
                                             const double *var, size_t count)
{
    if (!p || ((!mean || !var) && count))
        return IMP_ERR_ARGUMENT;
    enum imp_status st = norm_stats_check_count(p, count);
    if (st != IMP_OK)
        return st;
    for (size_t i = 0; i < count; i++)
        if (!isfinite(mean[i]) || !isfinite(var[i]) || var[i] < 0.0)
            return imp_fail(&p->error, IMP_ERR_ARGUMENT,
                            "norm statistics entry %zu is not a finite mean and a "
                            "finite variance >= 0", i);
    imp_norm_stats_copy_in(&p->norm_stats, mean, var);
    return IMP_OK;
}

void imp_predictor_reset_norm_stats(struct imp_predictor *p)
{
    if (p)
        imp_norm_stats_reset(&p->norm_stats);
}

enum imp_status imp_predictor_output(struct imp_predictor *p, int index,
                                     struct imp_tensor_info *info,
                                     const void **data)
{
    if (!p)
        return IMP_ERR_ARGUMENT;
    if (index < 0 || index >= p->g->n_outputs)
        return imp_fail(&p->error, IMP_ERR_ARGUMENT, "no output #%d", index);
    if (!p->planned)
        return imp_fail(&p->error, IMP_ERR_ARGUMENT,
                        "outputs exist only after a run");
    int v = p->g->outputs[index];
    const struct imp_tensor *t = &p->inf.tensors[v];
    if (info) {
        info->name = p->g->values[v].name;
        info->dtype = t->dtype;
        info->rank = t->shape.rank;
        memcpy(info->dims, t->shape.d, sizeof info->dims);
    }
    if (data)
        *data = t->data;
    return IMP_OK;
}

const char *imp_predictor_last_error(const struct imp_predictor *p)
{
    return p ? p->error.message : "null predictor";
}

enum imp_status imp_predictor_plan_stats(struct imp_predictor *p,
                                         struct imp_plan_stats *stats)
{
    if (!p || !stats)
        return IMP_ERR_ARGUMENT;
    if (!p->planned) {
        enum imp_status st = plan(p);
        if (st != IMP_OK)
            return fail_p(p, st);
    }
    *stats = p->stats;
    return IMP_OK;
}

int imp_predictor_node_count(const struct imp_predictor *p)
{
    return p && p->planned ? p->n_exec : 0;
}

enum imp_status imp_predictor_node_profile(const struct imp_predictor *p,
                                           int i, struct imp_node_profile *out)
{
    if (!p || !out || !p->planned || i < 0 || i >= p->n_exec)
        return IMP_ERR_ARGUMENT;
    const struct exec_node *e = &p->exec[i];
    out->op = imp_op_name(e->node->op);
    out->name = e->node->name;
    out->engine = e->engine->name;
    out->macs = e->macs;
    out->total_ms = e->total_ms;
    out->runs = e->runs;
    return IMP_OK;
}
