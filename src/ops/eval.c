#include "ops/eval.h"

#include "core/dtype.h"

#include <string.h>

enum imp_status imp_node_infer(const struct imp_node *n,
                               const struct imp_tensor *const *in,
                               struct imp_tensor *out, struct imp_error *err)
{
    const struct imp_op_def *def = imp_op_get(n->op);
    if (!def || !def->infer)
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "no such operator");
    if (n->n_inputs > IMP_MAX_NODE_IO || n->n_outputs > IMP_MAX_NODE_IO)
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "more than %d inputs or outputs",
                        IMP_MAX_NODE_IO);
    for (int i = 0; i < n->n_outputs; i++)
        memset(&out[i], 0, sizeof out[i]);
    struct imp_infer_ctx c = {
        .node = n, .in = in, .n_in = n->n_inputs,
        .out = out, .n_out = n->n_outputs, .err = err,
    };
    enum imp_status st = def->infer(&c);
    if (st != IMP_OK)
        return st;
    for (int i = 0; i < n->n_outputs; i++) {
        int64_t count = imp_shape_count(&out[i].shape);
        if (count < 0 || !imp_dtype_valid(out[i].dtype))
            return imp_fail(err, IMP_ERR_SHAPE, "output %d has no definite shape", i);
        /* Far beyond any arena we allow; keeps byte sizes from overflowing. */
        if (count > ((int64_t)1 << 40))
            return imp_fail(err, IMP_ERR_SHAPE, "output %d would have %lld elements", i,
                            (long long)count);
    }
    return IMP_OK;
}

const struct imp_engine *imp_engine_find(enum imp_op op, const char *name)
{
    const struct imp_op_def *def = imp_op_get(op);
    if (!def || !def->engines)
        return NULL;
    for (int i = 0; def->engines[i]; i++)
        if (strcmp(def->engines[i]->name, name) == 0)
            return def->engines[i];
    return NULL;
}

const struct imp_engine *imp_engine_ref(enum imp_op op)
{
    return imp_engine_find(op, "ref");
}

enum imp_status imp_node_eval(const struct imp_node *n,
                              const struct imp_tensor *const *in,
                              struct imp_tensor *out, struct imp_error *err)
{
    enum imp_status st = imp_node_infer(n, in, out, err);
    if (st != IMP_OK)
        return st;
    const struct imp_engine *eng = imp_engine_ref(n->op);
    if (!eng)
        return imp_fail(err, IMP_ERR_UNSUPPORTED, "no reference engine");
    struct imp_tensor *outp[IMP_MAX_NODE_IO];
    for (int i = 0; i < n->n_outputs; i++) {
        if (imp_tensor_bytes(&out[i]) > IMP_MAX_FOLDED_BYTES)
            return imp_fail(err, IMP_ERR_UNSUPPORTED,
                            "a value computed at load would take %zu bytes",
                            imp_tensor_bytes(&out[i]));
    }
    for (int i = 0; i < n->n_outputs; i++) {
        out[i].data = imp_aligned_alloc(imp_tensor_bytes(&out[i]));
        outp[i] = &out[i];
        if (!out[i].data)
            st = imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    }
    struct imp_kernel_args a = {
        .node = n, .in = in, .n_in = n->n_inputs, .out = outp,
        .n_out = n->n_outputs, .isa = IMP_ISA_SCALAR,
    };
    void *state = NULL;
    size_t scratch = 0;
    if (st == IMP_OK && eng->prepare)
        st = eng->prepare(&a, &state, &scratch, err);
    if (st == IMP_OK) {
        a.state = state;
        a.scratch = scratch ? imp_aligned_alloc(scratch) : NULL;
        if (scratch && !a.scratch)
            st = imp_fail(err, IMP_ERR_NOMEM, "out of memory");
        else
            eng->run(&a);
        imp_aligned_free(a.scratch);
    }
    if (eng->release && state)
        eng->release(state);
    if (st != IMP_OK) {
        for (int i = 0; i < n->n_outputs; i++) {
            imp_aligned_free(out[i].data);
            out[i].data = NULL;
        }
    }
    return st;
}
