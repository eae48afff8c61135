/*
 * The reduced-resolution grids the focus effect works on: a picture of n
 * pixels is cut into ceil(n / factor) cells of `factor` pixels (the last
 * one may be short), and a value kept per cell is read back at full
 * resolution by linear interpolation between the two nearest cell centres.
 * One axis at a time; a 2-D grid is an x axis and a y axis.
 */
#ifndef IMP_FX_GRID_H
#define IMP_FX_GRID_H

struct imp_grid_axis {
    int n;       /* full-resolution pixels */
    int factor;  /* pixels per cell */
    int cells;   /* ceil(n / factor) */
    int *lo;     /* per pixel: the cell centre at or before it (clamped) */
    int *hi;     /* the next cell (lo again at the last cell) */
    float *frac; /* the weight of hi */
};

/* Returns 0, or -1 when out of memory or n, factor < 1. */
int imp_grid_axis_init(struct imp_grid_axis *a, int n, int factor);
void imp_grid_axis_free(struct imp_grid_axis *a);

/* Reading a grid back row by row: the grid's rows are widened (interpolated
 * along x) once each and kept while the next full-resolution rows still
 * need them, so the per-pixel work is a vector blend of two wide rows. */
struct imp_grid_cache {
    float *wide[2]; /* each ax->n * channels floats, caller-owned */
    int row[2];     /* the grid row each holds; -1: none */
};

/* Full-resolution row y of a grid (ax->cells x ay->cells x channels,
 * interleaved), interpolated both ways, into out (ax->n * channels
 * floats). Set cache->row[] to -1 before a run of rows. */
void imp_grid_read_row(const float *grid, int channels, const struct imp_grid_axis *ax,
                       const struct imp_grid_axis *ay, int y, struct imp_grid_cache *cache,
                       float *out);

/* The integer factor that brings n pixels down to about `target` cells
 * (at least 1). */
int imp_grid_factor(int n, int target);

#endif
