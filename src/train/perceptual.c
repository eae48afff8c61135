/*
 * The perceptual loss of Johnson et al. (2016) around a frozen loss
 * network:
 *   content = wc * mean over elements of (F(gen) - F(content))^2 at one value,
 *   style   = ws * sum over style values of the batch mean of the mean
 *             over the C x C entries of (G(F(gen)) - G(F(painting)))^2,
 *             G(F) = F F^T / (C H W) (Johnson's weights: wc 1, ws 5, wt 1e-6),
 *   tv      = wt * batch mean of the sum of squared differences between
 *             neighbouring pixels of gen, on the 0..255 scale the loss
 *             network sees (so that Johnson's wt = 1e-6 means what it did).
 * The painting's Gram matrices are computed once per style. Gram matrices
 * and their gradients are GEMMs on the runtime's microkernels, one work
 * item per sample (a fixed order of sums).
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "train/tnet_priv.h"

#define PL_MAX_STYLE_VALUES 8
#define PL_COLS 512 /* pixels per GEMM block; a multiple of every nr */

struct imp_ploss {
    struct imp_tnet *net;
    struct imp_ploss_options o;
    int style_values[PL_MAX_STYLE_VALUES];
    int n_styles, batch, h, w, threads;
    int last_value;
    const struct imp_gemm_ukernel *uk;
    float *content_target;  /* F(content) at the content value     */
    float *grams;           /* [n_styles][n_style_values][C x C]    */
    size_t gram_off[PL_MAX_STYLE_VALUES]; /* within one style's block  */
    size_t grams_per_style;
    float *gram_work;       /* per sample: G, then G - A            */
    size_t gram_work_per;   /* floats per sample                    */
    float *scratch;         /* per thread: packed panels and a tile */
    size_t scratch_per;
    double *sample_loss;    /* per sample                           */
    float *zeros_input;     /* a batch of zeros but for the painting */
    bool *has_target;       /* per style: false for an identity style */
};

static size_t round16(size_t v) { return (v + 15) & ~(size_t)15; }

void imp_ploss_free(struct imp_ploss *pl)
{
    if (!pl)
        return;
    imp_aligned_free(pl->content_target);
    imp_aligned_free(pl->grams);
    imp_aligned_free(pl->gram_work);
    imp_aligned_free(pl->scratch);
    free(pl->sample_loss);
    free(pl->zeros_input);
    free(pl->has_target);
    free(pl);
}

