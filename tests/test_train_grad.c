/* Training kernels: every reference twin (src/train/reference.c) against
 * central finite differences in double precision, then every layer of a
 * training network (the fast kernels, trainable and frozen convolutions)
 * against its twin at every ISA cap this CPU has, with 1 and 2 threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "impasto_train.h"
#include "train/reference.h"

enum kind {
    K_CONV, K_NORM, K_RELU, K_SIGMOID, K_TANH, K_PAD, K_UP2, K_UP2_LINEAR, K_MAX, K_AVG, K_ADD
};

struct gcase {
    enum kind kind;
    int n, c, h, w;
    int m, k, stride, pad, bias; /* conv; pad also for K_PAD */
    int n_styles;                /* norm */
};

/* Everything one case needs, in double: input, parameters, output, and
 * the gradients a loss sum(r * y) gives. */
struct gdata {
    struct gcase cc;
    int oh, ow;
    size_t nx, ny, nw, nb;
    double *x, *w, *b, *y, *r, *dx, *dw, *db;
    int style_of[8];
};

static size_t planes(const struct gcase *c) { return (size_t)c->n * (size_t)c->c; }

static struct tconv_geom geom_of(const struct gdata *d)
{
    const struct gcase *c = &d->cc;
    return (struct tconv_geom){.n = c->n, .c = c->c, .h = c->h, .w = c->w, .m = c->m,
                               .oh = d->oh, .ow = d->ow, .k = c->k, .stride = c->stride,
                               .dilate = 1, .pad_t = c->pad, .pad_l = c->pad};
}

static void ref_forward(const struct gdata *d, const double *x, const double *w,
                        const double *b, double *y)
{
    const struct gcase *c = &d->cc;
    size_t hw = (size_t)c->h * (size_t)c->w;
    switch (c->kind) {
    case K_CONV: {
        struct tconv_geom g = geom_of(d);
        tref_conv_forward(&g, x, w, c->bias ? b : NULL, y);
        break;
    }
    case K_NORM:
        tref_norm_forward(x, y, c->n, c->c, hw, w, b, d->style_of);
        break;
    case K_RELU:
    case K_SIGMOID:
    case K_TANH:
        tref_act_forward(c->kind == K_RELU ? TK_RELU : c->kind == K_SIGMOID ? TK_SIGMOID : TK_TANH,
                         x, y, d->nx);
        break;
    case K_PAD:
        tref_pad_forward(x, y, planes(c), c->h, c->w, c->pad);
        break;
    case K_UP2:
    case K_UP2_LINEAR:
        tref_up2_forward(x, y, planes(c), c->h, c->w, c->kind == K_UP2_LINEAR);
        break;
    case K_MAX:
    case K_AVG:
        tref_pool_forward(c->kind == K_MAX, x, y, planes(c), c->h, c->w);
        break;
    case K_ADD: /* x + x: the network adds one value to itself */
        for (size_t i = 0; i < d->nx; i++)
            y[i] = 2.0 * x[i];
        break;
    }
}

static void ref_backward(struct gdata *d)
{
    const struct gcase *c = &d->cc;
    size_t hw = (size_t)c->h * (size_t)c->w;
    switch (c->kind) {
    case K_CONV: {
        struct tconv_geom g = geom_of(d);
        tref_conv_backward(&g, d->x, d->w, d->r, d->dx, d->dw, c->bias ? d->db : NULL);
        break;
    }
    case K_NORM:
        tref_norm_backward(d->x, d->r, d->dx, c->n, c->c, hw, d->w, d->style_of, c->n_styles,
                           d->dw, d->db);
        break;
    case K_RELU:
    case K_SIGMOID:
    case K_TANH:
        tref_act_backward(c->kind == K_RELU ? TK_RELU : c->kind == K_SIGMOID ? TK_SIGMOID : TK_TANH,
                          d->x, d->r, d->dx, d->nx);
        break;
    case K_PAD:
        tref_pad_backward(d->r, d->dx, planes(c), c->h, c->w, c->pad);
        break;
    case K_UP2:
    case K_UP2_LINEAR:
        tref_up2_backward(d->r, d->dx, planes(c), c->h, c->w, c->kind == K_UP2_LINEAR);
        break;
    case K_MAX:
    case K_AVG:
        tref_pool_backward(c->kind == K_MAX, d->x, d->r, d->dx, planes(c), c->h, c->w);
        break;
    case K_ADD:
        for (size_t i = 0; i < d->nx; i++)
            d->dx[i] = 2.0 * d->r[i];
        break;
    }
}

