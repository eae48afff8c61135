#include "ops/op_util.h"

#include <string.h>

enum imp_status imp_need_inputs(struct imp_infer_ctx *c, int lo, int hi)
{
    if (c->n_in <= hi)
        return imp_fail(c->err, IMP_ERR_FORMAT, "needs at least %d inputs, has %d",
                        hi + 1, c->n_in);
    for (int i = lo; i <= hi; i++)
        if (!c->in[i])
            return imp_fail(c->err, IMP_ERR_FORMAT, "input %d is required", i);
    return IMP_OK;
}

bool imp_norm_axis(int64_t axis, int rank, int *out)
{
    if (axis < -rank || axis >= rank)
        return false;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}

bool imp_broadcast(const struct imp_shape *a, const struct imp_shape *b,
                   struct imp_shape *out)
{
    int rank = a->rank > b->rank ? a->rank : b->rank;
    struct imp_shape r = {.rank = rank};
    for (int i = 0; i < rank; i++) {
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da == db || db == 1)
            r.d[i] = da;
        else if (da == 1)
            r.d[i] = db;
        else
            return false;
    }
    *out = r;
    return true;
}

int imp_attr_ints(const struct imp_node *n, const char *name, int64_t *dst,
                  int max)
{
    const struct imp_attr *a = imp_node_attr(n, name);
    if (!a)
        return 0;
    if (a->type != IMP_ATTR_INTS || a->n > max)
        return -1;
    memcpy(dst, a->ints, sizeof *dst * (size_t)a->n);
    return a->n;
}
