/* Adam (Kingma & Ba 2015), element by element in double, stored in float:
 * no reduction, so no order to fix. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "impasto_train.h"

enum imp_status imp_adam_init(struct imp_adam *a, size_t n, double lr, struct imp_error *err)
{
    memset(a, 0, sizeof *a);
    a->n = n;
    a->lr = lr;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
    a->m = calloc(n ? n : 1, sizeof(float));
    a->v = calloc(n ? n : 1, sizeof(float));
    if (!a->m || !a->v) {
        imp_adam_release(a);
        return imp_fail(err, IMP_ERR_NOMEM, "adam: out of memory for %zu parameters", n);
    }
    return IMP_OK;
}

void imp_adam_release(struct imp_adam *a)
{
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
}

void imp_adam_step(struct imp_adam *a, float *params, const float *grads)
{
    a->step++;
    const double c1 = 1.0 - pow(a->beta1, (double)a->step);
    const double c2 = 1.0 - pow(a->beta2, (double)a->step);
    const double step = a->lr / c1;
    for (size_t i = 0; i < a->n; i++) {
        double g = grads[i];
        double m = a->beta1 * a->m[i] + (1.0 - a->beta1) * g;
        double v = a->beta2 * a->v[i] + (1.0 - a->beta2) * g * g;
        a->m[i] = (float)m;
        a->v[i] = (float)v;
        params[i] = (float)(params[i] - step * m / (sqrt(v / c2) + a->eps));
    }
}
