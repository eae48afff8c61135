#include "train/train_conv.h"

#include <stddef.h>
#include <string.h>

#include "core/threadpool.h"

/* Output pixels per forward item and per weight-gradient GEMM: a multiple
 * of every microkernel's nr (8, 16, 32). */
#define TC_COLS 256
/* Weight-gradient columns (of C*k*k) per item, a multiple of every nr. */
#define TC_WCOLS 64

static size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

size_t tconv_packed_w_floats(const struct imp_gemm_ukernel *uk, const struct tconv_geom *g)
{
    return imp_gemm_packed_a_size(uk, g->m, g->c * g->k * g->k);
}

void tconv_pack_weights(const struct imp_gemm_ukernel *uk, const struct tconv_geom *g,
                        const float *w, bool flipped, float *packed)
{
    const int mr = uk->mr, k = g->k, kk = k * k, ckk = g->c * kk;
    for (int m0 = 0; m0 < g->m; m0 += mr) {
        for (int p = 0; p < ckk; p++) {
            int c = p / kk, t = p % kk;
            for (int i = 0; i < mr; i++) {
                int m = m0 + i;
                float v = 0.0f;
                if (m < g->m) {
                    /* flipped: this layer's (m, c) is the forward layer's (c, m) */
                    v = flipped ? w[((size_t)c * (size_t)g->m + (size_t)m) * (size_t)kk +
                                    (size_t)(kk - 1 - t)]
                                : w[((size_t)m * (size_t)g->c + (size_t)c) * (size_t)kk +
                                    (size_t)t];
                }
                packed[i] = v;
            }
            packed += mr;
        }
    }
}

/* The weight gradient of a layer with far fewer outputs than inputs (the
 * student's last 9x9 conv: 16 -> 3) gathers shifted copies of dY instead
 * of im2col of x (M k^2 instead of C k^2 values per pixel); see
 * wgrad_taps_items. Rows of dW^T per work item: */
#define TC_TAP_ROWS 64

static bool wgrad_by_taps(const struct tconv_geom *g)
{
    /* Its A gather checks bounds per value and its GEMM is C wide: it
     * pays only when it gathers several times fewer values (measured:
     * 16 -> 3 twice as fast, 32 -> 16 a fifth slower). */
    return g->stride == 1 && g->dilate == 1 && 4 * g->m <= g->c;
}

size_t tconv_scratch_floats(const struct imp_gemm_ukernel *uk, const struct tconv_geom *g)
{
    size_t ckk = (size_t)g->c * (size_t)g->k * (size_t)g->k;
    size_t fwd = ckk * TC_COLS;
    size_t wgrad = imp_gemm_packed_a_size(uk, g->m, TC_COLS) + (size_t)TC_WCOLS * TC_COLS +
                   (size_t)g->m * TC_WCOLS;
    if (wgrad_by_taps(g)) {
        size_t cpad = round_up((size_t)g->c, (size_t)uk->nr);
        wgrad = round_up(imp_gemm_packed_a_size(uk, TC_TAP_ROWS, TC_COLS), 16) +
                round_up(cpad * TC_COLS, 16) + (size_t)TC_TAP_ROWS * (size_t)g->c;
    }
    return round_up(fwd > wgrad ? fwd : wgrad, 16);
}

/* The input value under tap (ky, kx) of output pixel (oy, ox) of image x
 * ([C, H, W]), zero outside or between dilated pixels. */
static inline float tap(const struct tconv_geom *g, const float *plane, int iy, int ix)
{
    const int d = g->dilate;
    if (iy < 0 || ix < 0)
        return 0.0f;
    if (d > 1) {
        if (iy % d || ix % d)
            return 0.0f;
        iy /= d;
        ix /= d;
    }
    if (iy >= g->h || ix >= g->w)
        return 0.0f;
    return plane[(size_t)iy * (size_t)g->w + (size_t)ix];
}

