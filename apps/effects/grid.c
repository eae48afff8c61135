#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"

int imp_grid_axis_init(struct imp_grid_axis *a, int n, int factor)
{
    memset(a, 0, sizeof *a);
    if (n < 1 || factor < 1)
        return -1;
    a->n = n;
    a->factor = factor;
    a->cells = (n + factor - 1) / factor;
    a->lo = malloc(sizeof *a->lo * (size_t)n);
    a->hi = malloc(sizeof *a->hi * (size_t)n);
    a->frac = malloc(sizeof *a->frac * (size_t)n);
    if (!a->lo || !a->hi || !a->frac) {
        imp_grid_axis_free(a);
        return -1;
    }
    for (int x = 0; x < n; x++) {
        /* Cell c's centre sits at full-resolution (c + 0.5) * factor - 0.5. */
        double u = (x + 0.5) / factor - 0.5;
        if (u < 0)
            u = 0;
        int c = (int)floor(u);
        if (c > a->cells - 1)
            c = a->cells - 1;
        a->lo[x] = c;
        a->hi[x] = c + 1 < a->cells ? c + 1 : c;
        a->frac[x] = a->hi[x] == c ? 0.0f : (float)(u - c);
    }
    return 0;
}

void imp_grid_axis_free(struct imp_grid_axis *a)
{
    free(a->lo);
    free(a->hi);
    free(a->frac);
    memset(a, 0, sizeof *a);
}

int imp_grid_factor(int n, int target)
{
    if (target < 1)
        target = 1;
    int f = (int)floor((double)n / target + 0.5);
    return f < 1 ? 1 : f;
}