enum imp_status imp_ploss_create(struct imp_tnet *loss_net, const struct imp_ploss_options *o,
                                 int n_styles, int batch, int height, int width, int threads,
                                 enum imp_isa max_isa, struct imp_ploss **out,
                                 struct imp_error *err)
{
    *out = NULL;
    int nv = imp_tnet_value_count(loss_net);
    if (o->n_style_values < 1 || o->n_style_values > PL_MAX_STYLE_VALUES || n_styles < 1)
        return imp_fail(err, IMP_ERR_ARGUMENT, "perceptual loss: 1 to %d style layers and at "
                        "least one style, please", PL_MAX_STYLE_VALUES);
    if (o->content_value < 1 || o->content_value >= nv)
        return imp_fail(err, IMP_ERR_ARGUMENT, "perceptual loss: content value %d is not in "
                        "the loss network", o->content_value);
    struct imp_ploss *pl = calloc(1, sizeof *pl);
    if (!pl)
        return imp_fail(err, IMP_ERR_NOMEM, "out of memory");
    pl->net = loss_net;
    pl->o = *o;
    pl->o.style_values = pl->style_values;
    pl->n_styles = n_styles;
    pl->batch = batch;
    pl->h = height;
    pl->w = width;
    pl->threads = threads;
    int seeds[PL_MAX_STYLE_VALUES + 1];
    seeds[0] = o->content_value;
    pl->last_value = o->content_value;
    for (int i = 0; i < o->n_style_values; i++) {
        int v = o->style_values[i];
        if (v < 1 || v >= nv) {
            imp_ploss_free(pl);
            return imp_fail(err, IMP_ERR_ARGUMENT, "perceptual loss: style value %d is not in "
                            "the loss network", v);
        }
        pl->style_values[i] = seeds[i + 1] = v;
        pl->last_value = v > pl->last_value ? v : pl->last_value;
    }
    struct imp_tnet_plan_options po = {
        .batch = batch, .height = height, .width = width, .threads = threads,
        .max_isa = max_isa, .frozen = true, .input_grad = true, .seeds = seeds,
        .n_seeds = o->n_style_values + 1};
    enum imp_status st = imp_tnet_plan(loss_net, &po, err);
    if (st != IMP_OK) {
        imp_error_prefix(err, "perceptual loss");
        imp_ploss_free(pl);
        return st;
    }
    pl->uk = loss_net->uk;
    int d[4];
    imp_tnet_value_shape(loss_net, o->content_value, d);
    size_t content = (size_t)d[0] * (size_t)d[1] * (size_t)d[2] * (size_t)d[3];
    size_t max_cc = 0, max_c = 0;
    pl->grams_per_style = 0;
    for (int i = 0; i < o->n_style_values; i++) {
        imp_tnet_value_shape(loss_net, pl->style_values[i], d);
        size_t cc = (size_t)d[1] * (size_t)d[1];
        pl->gram_off[i] = pl->grams_per_style;
        pl->grams_per_style += round16(cc);
        max_cc = cc > max_cc ? cc : max_cc;
        max_c = (size_t)d[1] > max_c ? (size_t)d[1] : max_c;
    }
    size_t mr = (size_t)pl->uk->mr, nr = (size_t)pl->uk->nr;
    size_t cpad_m = (max_c + mr - 1) / mr * mr, cpad_n = (max_c + nr - 1) / nr * nr;
    /* Gram: A = F block [C x cols] packed, B = F block^T [cols x C]
     * packed, tile [C x C]. Gradient: A = (G - A) [C x C] packed,
     * B = F block [C x cols], tile [C x cols]. */
    size_t gram_need = round16(cpad_m * PL_COLS) + round16(PL_COLS * cpad_n) + max_cc;
    size_t grad_need = round16(cpad_m * max_c) + round16(max_c * PL_COLS) + max_c * PL_COLS;
    pl->scratch_per = round16(gram_need > grad_need ? gram_need : grad_need);
    pl->gram_work_per = round16(max_cc);
    pl->content_target = imp_aligned_alloc(sizeof(float) * content);
    pl->grams = imp_aligned_alloc(sizeof(float) * pl->grams_per_style * (size_t)n_styles);
    pl->gram_work = imp_aligned_alloc(sizeof(float) * pl->gram_work_per * (size_t)batch);
    pl->scratch = imp_aligned_alloc(sizeof(float) * pl->scratch_per * (size_t)threads);
    pl->sample_loss = calloc((size_t)batch, sizeof(double));
    pl->zeros_input = calloc((size_t)batch * 3 * (size_t)height * (size_t)width, sizeof(float));
    pl->has_target = calloc((size_t)n_styles, sizeof(bool));
    if (!pl->content_target || !pl->grams || !pl->gram_work || !pl->scratch ||
        !pl->sample_loss || !pl->zeros_input || !pl->has_target) {
        imp_ploss_free(pl);
        return imp_fail(err, IMP_ERR_NOMEM, "perceptual loss: out of memory");
    }
    memset(pl->grams, 0, sizeof(float) * pl->grams_per_style * (size_t)n_styles);
    *out = pl;
    return IMP_OK;
}

/* B panels of F^T for pixels [p0, p0 + rows): B[p][j] = F[j][p0 + p]. */
static void pack_ft(int nr, const float *f, size_t hw, int c, size_t p0, int rows,
                    float *packed)
{
    for (int j0 = 0; j0 < c; j0 += nr) {
        int w = c - j0 < nr ? c - j0 : nr;
        for (int p = 0; p < rows; p++) {
            for (int j = 0; j < w; j++)
                packed[j] = f[(size_t)(j0 + j) * hw + p0 + (size_t)p];
            for (int j = w; j < nr; j++)
                packed[j] = 0.0f;
            packed += nr;
        }
    }
}