/* One panel row: the taps (ky, kx) of output pixels ox0 .. ox0 + w - 1
 * of output row oy. */
static void im2col_row(const struct tconv_geom *g, const float *plane, int oy, int ox0, int w,
                       int ky, int kx, float *dst)
{
    const int d = g->dilate;
    int iy = oy * g->stride - g->pad_t + ky;
    if (iy < 0 || iy % d || iy / d >= g->h) {
        memset(dst, 0, sizeof(float) * (size_t)w);
        return;
    }
    const float *row = plane + (size_t)(iy / d) * (size_t)g->w;
    int ix0 = ox0 * g->stride - g->pad_l + kx;
    if (d == 1) {
        if (g->stride == 1 && ix0 >= 0 && ix0 + w <= g->w) {
            memcpy(dst, row + ix0, sizeof(float) * (size_t)w);
            return;
        }
        for (int j = 0; j < w; j++) {
            int ix = ix0 + j * g->stride;
            dst[j] = ix >= 0 && ix < g->w ? row[ix] : 0.0f;
        }
        return;
    }
    /* A dilated input (a strided layer's data gradient): every d-th
     * column is a pixel, the others zeros. */
    if (g->stride == 1) {
        memset(dst, 0, sizeof(float) * (size_t)w);
        int j = ix0 < 0 ? -ix0 : 0;
        j += (d - (ix0 + j) % d) % d; /* the first column on a pixel */
        for (int ix = (ix0 + j) / d; j < w && ix < g->w; j += d, ix++)
            dst[j] = row[ix];
        return;
    }
    for (int j = 0; j < w; j++) {
        int ix = ix0 + j * g->stride;
        dst[j] = ix >= 0 && ix % d == 0 && ix / d < g->w ? row[ix / d] : 0.0f;
    }
}

/* B panels [C*k*k x cols] of image x for output pixels [p0, p0 + cols),
 * columns past `cols` up to the panel width zero. */
static void pack_im2col(const struct tconv_geom *g, int nr, const float *x, int p0, int cols,
                        float *packed)
{
    const int k = g->k;
    const size_t plane = (size_t)g->h * (size_t)g->w;
    int iy0[32], ix0[32];
    for (int q = 0; q < cols; q += nr) {
        int w = cols - q < nr ? cols - q : nr;
        int first = p0 + q, oy = first / g->ow, ox = first % g->ow;
        /* The common case: the panel's pixels lie in one output row, so
         * each tap reads one input row (a plain run when undilated). */
        if (ox + w <= g->ow) {
            for (int c = 0; c < g->c; c++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        im2col_row(g, x + (size_t)c * plane, oy, ox, w, ky, kx, packed);
                        for (int j = w; j < nr; j++)
                            packed[j] = 0.0f;
                        packed += nr;
                    }
            continue;
        }
        for (int j = 0; j < w; j++) {
            int p = first + j;
            iy0[j] = (p / g->ow) * g->stride - g->pad_t;
            ix0[j] = (p % g->ow) * g->stride - g->pad_l;
        }
        for (int c = 0; c < g->c; c++) {
            const float *xc = x + (size_t)c * plane;
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    for (int j = 0; j < w; j++)
                        packed[j] = tap(g, xc, iy0[j] + ky, ix0[j] + kx);
                    for (int j = w; j < nr; j++)
                        packed[j] = 0.0f;
                    packed += nr;
                }
        }
    }
}

struct fwd_job {
    const struct tconv_geom *g;
    const struct imp_gemm_ukernel *uk;
    const float *packed_w, *bias, *x;
    float *y, *scratch;
    size_t per_thread;
    int blocks_per_image;
};

