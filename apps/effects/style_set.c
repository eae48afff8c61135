#include "style_set.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 1024 /* norm constants of one style: far above any style network */

static int failf(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

void imp_style_set_free(struct imp_style_set *set)
{
    int n_lists = set->n > 0 ? set->n : 0;
    for (int i = 0; set->live && i < set->n_params; i++)
        free(set->live[i]);
    for (int i = 0; set->params && i < n_lists * set->n_params; i++)
        free(set->params[i]);
    free(set->live);
    free(set->params);
    memset(set, 0, sizeof *set);
    set->identity = -1;
}

/* Splits a comma list into at most max fresh strings; the count, or -1
 * when the list is empty, has an empty item, is too long or memory ran
 * out. */
static int split(const char *list, char **out, int max)
{
    int n = 0;
    for (const char *p = list;; n++) {
        size_t len = strcspn(p, ",");
        if (len == 0 || n == max || len > 511)
            break;
        out[n] = malloc(len + 1);
        if (!out[n])
            break;
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        if (!p[len])
            return n + 1;
        p += len + 1;
    }
    for (int i = 0; i < n; i++)
        free(out[i]);
    return -1;
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n < 64 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Without impasto.styles.params the live constants are the scales and
 * shifts of the InstanceNormalization nodes, in graph order. */
static int live_from_nodes(const struct imp_model *m, struct imp_style_set *set)
{
    int n = 0;
    for (int i = 0; i < imp_model_node_count(m); i++) {
        const char *op = imp_model_node_op(m, i);
        for (int k = 1; op && strcmp(op, "InstanceNormalization") == 0 && k <= 2; k++) {
            const char *in = imp_model_node_input(m, i, k);
            if (!in || n == MAX_PARAMS)
                return -1;
            set->live[n] = malloc(strlen(in) + 1);
            if (!set->live[n])
                return -1;
            strcpy(set->live[n++], in);
            set->n_params = n;
        }
    }
    return n;
}

int imp_style_set_read(const struct imp_model *m, struct imp_style_set *set, char *why,
                       size_t why_size)
{
    memset(set, 0, sizeof *set);
    set->identity = -1;
    const char *styles = imp_model_metadata_find(m, "impasto.styles");
    if (!styles)
        return 0;
    char *names[IMP_STYLE_SET_MAX];
    int n = split(styles, names, IMP_STYLE_SET_MAX);
    if (n < 0)
        return failf(why, why_size, "metadata impasto.styles: not a list of 1 to %d names",
                     IMP_STYLE_SET_MAX);
    int bad = -1;
    for (int i = 0; i < n; i++) {
        snprintf(set->names[i], sizeof set->names[i], "%s", names[i]);
        if (!name_ok(names[i]) && bad < 0)
            bad = i;
        for (int j = 0; j < i && bad < 0; j++)
            if (strcmp(names[j], names[i]) == 0)
                bad = i;
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    if (bad >= 0)
        return failf(why, why_size, "metadata impasto.styles: style '%.64s' is not a unique "
                     "name of a-z, 0-9, _ and -", set->names[bad]);
    set->live = calloc(MAX_PARAMS, sizeof *set->live);
    if (!set->live)
        return failf(why, why_size, "out of memory");
    const char *live = imp_model_metadata_find(m, "impasto.styles.params");
    set->n_params = live ? split(live, set->live, MAX_PARAMS) : live_from_nodes(m, set);
    if (set->n_params <= 0) {
        set->n_params = 0;
        imp_style_set_free(set);
        return failf(why, why_size, live ? "metadata impasto.styles.params: not a list of "
                     "1 to %d names" : "a multi-style network without instance norms",
                     MAX_PARAMS);
    }
    set->params = calloc((size_t)n * (size_t)set->n_params, sizeof *set->params);
    if (!set->params) {
        imp_style_set_free(set);
        return failf(why, why_size, "out of memory");
    }
    set->n = n; /* from here on imp_style_set_free frees the lists */
    size_t counts[MAX_PARAMS];
    for (int p = 0; p < set->n_params; p++) {
        const float *d;
        if (imp_model_param(m, set->live[p], &d, &counts[p]) != IMP_OK) {
            failf(why, why_size, "metadata impasto.styles.params: '%.100s' is not a weight "
                  "of the network", set->live[p]);
            imp_style_set_free(set);
            return -1;
        }
    }
    for (int s = 0; s < n; s++) {
        char key[128];
        snprintf(key, sizeof key, "impasto.style.%s.params", set->names[s]);
        const char *list = imp_model_metadata_find(m, key);
        char **mine = set->params + (size_t)s * (size_t)set->n_params;
        int got = list ? split(list, mine, set->n_params + 1) : -1;
        if (got != set->n_params) {
            for (int i = 0; i < got; i++) {
                free(mine[i]);
                mine[i] = NULL;
            }
            failf(why, why_size, "metadata %s: %s, not %d names", key,
                  list ? "another count" : "missing", set->n_params);
            imp_style_set_free(set);
            return -1;
        }
        for (int p = 0; p < set->n_params; p++) {
            const float *d;
            size_t count;
            if (imp_model_param(m, mine[p], &d, &count) != IMP_OK || count != counts[p]) {
                failf(why, why_size, "metadata %s: '%.100s' is not a weight of %zu numbers "
                      "in the network", key, mine[p], counts[p]);
                imp_style_set_free(set);
                return -1;
            }
        }
        snprintf(key, sizeof key, "impasto.style.%s.title", set->names[s]);
        set->titles[s] = imp_model_metadata_find(m, key);
        snprintf(key, sizeof key, "impasto.style.%s.painter", set->names[s]);
        set->painters[s] = imp_model_metadata_find(m, key);
        if (strcmp(set->names[s], IMP_STYLE_IDENTITY) == 0)
            set->identity = s;
    }
    return 0;
}

int imp_style_set_find(const struct imp_style_set *set, const char *name)
{
    for (int i = 0; i < set->n; i++)
        if (strcmp(set->names[i], name) == 0)
            return i;
    return -1;
}

int imp_style_set_default(const struct imp_style_set *set)
{
    for (int i = 0; i < set->n; i++)
        if (i != set->identity)
            return i;
    return -1;
}