/* G = F F^T / (C H W) of one sample, F [C x HW]; g [C x C]. */
static void gram(const struct imp_gemm_ukernel *uk, const float *f, int c, size_t hw,
                 float *g, float *scratch)
{
    size_t mr = (size_t)uk->mr;
    float *pa = scratch;
    float *pb = pa + round16(((size_t)c + mr - 1) / mr * mr * PL_COLS);
    float *tile = pb + round16(PL_COLS * (((size_t)c + (size_t)uk->nr - 1) / (size_t)uk->nr *
                                          (size_t)uk->nr));
    size_t cc = (size_t)c * (size_t)c;
    memset(g, 0, sizeof(float) * cc);
    for (size_t p0 = 0; p0 < hw; p0 += PL_COLS) {
        int rows = hw - p0 < PL_COLS ? (int)(hw - p0) : PL_COLS;
        imp_gemm_pack_a(uk, c, rows, f + p0, hw, pa);
        pack_ft(uk->nr, f, hw, c, p0, rows, pb);
        imp_gemm_packed(uk, c, c, rows, pa, pb, tile, (size_t)c, NULL);
        for (size_t i = 0; i < cc; i++)
            g[i] += tile[i];
    }
    float scale = (float)(1.0 / ((double)cc / (double)c * (double)hw));
    for (size_t i = 0; i < cc; i++)
        g[i] *= scale;
}

struct style_job {
    struct imp_ploss *pl;
    const float *feat;
    float *grad;
    int c;
    size_t hw;
    int value_index;
    const int *style_of;
    double coef; /* style weight / batch */
};

/* Per sample: the Gram matrix, its loss, and the gradient
 * coef / C^2 * 4 / (C H W) * (G - A) F added into the seed. */
static void style_items(void *ctx, size_t begin, size_t end, int thread)
{
    const struct style_job *j = ctx;
    struct imp_ploss *pl = j->pl;
    const struct imp_gemm_ukernel *uk = pl->uk;
    float *scratch = pl->scratch + (size_t)thread * pl->scratch_per;
    const size_t c = (size_t)j->c, cc = c * c, chw = c * j->hw;
    for (size_t n = begin; n < end; n++) {
        /* An identity style has no painting: its samples learn the photo
         * (content and TV only), no style term and no style gradient. */
        if (!pl->has_target[j->style_of[n]])
            continue;
        const float *f = j->feat + n * chw;
        float *g = pl->gram_work + n * pl->gram_work_per;
        gram(uk, f, j->c, j->hw, g, scratch);
        const float *a = pl->grams + (size_t)j->style_of[n] * pl->grams_per_style +
                         pl->gram_off[j->value_index];
        double loss = 0.0;
        for (size_t i = 0; i < cc; i++) {
            g[i] -= a[i];
            loss += (double)g[i] * (double)g[i];
        }
        pl->sample_loss[n] += j->coef / (double)cc * loss;
        if (!j->grad)
            continue;
        /* grad += k * (G - A) F, per block of pixels */
        float k = (float)(j->coef / (double)cc * 4.0 / (double)chw);
        float *pa = scratch;
        float *pb = pa + round16((c + (size_t)uk->mr - 1) / (size_t)uk->mr * (size_t)uk->mr * c);
        float *tile = pb + round16(c * PL_COLS);
        imp_gemm_pack_a(uk, j->c, j->c, g, c, pa);
        float *dst = j->grad + n * chw;
        for (size_t p0 = 0; p0 < j->hw; p0 += PL_COLS) {
            int cols = j->hw - p0 < PL_COLS ? (int)(j->hw - p0) : PL_COLS;
            imp_gemm_pack_b(uk, j->c, (int)p0, cols, f, j->hw, pb);
            imp_gemm_packed(uk, j->c, cols, j->c, pa, pb, tile, PL_COLS, NULL);
            for (size_t ch = 0; ch < c; ch++)
                for (int p = 0; p < cols; p++)
                    dst[ch * j->hw + p0 + (size_t)p] += k * tile[ch * PL_COLS + (size_t)p];
        }
    }
}