static void fwd_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct fwd_job *j = ctx;
    const struct tconv_geom *g = j->g;
    const size_t ohw = (size_t)g->oh * (size_t)g->ow;
    const int ckk = g->c * g->k * g->k;
    float *b = j->scratch + (size_t)thread * j->per_thread;
    for (size_t it = begin; it < end; it++) {
        int n = (int)(it / (size_t)j->blocks_per_image);
        int p0 = (int)(it % (size_t)j->blocks_per_image) * TC_COLS;
        int cols = (int)ohw - p0 < TC_COLS ? (int)ohw - p0 : TC_COLS;
        pack_im2col(g, j->uk->nr, j->x + (size_t)n * (size_t)g->c * (size_t)g->h * (size_t)g->w,
                    p0, cols, b);
        imp_gemm_packed(j->uk, g->m, cols, ckk, j->packed_w, b,
                        j->y + (size_t)n * (size_t)g->m * ohw + (size_t)p0, ohw, j->bias);
    }
}

void tconv_forward(const struct tconv_geom *g, const struct imp_gemm_ukernel *uk,
                   const float *packed_w, const float *bias, const float *x, float *y,
                   float *scratch, size_t scratch_per_thread, struct imp_threadpool *pool)
{
    const size_t ohw = (size_t)g->oh * (size_t)g->ow;
    struct fwd_job j = {
        .g = g, .uk = uk, .packed_w = packed_w, .bias = bias, .x = x, .y = y,
        .scratch = scratch, .per_thread = scratch_per_thread,
        .blocks_per_image = (int)((ohw + TC_COLS - 1) / TC_COLS),
    };
    imp_parallel_for(pool, (size_t)g->n * (size_t)j.blocks_per_image, 1, fwd_items, &j);
}

/* B panels of col^T for pixels [p0, p0 + rows) and weight columns
 * [kk0, kk0 + cols): B[p][j] = col[kk0 + j][p0 + p]. */
static void pack_col_t(const struct tconv_geom *g, int nr, const float *x, int p0, int rows,
                       int kk0, int cols, float *packed)
{
    const int k = g->k, kk = k * k;
    const size_t plane = (size_t)g->h * (size_t)g->w;
    for (int q = 0; q < cols; q += nr) {
        int w = cols - q < nr ? cols - q : nr;
        const float *xc[32];
        int ky[32], kx[32];
        ptrdiff_t off[32];
        int ky_max = 0, kx_max = 0, ky_min = k, kx_min = k;
        for (int j = 0; j < w; j++) {
            int col = kk0 + q + j;
            xc[j] = x + (size_t)(col / kk) * plane;
            ky[j] = col % kk / k;
            kx[j] = col % k;
            off[j] = (ptrdiff_t)(col / kk) * (ptrdiff_t)plane + (ptrdiff_t)ky[j] * g->w + kx[j];
            ky_max = ky[j] > ky_max ? ky[j] : ky_max;
            kx_max = kx[j] > kx_max ? kx[j] : kx_max;
            ky_min = ky[j] < ky_min ? ky[j] : ky_min;
            kx_min = kx[j] < kx_min ? kx[j] : kx_min;
        }
        for (int p = 0; p < rows; p++) {
            int pix = p0 + p;
            int iy = (pix / g->ow) * g->stride - g->pad_t;
            int ix = (pix % g->ow) * g->stride - g->pad_l;
            /* Inside the image for every tap of the panel: a plain gather. */
            if (g->dilate == 1 && iy + ky_min >= 0 && iy + ky_max < g->h && ix + kx_min >= 0 &&
                ix + kx_max < g->w) {
                const float *base = x + (ptrdiff_t)iy * g->w + ix;
                for (int j = 0; j < w; j++)
                    packed[j] = base[off[j]];
            } else {
                for (int j = 0; j < w; j++)
                    packed[j] = tap(g, xc[j], iy + ky[j], ix + kx[j]);
            }
            for (int j = w; j < nr; j++)
                packed[j] = 0.0f;
            packed += nr;
        }
    }
}

struct wgrad_job {
    const struct tconv_geom *g;
    const struct imp_gemm_ukernel *uk;
    const float *x, *dy;
    float *dw, *db, *scratch;
    size_t per_thread;
};

