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

/* One grid row interpolated along x to full width. */
static void widen(const float *grid_row, int ch, const struct imp_grid_axis *ax, float *wide)
{
    if (ch == 4) { /* the common case, unrolled */
        for (int x = 0; x < ax->n; x++) {
            const float *a = grid_row + (size_t)ax->lo[x] * 4;
            const float *b = grid_row + (size_t)ax->hi[x] * 4;
            float f = ax->frac[x], *w = wide + (size_t)x * 4;
            w[0] = a[0] + f * (b[0] - a[0]);
            w[1] = a[1] + f * (b[1] - a[1]);
            w[2] = a[2] + f * (b[2] - a[2]);
            w[3] = a[3] + f * (b[3] - a[3]);
        }
        return;
    }
    for (int x = 0; x < ax->n; x++) {
        const float *a = grid_row + (size_t)ax->lo[x] * ch;
        const float *b = grid_row + (size_t)ax->hi[x] * ch;
        float f = ax->frac[x];
        for (int k = 0; k < ch; k++)
            wide[(size_t)x * ch + k] = a[k] + f * (b[k] - a[k]);
    }
}

/* Separate, with restrict, so the compiler knows the rows do not overlap
 * and makes it a vector loop. */
static void blend(const float *restrict a, const float *restrict b, float f, size_t n,
                  float *restrict out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + f * (b[i] - a[i]);
}

static const float *cached_row(const float *grid, int ch, const struct imp_grid_axis *ax,
                               int row, int keep, struct imp_grid_cache *cache)
{
    for (int s = 0; s < 2; s++)
        if (cache->row[s] == row)
            return cache->wide[s];
    /* Evict the slot that does not hold the other row this y needs. */
    int s = cache->row[0] == keep ? 1 : 0;
    widen(grid + (size_t)row * ax->cells * ch, ch, ax, cache->wide[s]);
    cache->row[s] = row;
    return cache->wide[s];
}

void imp_grid_read_row(const float *grid, int channels, const struct imp_grid_axis *ax,
                       const struct imp_grid_axis *ay, int y, struct imp_grid_cache *cache,
                       float *out)
{
    int lo = ay->lo[y], hi = ay->hi[y];
    const float *a = cached_row(grid, channels, ax, lo, hi, cache);
    const float *b = cached_row(grid, channels, ax, hi, lo, cache);
    blend(a, b, ay->frac[y], (size_t)ax->n * channels, out);
}
