#include "style_mix.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failf(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_norm(const struct imp_model *m, int node)
{
    const char *op = imp_model_node_op(m, node);
    return op && strcmp(op, "InstanceNormalization") == 0;
}

int imp_style_norm_weight_count(const struct imp_model *m)
{
    int n = 0;
    for (int i = 0; i < imp_model_node_count(m); i++)
        for (int k = 1; k <= 2 && is_norm(m, i); k++) {
            const float *d;
            size_t c;
            const char *in = imp_model_node_input(m, i, k);
            n += in && imp_model_param(m, in, &d, &c) == IMP_OK;
        }
    return n;
}

int imp_style_same_network(const struct imp_model *a, const struct imp_model *b,
                           char *why, size_t why_size)
{
    int n = imp_model_node_count(a);
    if (n != imp_model_node_count(b))
        return failf(why, why_size, "the networks have %d and %d nodes", n,
                     imp_model_node_count(b)),
               0;
    if (imp_style_norm_weight_count(a) == 0)
        return failf(why, why_size, "the network has no instance-norm weights to mix"), 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(imp_model_node_op(a, i), imp_model_node_op(b, i)) != 0)
            return failf(why, why_size, "node %d is %s in one network and %s in the other",
                         i, imp_model_node_op(a, i), imp_model_node_op(b, i)),
                   0;
        for (int k = 0;; k++) {
            const char *na = imp_model_node_input(a, i, k), *nb = imp_model_node_input(b, i, k);
            if (!na && !nb)
                break;
            if (!na || !nb || strcmp(na, nb) != 0)
                return failf(why, why_size, "node %d reads different inputs", i), 0;
            const float *da, *db;
            size_t ca, cb;
            int wa = imp_model_param(a, na, &da, &ca) == IMP_OK;
            int wb = imp_model_param(b, nb, &db, &cb) == IMP_OK;
            if (wa != wb || (wa && ca != cb))
                return failf(why, why_size, "weight '%s' differs in kind or size", na), 0;
            if (wa && !(is_norm(a, i) && k >= 1 && k <= 2) &&
                memcmp(da, db, ca * sizeof *da) != 0)
                return failf(why, why_size,
                             "weight '%s' differs: not one network with per-style "
                             "instance norms",
                             na),
                       0;
        }
    }
    return 1;
}

/* Which of a multi-style network's per-style weights stands for the live
 * weight `name`, or -1. */
static int live_index(const struct imp_style_set *set, const char *name)
{
    for (int p = 0; p < set->n_params; p++)
        if (strcmp(set->live[p], name) == 0)
            return p;
    return -1;
}

/* mix = sum_j weight_j * (part j's weight that stands for the live weight
 * `name`), then set. */
static int mix_one(struct imp_stylizer *s, const char *name, const struct imp_style_part *parts,
                   int n, float **mix, size_t *cap, char *why, size_t why_size)
{
    const float *d;
    size_t count;
    if (imp_model_param(parts[0].model, name, &d, &count) != IMP_OK)
        return failf(why, why_size, "the network has no weight '%s'", name);
    if (count > *cap) {
        free(*mix);
        *mix = malloc(count * sizeof **mix);
        *cap = *mix ? count : 0;
        if (!*mix)
            return failf(why, why_size, "out of memory");
    }
    memset(*mix, 0, count * sizeof **mix);
    for (int j = 0; j < n; j++) {
        const struct imp_style_set *set = parts[j].set;
        int p = set ? live_index(set, name) : -1;
        const char *src = name;
        if (set && p >= 0 && parts[j].style >= 0 && parts[j].style < set->n)
            src = set->params[(size_t)parts[j].style * (size_t)set->n_params + (size_t)p];
        const float *dj;
        size_t cj;
        if ((set && src == name) ||
            imp_model_param(parts[j].model, src, &dj, &cj) != IMP_OK || cj != count)
            return failf(why, why_size, "style %d has no weight for '%s' of %zu values", j,
                         name, count);
        for (size_t e = 0; e < count; e++)
            (*mix)[e] += parts[j].weight * dj[e];
    }
    return imp_stylizer_set_param(s, name, *mix, count, why, why_size);
}

int imp_style_mix_parts(struct imp_stylizer *s, const struct imp_style_set *live,
                        const struct imp_style_part *parts, int n, char *why,
                        size_t why_size)
{
    if (n < 1)
        return failf(why, why_size, "nothing to mix");
    float *mix = NULL;
    size_t cap = 0;
    int rc = 0;
    if (live) {
        for (int p = 0; rc == 0 && p < live->n_params; p++)
            rc = mix_one(s, live->live[p], parts, n, &mix, &cap, why, why_size);
        free(mix);
        return rc;
    }
    const struct imp_model *m = parts[0].model;
    for (int i = 0; rc == 0 && i < imp_model_node_count(m); i++)
        for (int k = 1; rc == 0 && k <= 2 && is_norm(m, i); k++) {
            const char *name = imp_model_node_input(m, i, k);
            const float *d;
            size_t count;
            if (name && imp_model_param(m, name, &d, &count) == IMP_OK)
                rc = mix_one(s, name, parts, n, &mix, &cap, why, why_size);
        }
    free(mix);
    return rc;
}

int imp_style_mix(struct imp_stylizer *s, const struct imp_model *const *styles,
                  const float *weights, int n, char *why, size_t why_size)
{
    struct imp_style_part *parts = calloc((size_t)(n > 0 ? n : 1), sizeof *parts);
    if (!parts)
        return failf(why, why_size, "out of memory");
    for (int i = 0; i < n; i++)
        parts[i] = (struct imp_style_part){.model = styles[i], .weight = weights[i]};
    int rc = imp_style_mix_parts(s, NULL, parts, n, why, why_size);
    free(parts);
    return rc;
}