static void wgrad_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct wgrad_job *j = ctx;
    const struct tconv_geom *g = j->g;
    const int ckk = g->c * g->k * g->k;
    const size_t ohw = (size_t)g->oh * (size_t)g->ow;
    float *pa = j->scratch + (size_t)thread * j->per_thread;
    float *pb = pa + imp_gemm_packed_a_size(j->uk, g->m, TC_COLS);
    float *tmp = pb + (size_t)TC_WCOLS * TC_COLS;
    for (size_t it = begin; it < end; it++) {
        int kk0 = (int)it * TC_WCOLS;
        int cols = ckk - kk0 < TC_WCOLS ? ckk - kk0 : TC_WCOLS;
        bool first = true;
        for (int n = 0; n < g->n; n++) {
            const float *x = j->x + (size_t)n * (size_t)g->c * (size_t)g->h * (size_t)g->w;
            const float *dy = j->dy + (size_t)n * (size_t)g->m * ohw;
            for (size_t p0 = 0; p0 < ohw; p0 += TC_COLS) {
                int rows = ohw - p0 < TC_COLS ? (int)(ohw - p0) : TC_COLS;
                imp_gemm_pack_a(j->uk, g->m, rows, dy + p0, ohw, pa);
                pack_col_t(g, j->uk->nr, x, (int)p0, rows, kk0, cols, pb);
                imp_gemm_packed(j->uk, g->m, cols, rows, pa, pb, tmp, TC_WCOLS, NULL);
                for (int m = 0; m < g->m; m++) {
                    float *dst = j->dw + (size_t)m * (size_t)ckk + (size_t)kk0;
                    const float *src = tmp + (size_t)m * TC_WCOLS;
                    if (first)
                        memcpy(dst, src, sizeof(float) * (size_t)cols);
                    else
                        for (int c = 0; c < cols; c++)
                            dst[c] += src[c];
                }
                first = false;
            }
        }
    }
}

static void bias_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct wgrad_job *j = ctx;
    const struct tconv_geom *g = j->g;
    const size_t ohw = (size_t)g->oh * (size_t)g->ow;
    for (size_t m = begin; m < end; m++) {
        double s = 0.0;
        for (int n = 0; n < g->n; n++) {
            const float *dy = j->dy + ((size_t)n * (size_t)g->m + m) * ohw;
            for (size_t p = 0; p < ohw; p++)
                s += dy[p];
        }
        j->db[m] = (float)s;
    }
}

/* dW^T by taps, for stride 1: row r = (m, ky, kx) of dW^T [M k^2 x C] is
 *   sum over input pixels q of dY[m][q_y + pad_t - ky][q_x + pad_l - kx] * x[c][q],
 * a GEMM whose A rows are shifted copies of dY (zero where the shift
 * leaves the output) and whose B is x^T. Each item owns TC_TAP_ROWS rows
 * and sums the images and pixel blocks in order. */