enum imp_status imp_ploss_set_style(struct imp_ploss *pl, int style, const float *painting,
                                    struct imp_error *err)
{
    return imp_ploss_set_style_tiles(pl, style, painting, 1, err);
}

enum imp_status imp_ploss_set_style_tiles(struct imp_ploss *pl, int style, const float *tiles,
                                          int n_tiles, struct imp_error *err)
{
    if (style < 0 || style >= pl->n_styles)
        return imp_fail(err, IMP_ERR_ARGUMENT, "style %d of %d", style, pl->n_styles);
    if (tiles && n_tiles < 1)
        return imp_fail(err, IMP_ERR_ARGUMENT, "%d tiles of a painting", n_tiles);
    pl->has_target[style] = tiles != NULL;
    if (!tiles)
        return IMP_OK;
    size_t one = 3 * (size_t)pl->h * (size_t)pl->w;
    float *target = pl->grams + (size_t)style * pl->grams_per_style;
    for (int t = 0; t < n_tiles; t++) {
        memcpy(pl->zeros_input, tiles + (size_t)t * one, sizeof(float) * one);
        imp_tnet_forward(pl->net, pl->zeros_input, pl->last_value);
        for (int i = 0; i < pl->o.n_style_values; i++) {
            int d[4];
            imp_tnet_value_shape(pl->net, pl->style_values[i], d);
            float *g = target + pl->gram_off[i];
            size_t cc = (size_t)d[1] * (size_t)d[1];
            /* the first tile's Gram in place, the others summed */
            gram(pl->uk, imp_tnet_value(pl->net, pl->style_values[i]), d[1],
                 (size_t)d[2] * (size_t)d[3], t == 0 ? g : pl->gram_work, pl->scratch);
            for (size_t j = 0; t > 0 && j < cc; j++)
                g[j] += pl->gram_work[j];
            for (size_t j = 0; t == n_tiles - 1 && n_tiles > 1 && j < cc; j++)
                g[j] /= (float)n_tiles;
        }
    }
    memset(pl->zeros_input, 0, sizeof(float) * one);
    return IMP_OK;
}

/* Squared differences of neighbours, summed; grad += coef * d/dx unless
 * grad is NULL. */
static double total_variation(const float *x, float *grad, size_t planes, int h, int w,
                              double coef)
{
    double s = 0.0;
    float k = (float)(2.0 * coef);
    for (size_t pl = 0; pl < planes; pl++) {
        const float *p = x + pl * (size_t)h * (size_t)w;
        float *g = grad ? grad + pl * (size_t)h * (size_t)w : NULL;
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++) {
                size_t i = (size_t)r * (size_t)w + (size_t)c;
                if (c + 1 < w) {
                    float d = p[i + 1] - p[i];
                    s += (double)d * d;
                    if (g) {
                        g[i + 1] += k * d;
                        g[i] -= k * d;
                    }
                }
                if (r + 1 < h) {
                    float d = p[i + (size_t)w] - p[i];
                    s += (double)d * d;
                    if (g) {
                        g[i + (size_t)w] += k * d;
                        g[i] -= k * d;
                    }
                }
            }
    }
    return coef * s;
}

/* The pixel term of the identity style's samples: weight * mean over the
 * batch's pixels of (255 (gen - photo))^2, its gradient added into grad. */
static double identity_pixels(const struct imp_ploss *pl, const float *gen, const float *photo,
                              const int *style_of_sample, float *grad)
{
    const double weight = pl->o.identity_pixel_weight;
    const size_t per = 3 * (size_t)pl->h * (size_t)pl->w;
    const double k = weight * 255.0 * 255.0 / (double)(per * (size_t)pl->batch);
    double sum = 0.0;
    for (int n = 0; weight > 0 && n < pl->batch; n++) {
        if (pl->has_target[style_of_sample[n]])
            continue;
        const float *g = gen + (size_t)n * per, *p = photo + (size_t)n * per;
        float *d = grad ? grad + (size_t)n * per : NULL;
        for (size_t i = 0; i < per; i++) {
            const double diff = (double)g[i] - (double)p[i];
            sum += diff * diff;
            if (d)
                d[i] += (float)(2.0 * k * diff);
        }
    }
    return k * sum;
}