static double *dalloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

/* Random data rounded to float, so the float network sees the same numbers. */
static void fill(double *v, size_t n, double scale, unsigned *seed)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (double)(float)(scale * imp_test_frand(seed));
}

static void gdata_make(struct gdata *d, const struct gcase *cc, unsigned seed)
{
    memset(d, 0, sizeof *d);
    d->cc = *cc;
    const struct gcase *c = cc;
    d->nx = (size_t)c->n * (size_t)c->c * (size_t)c->h * (size_t)c->w;
    int oc = c->c;
    d->oh = c->h;
    d->ow = c->w;
    switch (c->kind) {
    case K_CONV:
        oc = c->m;
        d->oh = (c->h + 2 * c->pad - c->k) / c->stride + 1;
        d->ow = (c->w + 2 * c->pad - c->k) / c->stride + 1;
        d->nw = (size_t)c->m * (size_t)c->c * (size_t)c->k * (size_t)c->k;
        d->nb = c->bias ? (size_t)c->m : 0;
        break;
    case K_NORM:
        d->nw = d->nb = (size_t)c->n_styles * (size_t)c->c;
        break;
    case K_PAD:
        d->oh = c->h + 2 * c->pad;
        d->ow = c->w + 2 * c->pad;
        break;
    case K_UP2:
    case K_UP2_LINEAR:
        d->oh = 2 * c->h;
        d->ow = 2 * c->w;
        break;
    case K_MAX:
    case K_AVG:
        d->oh = c->h / 2;
        d->ow = c->w / 2;
        break;
    default:
        break;
    }
    d->ny = (size_t)c->n * (size_t)oc * (size_t)d->oh * (size_t)d->ow;
    d->x = dalloc(d->nx);
    d->dx = dalloc(d->nx);
    d->w = dalloc(d->nw);
    d->dw = dalloc(d->nw);
    d->b = dalloc(d->nb);
    d->db = dalloc(d->nb);
    d->y = dalloc(d->ny);
    d->r = dalloc(d->ny);
    fill(d->x, d->nx, 2.0, &seed);
    fill(d->w, d->nw, 0.5, &seed);
    fill(d->b, d->nb, 0.5, &seed);
    fill(d->r, d->ny, 1.0, &seed);
    if (c->kind == K_NORM)
        for (size_t i = 0; i < d->nw; i++)
            d->w[i] += 1.0;
    for (int i = 0; i < c->n && i < 8; i++)
        d->style_of[i] = c->n_styles > 1 ? (i * 5 + 1) % c->n_styles : 0;
    ref_forward(d, d->x, d->w, d->b, d->y);
    ref_backward(d);
}

static void gdata_free(struct gdata *d)
{
    free(d->x);
    free(d->dx);
    free(d->w);
    free(d->dw);
    free(d->b);
    free(d->db);
    free(d->y);
    free(d->r);
}

static double loss_of(const struct gdata *d, const double *x, const double *w, const double *b)
{
    double *y = dalloc(d->ny);
    ref_forward(d, x, w, b, y);
    double s = 0.0;
    for (size_t i = 0; i < d->ny; i++)
        s += d->r[i] * y[i];
    free(y);
    return s;
}