static void wgrad_taps_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct wgrad_job *j = ctx;
    const struct tconv_geom *g = j->g;
    const struct imp_gemm_ukernel *uk = j->uk;
    const int k = g->k, kk = k * k, mr = uk->mr, nr = uk->nr;
    const int rows_all = g->m * kk;
    const size_t hw = (size_t)g->h * (size_t)g->w, ohw = (size_t)g->oh * (size_t)g->ow;
    const size_t cpad = round_up((size_t)g->c, (size_t)nr);
    float *pa = j->scratch + (size_t)thread * j->per_thread;
    float *pb = pa + round_up(imp_gemm_packed_a_size(uk, TC_TAP_ROWS, TC_COLS), 16);
    float *tile = pb + round_up(cpad * TC_COLS, 16);
    int qy[TC_COLS], qx[TC_COLS];
    for (size_t it = begin; it < end; it++) {
        const int r0 = (int)it * TC_TAP_ROWS;
        const int rows = rows_all - r0 < TC_TAP_ROWS ? rows_all - r0 : TC_TAP_ROWS;
        bool first = true;
        for (int n = 0; n < g->n; n++) {
            const float *x = j->x + (size_t)n * (size_t)g->c * hw;
            const float *dy = j->dy + (size_t)n * (size_t)g->m * ohw;
            for (size_t q0 = 0; q0 < hw; q0 += TC_COLS) {
                const int cols = hw - q0 < TC_COLS ? (int)(hw - q0) : TC_COLS;
                for (int q = 0; q < cols; q++) {
                    qy[q] = (int)((q0 + (size_t)q) / (size_t)g->w) + g->pad_t;
                    qx[q] = (int)((q0 + (size_t)q) % (size_t)g->w) + g->pad_l;
                }
                /* A: mr-row panels, one column of mr values per pixel */
                float *a = pa;
                for (int p0 = 0; p0 < rows; p0 += mr) {
                    for (int i = 0; i < mr; i++) {
                        const int r = r0 + p0 + i;
                        if (p0 + i >= rows) {
                            for (int q = 0; q < cols; q++)
                                a[(size_t)q * (size_t)mr + (size_t)i] = 0.0f;
                            continue;
                        }
                        const int m = r / kk, ky = r % kk / k, kx = r % k;
                        const float *dym = dy + (size_t)m * ohw;
                        for (int q = 0; q < cols; q++) {
                            const int oy = qy[q] - ky, ox = qx[q] - kx;
                            a[(size_t)q * (size_t)mr + (size_t)i] =
                                oy >= 0 && oy < g->oh && ox >= 0 && ox < g->ow
                                    ? dym[(size_t)oy * (size_t)g->ow + (size_t)ox]
                                    : 0.0f;
                        }
                    }
                    a += (size_t)cols * (size_t)mr;
                }
                /* B = x^T: nr-column panels, one row of nr channels per pixel */
                float *b = pb;
                for (int c0 = 0; c0 < g->c; c0 += nr) {
                    for (int q = 0; q < cols; q++) {
                        for (int jj = 0; jj < nr; jj++)
                            b[jj] = c0 + jj < g->c ? x[(size_t)(c0 + jj) * hw + q0 + (size_t)q]
                                                   : 0.0f;
                        b += nr;
                    }
                }
                imp_gemm_packed(uk, rows, g->c, cols, pa, pb, tile, (size_t)g->c, NULL);
                for (int i = 0; i < rows; i++) {
                    const int r = r0 + i, m = r / kk, t = r % kk;
                    for (int c = 0; c < g->c; c++) {
                        float *dst = j->dw + ((size_t)m * (size_t)g->c + (size_t)c) * (size_t)kk +
                                     (size_t)t;
                        float v = tile[(size_t)i * (size_t)g->c + (size_t)c];
                        *dst = first ? v : *dst + v;
                    }
                }
                first = false;
            }
        }
    }
}

void tconv_weight_grad(const struct tconv_geom *g, const struct imp_gemm_ukernel *uk,
                       const float *x, const float *dy, float *dw, float *db, float *scratch,
                       size_t scratch_per_thread, struct imp_threadpool *pool)
{
    const int ckk = g->c * g->k * g->k;
    struct wgrad_job j = {
        .g = g, .uk = uk, .x = x, .dy = dy, .dw = dw, .db = db,
        .scratch = scratch, .per_thread = scratch_per_thread,
    };
    if (wgrad_by_taps(g)) {
        int rows = g->m * g->k * g->k;
        imp_parallel_for(pool, (size_t)((rows + TC_TAP_ROWS - 1) / TC_TAP_ROWS), 1,
                         wgrad_taps_items, &j);
    } else {
        imp_parallel_for(pool, (size_t)((ckk + TC_WCOLS - 1) / TC_WCOLS), 1, wgrad_items, &j);
    }
    if (db)
        imp_parallel_for(pool, (size_t)g->m, 1, bias_items, &j);
}