/* The loss, and its gradient into grad_gen unless that is NULL (then the
 * loss network runs forward only). */
static struct imp_ploss_value evaluate(struct imp_ploss *pl, const float *gen,
                                       const float *content, const int *style_of_sample,
                                       float *grad_gen)
{
    struct imp_ploss_value out = {0};
    struct imp_tnet *net = pl->net;
    const int cv = pl->o.content_value;
    int d[4];
    imp_tnet_value_shape(net, cv, d);
    size_t content_n = (size_t)d[0] * (size_t)d[1] * (size_t)d[2] * (size_t)d[3];

    imp_tnet_forward(net, content, cv);
    memcpy(pl->content_target, imp_tnet_value(net, cv), sizeof(float) * content_n);
    imp_tnet_forward(net, gen, pl->last_value);

    /* Seeds start at zero: a value may be both the content value and a
     * style value. */
    for (int i = -1; i < pl->o.n_style_values; i++) {
        int v = i < 0 ? cv : pl->style_values[i];
        imp_tnet_value_shape(net, v, d);
        memset(imp_tnet_grad(net, v), 0,
               sizeof(float) * (size_t)d[0] * (size_t)d[1] * (size_t)d[2] * (size_t)d[3]);
    }
    const float *f = imp_tnet_value(net, cv);
    float *g = grad_gen ? imp_tnet_grad(net, cv) : NULL;
    double sc = 0.0, kc = pl->o.content_weight / (double)content_n;
    for (size_t i = 0; i < content_n; i++) {
        float diff = f[i] - pl->content_target[i];
        sc += (double)diff * diff;
        if (g)
            g[i] += (float)(2.0 * kc) * diff;
    }
    out.content = kc * sc;

    memset(pl->sample_loss, 0, sizeof(double) * (size_t)pl->batch);
    for (int i = 0; i < pl->o.n_style_values; i++) {
        int v = pl->style_values[i];
        imp_tnet_value_shape(net, v, d);
        struct style_job j = {
            .pl = pl, .feat = imp_tnet_value(net, v),
            .grad = grad_gen ? imp_tnet_grad(net, v) : NULL,
            .c = d[1], .hw = (size_t)d[2] * (size_t)d[3], .value_index = i,
            .style_of = style_of_sample, .coef = pl->o.style_weight / (double)pl->batch};
        imp_parallel_for(net->pool, (size_t)pl->batch, 1, style_items, &j);
    }
    for (int n = 0; n < pl->batch; n++)
        out.style += pl->sample_loss[n];

    if (grad_gen) {
        imp_tnet_backward(net);
        size_t gen_n = (size_t)pl->batch * 3 * (size_t)pl->h * (size_t)pl->w;
        memcpy(grad_gen, imp_tnet_grad(net, 0), sizeof(float) * gen_n);
    }
    out.tv = total_variation(gen, grad_gen, (size_t)pl->batch * 3, pl->h, pl->w,
                             pl->o.tv_weight * 255.0 * 255.0 / (double)pl->batch);
    out.content += identity_pixels(pl, gen, content, style_of_sample, grad_gen);
    out.total = out.content + out.style + out.tv;
    return out;
}

struct imp_ploss_value imp_ploss_eval(struct imp_ploss *pl, const float *gen,
                                      const float *content, const int *style_of_sample,
                                      float *grad_gen)
{
    return evaluate(pl, gen, content, style_of_sample, grad_gen);
}

struct imp_ploss_value imp_ploss_measure(struct imp_ploss *pl, const float *gen,
                                         const float *content, const int *style_of_sample)
{
    return evaluate(pl, gen, content, style_of_sample, NULL);
}