/* The analytic gradient of a few entries of v against central differences. */
static void check_fd(struct gdata *d, double *v, const double *grad, size_t n, const char *what,
                     unsigned seed)
{
    const double h = 1e-6;
    for (int t = 0; t < 12 && n; t++) {
        size_t i = (size_t)((imp_test_frand(&seed) + 1.0f) * 0.5f * (float)n) % n;
        double keep = v[i];
        v[i] = keep + h;
        double lp = loss_of(d, d->x, d->w, d->b);
        v[i] = keep - h;
        double lm = loss_of(d, d->x, d->w, d->b);
        v[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        if (!imp_test_near(grad[i], fd, 1e-5, 1e-6, what, __FILE__, __LINE__)) {
            printf("  kind %d: %s[%zu] analytic %.9g, finite differences %.9g\n", d->cc.kind,
                   what, i, grad[i], fd);
            return;
        }
    }
}

static const struct gcase cases[] = {
    {K_CONV, 2, 3, 11, 9, 5, 3, 1, 1, 1, 0},
    {K_CONV, 2, 4, 10, 10, 8, 3, 2, 1, 0, 0},
    {K_CONV, 1, 3, 12, 13, 4, 9, 1, 4, 1, 0},
    {K_CONV, 1, 6, 9, 9, 7, 1, 1, 0, 1, 0},
    {K_CONV, 2, 5, 8, 8, 16, 3, 1, 1, 1, 0},
    {K_CONV, 1, 8, 20, 21, 6, 3, 1, 1, 1, 0},
    {K_CONV, 2, 13, 14, 13, 3, 5, 1, 2, 1, 0}, /* 4M <= C: weight gradient by taps */
    {K_CONV, 1, 4, 10, 36, 3, 9, 1, 4, 1, 0}, /* wide enough for nested Winograd */
    {K_CONV, 1, 16, 9, 7, 4, 3, 2, 0, 1, 0},
    {K_NORM, 3, 4, 5, 6, 0, 0, 0, 0, 0, 2},
    {K_NORM, 2, 3, 7, 4, 0, 0, 0, 0, 0, 1},
    {K_RELU, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0},
    {K_SIGMOID, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0},
    {K_TANH, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0},
    {K_PAD, 2, 2, 5, 6, 0, 0, 0, 2, 0, 0},
    {K_PAD, 1, 3, 9, 8, 0, 0, 0, 4, 0, 0},
    {K_UP2, 2, 3, 3, 4, 0, 0, 0, 0, 0, 0},
    {K_UP2_LINEAR, 2, 3, 3, 4, 0, 0, 0, 0, 0, 0},
    {K_UP2_LINEAR, 1, 2, 1, 5, 0, 0, 0, 0, 0, 0}, /* one row: both taps the edge */
    {K_MAX, 2, 3, 6, 7, 0, 0, 0, 0, 0, 0},
    {K_AVG, 1, 2, 7, 6, 0, 0, 0, 0, 0, 0},
    {K_ADD, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static void test_reference_twins_match_finite_differences(void)
{
    for (size_t ci = 0; ci < N_CASES; ci++) {
        struct gdata d;
        gdata_make(&d, &cases[ci], 100 + (unsigned)ci);
        check_fd(&d, d.x, d.dx, d.nx, "dx", 7);
        check_fd(&d, d.w, d.dw, d.nw, "dw", 8);
        check_fd(&d, d.b, d.db, d.nb, "db", 9);
        gdata_free(&d);
    }
}

static int build_layer(struct imp_tnet *net, const struct gcase *c)
{
    switch (c->kind) {
    case K_CONV: return imp_tnet_conv(net, 0, c->m, c->k, c->stride, c->pad, c->bias);
    case K_NORM: return imp_tnet_norm(net, 0, c->n_styles);
    case K_RELU: return imp_tnet_relu(net, 0);
    case K_SIGMOID: return imp_tnet_sigmoid(net, 0);
    case K_TANH: return imp_tnet_tanh(net, 0);
    case K_PAD: return imp_tnet_pad_reflect(net, 0, c->pad);
    case K_UP2: return imp_tnet_upsample2(net, 0);
    case K_UP2_LINEAR: return imp_tnet_upsample2_linear(net, 0);
    case K_MAX: return imp_tnet_maxpool2(net, 0);
    case K_AVG: return imp_tnet_avgpool2(net, 0);
    case K_ADD: return imp_tnet_add(net, 0, 0);
    }
    return -1;
}

/* Largest |got - want| over the largest |want|. */
static double rel_err(const float *got, const double *want, size_t n)
{
    double worst = 0.0, scale = 1e-12;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]);
        worst = e > worst ? e : worst;
        scale = fabs(want[i]) > scale ? fabs(want[i]) : scale;
    }
    return worst / scale;
}

static bool run_net_case(const struct gdata *d, enum imp_isa isa, int threads, bool frozen)
{
    const struct gcase *c = &d->cc;
    struct imp_tnet *net = imp_tnet_create(c->c);
    int v = build_layer(net, c);
    bool ok = CHECK(v == 1);
    float *p = imp_tnet_params(net);
    size_t wo = 0, wn = 0, bo = 0, bn = 0;
    bool has_params = imp_tnet_layer_params(net, v, &wo, &wn, &bo, &bn);
    ok &= CHECK(!has_params || (wn == d->nw && bn == d->nb));
    /* A frozen net's weights are set before planning (its engines take
     * them then); a trainable net's change after planning, at every step,
     * as an optimiser changes them. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == (frozen ? 1 : 0)) {
            struct imp_tnet_plan_options o = {
                .batch = c->n, .height = c->h, .width = c->w, .threads = threads,
                .max_isa = isa, .frozen = frozen, .input_grad = true, .seeds = &v,
                .n_seeds = 1};
            struct imp_error err = {0};
            if (!CHECK(ok && imp_tnet_plan(net, &o, &err) == IMP_OK)) {
                printf("  plan: %s\n", err.message);
                imp_tnet_free(net);
                return false;
            }
        } else if (has_params) {
            for (size_t i = 0; i < wn && i < d->nw; i++)
                p[wo + i] = (float)d->w[i];
            for (size_t i = 0; i < bn && i < d->nb; i++)
                p[bo + i] = (float)d->b[i];
        }
    }
    struct imp_error err = {0};
    if (c->kind == K_NORM)
        ok &= CHECK(imp_tnet_set_styles(net, d->style_of, &err) == IMP_OK);
    float *x = malloc(sizeof(float) * d->nx);
    for (size_t i = 0; i < d->nx; i++)
        x[i] = (float)d->x[i];
    imp_tnet_forward(net, x, -1);
    double e_y = rel_err(imp_tnet_value(net, v), d->y, d->ny);
    float *g = imp_tnet_grad(net, v);
    for (size_t i = 0; i < d->ny; i++)
        g[i] = (float)d->r[i];
    imp_tnet_backward(net);
    double e_dx = rel_err(imp_tnet_grad(net, 0), d->dx, d->nx);
    double e_dw = 0.0, e_db = 0.0;
    if (!frozen && d->nw) {
        e_dw = rel_err(imp_tnet_param_grads(net) + wo, d->dw, d->nw);
        if (d->nb)
            e_db = rel_err(imp_tnet_param_grads(net) + bo, d->db, d->nb);
    }
    /* float sums over at most a few hundred terms */
    const double tol = 2e-5;
    ok &= CHECK(e_y < tol && e_dx < tol && e_dw < tol && e_db < tol);
    if (!ok)
        printf("  kind %d isa=%s threads=%d frozen=%d: y %.3g dx %.3g dw %.3g db %.3g\n",
               c->kind, imp_isa_name(isa), threads, frozen, e_y, e_dx, e_dw, e_db);
    free(x);
    imp_tnet_free(net);
    return ok;
}

static void test_layers_match_reference_at_every_isa(void)
{
    enum imp_isa best = imp_isa_detect();
    for (size_t ci = 0; ci < N_CASES; ci++) {
        struct gdata d;
        gdata_make(&d, &cases[ci], 200 + (unsigned)ci);
        bool ok = true;
        for (int isa = IMP_ISA_SCALAR; isa <= (int)best && ok; isa++)
            for (int threads = 1; threads <= 2 && ok; threads++)
                for (int frozen = 0; frozen <= (cases[ci].kind == K_CONV) && ok; frozen++)
                    ok = run_net_case(&d, (enum imp_isa)isa, threads, frozen);
        if (!ok)
            printf("  case %zu failed\n", ci);
        gdata_free(&d);
    }
}

int main(void)
{
    RUN(test_reference_twins_match_finite_differences);
    RUN(test_layers_match_reference_at_every_isa);
    return imp_test_finish();
}
