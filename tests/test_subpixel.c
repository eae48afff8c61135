/* The sub-pixel pass (src/passes/subpixel.c) and DepthToSpace: graphs
 * built in code are checked against plain loops written here, both when
 * the pass rewrites them and when it must leave them alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "runtime/model.h"
#include "passes/passes.h"
#include "harness.h"

static uint32_t rng_state = 12345u;

static float frand(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void fill(float *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = frand();
}

static int count_op(const struct imp_model *m, const char *op)
{
    int n = 0;
    for (int i = 0; i < imp_model_node_count(m); i++)
        n += strcmp(imp_model_node_op(m, i), op) == 0;
    return n;
}

/* ---- plain-loop references ------------------------------------------- */

/* Conv 3x3, stride 1, on an already padded [n, ci, hp, wp] map. */
static void ref_conv3(const float *xp, int n, int ci, int hp, int wp, const float *w,
                      const float *b, int co, float *y)
{
    int ho = hp - 2, wo = wp - 2;
    for (int in = 0; in < n; in++)
        for (int o = 0; o < co; o++)
            for (int r = 0; r < ho; r++)
                for (int s = 0; s < wo; s++) {
                    double acc = b ? b[o] : 0.0;
                    for (int c = 0; c < ci; c++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                                acc += (double)w[((o * ci + c) * 3 + ky) * 3 + kx] *
                                       xp[((in * ci + c) * hp + r + ky) * wp + s + kx];
                    y[((in * co + o) * ho + r) * wo + s] = (float)acc;
                }
}

enum pad_kind { PAD_NONE_CONV_ZERO, PAD_REFLECT, PAD_EDGE, PAD_CONST };

/* Source index of output o when nearest-resizing n pixels to 2n, from the
 * ONNX formulas (no assumption that the result is o/2). */
static int nearest_source(int o, int n, const char *coord, const char *nearest)
{
    double x;
    if (!coord || strcmp(coord, "asymmetric") == 0)
        x = o / 2.0;
    else if (strcmp(coord, "align_corners") == 0)
        x = n > 1 ? o * (n - 1.0) / (2.0 * n - 1.0) : 0.0;
    else if (strcmp(coord, "tf_half_pixel_for_nn") == 0)
        x = (o + 0.5) / 2.0;
    else /* half_pixel, pytorch_half_pixel (2n > 1) */
        x = (o + 0.5) / 2.0 - 0.5;
    double f = floor(x);
    int i;
    if (nearest && strcmp(nearest, "floor") == 0)
        i = (int)f;
    else if (nearest && strcmp(nearest, "ceil") == 0)
        i = (int)ceil(x);
    else if (nearest && strcmp(nearest, "round_prefer_ceil") == 0)
        i = x - f >= 0.5 ? (int)f + 1 : (int)f;
    else
        i = x - f > 0.5 ? (int)f + 1 : (int)f;
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* Nearest x2, then pad 1 (by kind), into [n, c, 2h+2, 2w+2]. */
static void ref_upsample_pad(const float *x, int n, int c, int h, int w,
                             enum pad_kind kind, float cval, const char *coord,
                             const char *nearest, float *xp)
{
    int uh = 2 * h, uw = 2 * w, hp = uh + 2, wp = uw + 2;
    for (int nc = 0; nc < n * c; nc++)
        for (int r = 0; r < hp; r++)
            for (int s = 0; s < wp; s++) {
                int ur = r - 1, us = s - 1;
                bool out = ur < 0 || ur >= uh || us < 0 || us >= uw;
                float v;
                if (out && (kind == PAD_CONST || kind == PAD_NONE_CONV_ZERO)) {
                    v = kind == PAD_CONST ? cval : 0.0f;
                } else {
                    if (kind == PAD_REFLECT) {
                        ur = ur < 0 ? -ur : ur >= uh ? 2 * uh - 2 - ur : ur;
                        us = us < 0 ? -us : us >= uw ? 2 * uw - 2 - us : us;
                    } else {
                        ur = ur < 0 ? 0 : ur >= uh ? uh - 1 : ur;
                        us = us < 0 ? 0 : us >= uw ? uw - 1 : us;
                    }
                    v = x[(nc * h + nearest_source(ur, h, coord, nearest)) * w +
                          nearest_source(us, w, coord, nearest)];
                }
                xp[(nc * hp + r) * wp + s] = v;
            }
}

/* ConvTranspose by scattering, stride 2, 3x3, explicit pads/out size. */
static void ref_conv_transpose(const float *x, int n, int ci, int h, int w,
                               const float *wt, const float *b, int co, int pbh,
                               int pbw, int oh, int ow, float *y)
{
    for (int in = 0; in < n; in++)
        for (int o = 0; o < co; o++)
            for (int r = 0; r < oh; r++)
                for (int s = 0; s < ow; s++)
                    y[((in * co + o) * oh + r) * ow + s] = b ? b[o] : 0.0f;
    for (int in = 0; in < n; in++)
        for (int c = 0; c < ci; c++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    for (int o = 0; o < co; o++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int r = 2 * i + ky - pbh, s = 2 * j + kx - pbw;
                                if (r < 0 || r >= oh || s < 0 || s >= ow)
                                    continue;
                                y[((in * co + o) * oh + r) * ow + s] +=
                                    x[((in * ci + c) * h + i) * w + j] *
                                    wt[((c * co + o) * 3 + ky) * 3 + kx];
                            }
}

/* ---- graph building ---------------------------------------------------- */

static int act(struct imp_graph *g, const char *name)
{
    return imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_F32, NULL);
}

struct up_case {
    int n, ci, co, h, w;
    bool bias;
    enum pad_kind pad;
    enum imp_op up_op;   /* IMP_OP_RESIZE or IMP_OP_UPSAMPLE */
    const char *coord;   /* Resize attributes; NULL: absent */
    const char *nearest;
    float scale_h;       /* 2 unless testing a decline */
    const char *mode;    /* "nearest" unless testing a decline */
    bool side_reader;    /* the upsampled map is also a graph output */
    bool pads_attr;      /* legacy Pad with a pads attribute */
};

/* x -> up -> [Pad] -> Conv -> y. Weights/bias into w, b. */
static struct imp_model *build_upsample(const struct up_case *t, float *w, float *b,
                                        float cval)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {t->n, t->ci, t->h, t->w};
    struct imp_shape xs = imp_shape_make(4, xd);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    imp_graph_add_input(&g, x);

    float scales[4] = {1.0f, 1.0f, t->scale_h, 2.0f};
    struct imp_shape s4 = {.rank = 1, .d = {4}};
    int sc = imp_graph_add_const(&g, "scales", IMP_DTYPE_F32, &s4, scales);
    int u = act(&g, "up");
    int node;
    if (t->up_op == IMP_OP_UPSAMPLE) {
        int in[2] = {x, sc};
        node = imp_graph_add_node(&g, IMP_OP_UPSAMPLE, "up", 2, in, 1, &u);
    } else {
        int in[3] = {x, -1, sc};
        node = imp_graph_add_node(&g, IMP_OP_RESIZE, "up", 3, in, 1, &u);
        if (t->coord)
            imp_node_set_string(&g, node, "coordinate_transformation_mode", t->coord);
        if (t->nearest)
            imp_node_set_string(&g, node, "nearest_mode", t->nearest);
    }
    imp_node_set_string(&g, node, "mode", t->mode ? t->mode : "nearest");

    int conv_in = u;
    if (t->pad != PAD_NONE_CONV_ZERO) {
        static const int64_t pads[8] = {0, 0, 1, 1, 0, 0, 1, 1};
        const char *mode = t->pad == PAD_REFLECT ? "reflect"
                           : t->pad == PAD_EDGE  ? "edge"
                                                 : "constant";
        conv_in = act(&g, "padded");
        if (t->pads_attr) {
            node = imp_graph_add_node(&g, IMP_OP_PAD, "pad", 1, &u, 1, &conv_in);
            imp_node_set_ints(&g, node, "pads", pads, 8);
            imp_node_set_float(&g, node, "value", cval);
        } else {
            struct imp_shape s8 = {.rank = 1, .d = {8}}, s0 = {.rank = 0};
            int pc = imp_graph_add_const(&g, "pads", IMP_DTYPE_I64, &s8, pads);
            int vc = imp_graph_add_const(&g, "cval", IMP_DTYPE_F32, &s0, &cval);
            int in[3] = {u, pc, vc};
            node = imp_graph_add_node(&g, IMP_OP_PAD, "pad", 3, in, 1, &conv_in);
        }
        imp_node_set_string(&g, node, "mode", mode);
    }

    int64_t wd[4] = {t->co, t->ci, 3, 3};
    struct imp_shape ws = imp_shape_make(4, wd), bs = {.rank = 1, .d = {t->co}};
    fill(w, (int64_t)t->co * t->ci * 9);
    fill(b, t->co);
    int wc = imp_graph_add_const(&g, "W", IMP_DTYPE_F32, &ws, w);
    int bc = imp_graph_add_const(&g, "B", IMP_DTYPE_F32, &bs, b);
    int y = act(&g, "y");
    int in[3] = {conv_in, wc, bc};
    node = imp_graph_add_node(&g, IMP_OP_CONV, "conv", t->bias ? 3 : 2, in, 1, &y);
    static const int64_t k3[2] = {3, 3}, ones[4] = {1, 1, 1, 1};
    imp_node_set_ints(&g, node, "kernel_shape", k3, 2);
    if (t->pad == PAD_NONE_CONV_ZERO)
        imp_node_set_ints(&g, node, "pads", ones, 4);
    imp_graph_add_output(&g, y);
    if (t->side_reader)
        imp_graph_add_output(&g, u);

    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  load: %s\n", err.message);
    return m;
}

/* Run output 0 of m on x; returns a malloc'd copy and its element count. */
static float *run_model_threads(const struct imp_model *m, const char *engines,
                                const float *x, size_t nx, size_t *ny, int threads)
{
    struct imp_predictor_options opt = imp_predictor_options_default();
    opt.threads = threads;
    opt.engines = engines;
    struct imp_predictor *p;
    if (!CHECK_STATUS(imp_predictor_init(m, &opt, &p, NULL), IMP_OK))
        return NULL;
    float *copy = NULL;
    struct imp_tensor_info info;
    const float *out;
    if (CHECK_STATUS(imp_predictor_set_input(p, 0, x, sizeof(float) * nx), IMP_OK) &&
        CHECK_STATUS(imp_predictor_run(p), IMP_OK) &&
        CHECK_STATUS(imp_predictor_output(p, 0, &info, (const void **)&out), IMP_OK)) {
        size_t n = 1;
        for (int i = 0; i < info.rank; i++)
            n *= (size_t)info.dims[i];
        copy = malloc(sizeof(float) * n);
        memcpy(copy, out, sizeof(float) * n);
        *ny = n;
    }
    imp_predictor_free(p);
    return copy;
}

static float *run_model(const struct imp_model *m, const char *engines, const float *x,
                        size_t nx, size_t *ny)
{
    return run_model_threads(m, engines, x, nx, ny, 1);
}

/* Save as .imp, load again: the passes run a second time and must change
 * nothing (same node list, same numbers). */
static void check_roundtrip(const struct imp_model *m, const float *x, size_t nx,
                            const float *want, size_t nwant)
{
    char path[64];
    snprintf(path, sizeof path, "test_subpixel_%d.imp", (int)(rng_state & 0xffff));
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_save_imp(m, path, &err), IMP_OK))
        return;
    struct imp_model *m2 = NULL;
    if (CHECK_STATUS(imp_model_load_file(path, &m2, &err), IMP_OK)) {
        CHECK(imp_model_node_count(m2) == imp_model_node_count(m));
        for (int i = 0; i < imp_model_node_count(m) && i < imp_model_node_count(m2); i++)
            CHECK(strcmp(imp_model_node_op(m, i), imp_model_node_op(m2, i)) == 0);
        size_t ny = 0;
        float *y = run_model(m2, NULL, x, nx, &ny);
        if (CHECK(y && ny == nwant))
            CHECK(imp_test_max_rel_error(y, want, ny, 1.0) == 0.0);
        free(y);
        imp_model_free(m2);
    }
    remove(path);
}

/* Build, run, compare with the loops; `rewrite` says whether the pass
 * must fire. */
static void check_upsample(const struct up_case *t, bool rewrite)
{
    float cval = 0.75f;
    float *w = malloc(sizeof(float) * (size_t)(t->co * t->ci * 9));
    float *b = malloc(sizeof(float) * (size_t)t->co);
    struct imp_model *m = build_upsample(t, w, b, cval);
    size_t nx = (size_t)(t->n * t->ci * t->h * t->w);
    int hp = 2 * t->h + 2, wp = 2 * t->w + 2;
    float *x = malloc(sizeof(float) * nx);
    float *xp = malloc(sizeof(float) * (size_t)(t->n * t->ci * hp * wp));
    size_t nwant = (size_t)(t->n * t->co * 2 * t->h * 2 * t->w);
    float *want = malloc(sizeof(float) * nwant);
    fill(x, (int64_t)nx);
    if (CHECK(m != NULL)) {
        CHECK(count_op(m, "DepthToSpace") == (rewrite ? 1 : 0));
        CHECK(count_op(m, "Resize") + count_op(m, "Upsample") == (rewrite ? 0 : 1));
        const char *coord = t->up_op == IMP_OP_UPSAMPLE ? "asymmetric"
                            : t->coord ? t->coord : "half_pixel";
        const char *nearest = t->up_op == IMP_OP_UPSAMPLE ? "floor"
                              : t->nearest ? t->nearest : "round_prefer_floor";
        ref_upsample_pad(x, t->n, t->ci, t->h, t->w, t->pad, cval, coord, nearest, xp);
        ref_conv3(xp, t->n, t->ci, hp, wp, w, t->bias ? b : NULL, t->co, want);
        size_t ny = 0;
        float *y = run_model(m, NULL, x, nx, &ny);
        /* the fast conv engines (Winograd) round differently */
        if (CHECK(y && ny == nwant))
            CHECK(imp_test_max_rel_error(y, want, ny, 1.0) < 1e-4);
        float *yr = run_model(m, "Conv=ref,DepthToSpace=ref", x, nx, &ny);
        if (CHECK(yr && ny == nwant))
            CHECK(imp_test_max_rel_error(yr, want, ny, 1.0) < 1e-5);
        if (y)
            check_roundtrip(m, x, nx, y, nwant);
        free(y);
        free(yr);
        imp_model_free(m);
    }
    free(w);
    free(b);
    free(x);
    free(xp);
    free(want);
}

static void upsample_pad_conv_is_rewritten(void)
{
    static const struct up_case cases[] = {
        /* n ci co h w bias pad */
        {1, 3, 4, 4, 5, true, PAD_REFLECT, IMP_OP_RESIZE, "asymmetric", "floor", 2, NULL, false, false},
        {2, 5, 3, 3, 7, false, PAD_REFLECT, IMP_OP_RESIZE, "asymmetric", "floor", 2, NULL, false, false},
        {1, 1, 1, 1, 1, true, PAD_REFLECT, IMP_OP_RESIZE, "asymmetric", "floor", 2, NULL, false, false},
        {1, 8, 6, 6, 2, true, PAD_EDGE, IMP_OP_RESIZE, "asymmetric", "round_prefer_floor", 2, NULL, false, false},
        {1, 4, 2, 5, 3, true, PAD_CONST, IMP_OP_RESIZE, "half_pixel", NULL, 2, NULL, false, false},
        {1, 4, 2, 5, 3, false, PAD_CONST, IMP_OP_RESIZE, "pytorch_half_pixel", "round_prefer_ceil", 2, NULL, false, true},
        {1, 2, 5, 4, 4, true, PAD_NONE_CONV_ZERO, IMP_OP_RESIZE, "tf_half_pixel_for_nn", "floor", 2, NULL, false, false},
        {1, 3, 3, 3, 6, true, PAD_REFLECT, IMP_OP_UPSAMPLE, NULL, NULL, 2, NULL, false, true},
        {1, 16, 8, 5, 9, true, PAD_REFLECT, IMP_OP_UPSAMPLE, NULL, NULL, 2, NULL, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        printf("  case %zu\n", i);
        check_upsample(&cases[i], true);
    }
}

/* Each of these differs from replication or shares a dropped value. */
static void upsample_pad_conv_left_alone(void)
{
    static const struct up_case cases[] = {
        /* asymmetric + round_prefer_ceil samples (o+1)/2 on odd rows */
        {1, 3, 4, 4, 5, true, PAD_REFLECT, IMP_OP_RESIZE, "asymmetric", "round_prefer_ceil", 2, NULL, false, false},
        /* half_pixel + floor shifts every even row */
        {1, 3, 4, 4, 5, true, PAD_REFLECT, IMP_OP_RESIZE, "half_pixel", "floor", 2, NULL, false, false},
        {1, 3, 4, 4, 5, true, PAD_REFLECT, IMP_OP_RESIZE, "align_corners", "floor", 2, NULL, false, false},
        {1, 3, 4, 4, 5, true, PAD_REFLECT, IMP_OP_RESIZE, "asymmetric", "floor", 2, NULL, true, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        printf("  case %zu\n", i);
        check_upsample(&cases[i], false);
    }
}

/* Scale 3 on H, or linear mode: not a x2 replication; no rewrite. Only
 * the node counts are checked (the reference loops know only x2). */
static void other_resizes_left_alone(void)
{
    struct up_case t = {1, 2, 2, 3, 3, true, PAD_REFLECT, IMP_OP_RESIZE, "asymmetric",
                        "floor", 3, NULL, false, false};
    float w[36], b[2];
    struct imp_model *m = build_upsample(&t, w, b, 0.0f);
    if (CHECK(m != NULL)) {
        CHECK(count_op(m, "DepthToSpace") == 0);
        imp_model_free(m);
    }
    t.scale_h = 2;
    t.mode = "linear";
    m = build_upsample(&t, w, b, 0.0f);
    if (CHECK(m != NULL)) {
        CHECK(count_op(m, "DepthToSpace") == 0);
        imp_model_free(m);
    }
}

/* ---- ConvTranspose ----------------------------------------------------- */

struct ct_case {
    int n, ci, co, h, w;
    bool bias;
    int64_t pads[4]; /* begin h, begin w, end h, end w */
    int64_t opad[2];
    bool valid;      /* auto_pad VALID instead of pads */
    bool rewrite;
    bool skip;       /* run the pass without IMP_SUBPIXEL_CONV_TRANSPOSE */
};

static void check_conv_transpose(const struct ct_case *t)
{
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {t->n, t->ci, t->h, t->w};
    struct imp_shape xs = imp_shape_make(4, xd);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    imp_graph_add_input(&g, x);
    int64_t wd[4] = {t->ci, t->co, 3, 3};
    struct imp_shape ws = imp_shape_make(4, wd), bs = {.rank = 1, .d = {t->co}};
    size_t nw = (size_t)(t->ci * t->co * 9);
    float *w = malloc(sizeof(float) * nw), *b = malloc(sizeof(float) * (size_t)t->co);
    fill(w, (int64_t)nw);
    fill(b, t->co);
    int wc = imp_graph_add_const(&g, "W", IMP_DTYPE_F32, &ws, w);
    int bc = imp_graph_add_const(&g, "B", IMP_DTYPE_F32, &bs, b);
    int y = act(&g, "y");
    int in[3] = {x, wc, bc};
    int node = imp_graph_add_node(&g, IMP_OP_CONV_TRANSPOSE, "convt", t->bias ? 3 : 2, in,
                                  1, &y);
    static const int64_t k3[2] = {3, 3}, s2[2] = {2, 2};
    imp_node_set_ints(&g, node, "kernel_shape", k3, 2);
    imp_node_set_ints(&g, node, "strides", s2, 2);
    if (t->valid)
        imp_node_set_string(&g, node, "auto_pad", "VALID");
    else
        imp_node_set_ints(&g, node, "pads", t->pads, 4);
    imp_node_set_ints(&g, node, "output_padding", t->opad, 2);
    imp_graph_add_output(&g, y);
    struct imp_model *m = NULL;
    struct imp_error err;
    /* The load-time passes leave ConvTranspose alone; ask for it. */
    CHECK_STATUS(imp_graph_sort(&g, &err), IMP_OK);
    CHECK_STATUS(imp_pass_subpixel(&g, t->skip ? IMP_SUBPIXEL_UPSAMPLE
                                              : IMP_SUBPIXEL_UPSAMPLE |
                                                    IMP_SUBPIXEL_CONV_TRANSPOSE,
                                   &err),
                 IMP_OK);
    bool rewrite = t->rewrite && !t->skip;
    if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK)) {
        printf("  load: %s\n", err.message);
        free(w);
        free(b);
        return;
    }
    CHECK(count_op(m, "DepthToSpace") == (rewrite ? 1 : 0));
    CHECK(count_op(m, "ConvTranspose") == (rewrite ? 0 : 1));
    int64_t pb[2] = {t->valid ? 0 : t->pads[0], t->valid ? 0 : t->pads[1]};
    int64_t pe[2] = {t->valid ? 0 : t->pads[2], t->valid ? 0 : t->pads[3]};
    int oh = (int)(2 * (t->h - 1) + 3 + t->opad[0] - pb[0] - pe[0]);
    int ow = (int)(2 * (t->w - 1) + 3 + t->opad[1] - pb[1] - pe[1]);
    size_t nx = (size_t)(t->n * t->ci * t->h * t->w);
    size_t nwant = (size_t)(t->n * t->co * oh * ow);
    float *xv = malloc(sizeof(float) * nx), *want = malloc(sizeof(float) * nwant);
    fill(xv, (int64_t)nx);
    ref_conv_transpose(xv, t->n, t->ci, t->h, t->w, w, t->bias ? b : NULL, t->co,
                       (int)pb[0], (int)pb[1], oh, ow, want);
    size_t ny = 0;
    float *yv = run_model(m, NULL, xv, nx, &ny);
    if (CHECK(yv && ny == nwant))
        CHECK(imp_test_max_rel_error(yv, want, ny, 1.0) < 1e-4);
    float *yr = run_model(m, "Conv=ref,DepthToSpace=ref", xv, nx, &ny);
    if (CHECK(yr && ny == nwant))
        CHECK(imp_test_max_rel_error(yr, want, ny, 1.0) < 1e-5);
    if (yv)
        check_roundtrip(m, xv, nx, yv, nwant);
    free(yv);
    free(yr);
    free(xv);
    free(want);
    free(w);
    free(b);
    imp_model_free(m);
}

static void conv_transpose_is_rewritten(void)
{
    static const struct ct_case cases[] = {
        /* the Johnson decoder: pads 1, output_padding 1, out = 2*in */
        {1, 4, 3, 4, 5, true, {1, 1, 1, 1}, {1, 1}, false, true, false},
        {2, 3, 5, 3, 1, false, {1, 1, 1, 1}, {1, 1}, false, true, false},
        {1, 8, 16, 5, 7, true, {1, 1, 1, 1}, {1, 1}, false, true, false},
        /* begin pad 0 (out = 2*in + 2), begin pad 2 (out = 2*in - 2) */
        {1, 3, 2, 4, 3, true, {0, 0, 0, 0}, {1, 1}, false, true, false},
        {1, 3, 2, 4, 5, true, {2, 2, 1, 1}, {0, 0}, false, true, false},
        /* mixed per axis: pads 1/0 with no output padding (out = 2*in) */
        {1, 2, 3, 3, 4, true, {1, 0, 0, 1}, {0, 0}, false, true, false},
        /* odd output sizes: left alone */
        {1, 3, 2, 4, 3, true, {1, 1, 1, 1}, {0, 0}, false, false, false},
        {1, 3, 2, 4, 3, true, {0, 0, 0, 0}, {0, 0}, true, false, false},
        /* not asked for */
        {1, 4, 3, 4, 5, true, {1, 1, 1, 1}, {1, 1}, false, true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        printf("  case %zu\n", i);
        check_conv_transpose(&cases[i]);
    }
}

/* ---- DepthToSpace -------------------------------------------------------- */

/* The ONNX definition: reshape to 6-D, transpose, reshape back. */
static void ref_d2s(const float *x, int n, int c, int h, int w, int bs, bool crd, float *y)
{
    int cc = c / (bs * bs);
    /* DCR: [n, bs, bs, cc, h, w] -> [n, cc, h, bs, w, bs]
     * CRD: [n, cc, bs, bs, h, w] -> [n, cc, h, bs, w, bs] */
    for (int i0 = 0; i0 < n; i0++)
        for (int a = 0; a < (crd ? cc : bs); a++)
            for (int bb = 0; bb < bs; bb++)
                for (int d = 0; d < (crd ? bs : cc); d++)
                    for (int e = 0; e < h; e++)
                        for (int f = 0; f < w; f++) {
                            int src =
                                ((((i0 * (crd ? cc : bs) + a) * bs + bb) * (crd ? bs : cc) +
                                  d) * h + e) * w + f;
                            int ch = crd ? a : d, by = crd ? bb : a, bx = crd ? d : bb;
                            int dst = ((i0 * cc + ch) * h * bs + e * bs + by) * w * bs +
                                      f * bs + bx;
                            y[dst] = x[src];
                        }
}

static void depth_to_space_modes(void)
{
    static const struct { int n, c, h, w, bs; const char *mode; } cases[] = {
        {1, 8, 3, 5, 2, NULL}, {2, 12, 4, 3, 2, "DCR"}, {1, 8, 3, 5, 2, "CRD"},
        {1, 18, 2, 3, 3, "DCR"}, {2, 27, 3, 2, 3, "CRD"}, {1, 5, 2, 2, 1, "CRD"},
        {1, 16, 33, 70, 2, "DCR"}, /* enough rows for both threads */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int n = cases[i].n, c = cases[i].c, h = cases[i].h, w = cases[i].w,
            bs = cases[i].bs;
        bool crd = cases[i].mode && strcmp(cases[i].mode, "CRD") == 0;
        struct imp_graph g;
        imp_graph_init(&g);
        int64_t xd[4] = {n, c, h, w};
        struct imp_shape xs = imp_shape_make(4, xd);
        int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
        int y = act(&g, "y");
        imp_graph_add_input(&g, x);
        int node = imp_graph_add_node(&g, IMP_OP_DEPTH_TO_SPACE, "d2s", 1, &x, 1, &y);
        imp_node_set_int(&g, node, "blocksize", bs);
        if (cases[i].mode)
            imp_node_set_string(&g, node, "mode", cases[i].mode);
        imp_graph_add_output(&g, y);
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK))
            continue;
        size_t nx = (size_t)(n * c * h * w), ny = 0;
        float *xv = malloc(sizeof(float) * nx), *want = malloc(sizeof(float) * nx);
        fill(xv, (int64_t)nx);
        ref_d2s(xv, n, c, h, w, bs, crd, want);
        float *yf = run_model(m, NULL, xv, nx, &ny);
        if (CHECK(yf && ny == nx))
            CHECK(memcmp(yf, want, sizeof(float) * nx) == 0);
        float *yr = run_model(m, "DepthToSpace=ref", xv, nx, &ny);
        if (CHECK(yr && ny == nx))
            CHECK(memcmp(yr, want, sizeof(float) * nx) == 0);
        float *y2 = run_model_threads(m, NULL, xv, nx, &ny, 2);
        if (CHECK(y2 && ny == nx))
            CHECK(memcmp(y2, want, sizeof(float) * nx) == 0);
        free(y2);
        free(yf);
        free(yr);
        free(xv);
        free(want);
        imp_model_free(m);
    }
}

/* Bad attributes and shapes fail at load with a message, never crash. */
static void depth_to_space_rejects(void)
{
    static const struct { int c, bs; const char *mode; } cases[] = {
        {6, 2, "DCR"}, {8, 0, "DCR"}, {8, -2, "CRD"}, {8, 2, "XYZ"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct imp_graph g;
        imp_graph_init(&g);
        int64_t xd[4] = {1, cases[i].c, 2, 2};
        struct imp_shape xs = imp_shape_make(4, xd);
        int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
        int y = act(&g, "y");
        imp_graph_add_input(&g, x);
        int node = imp_graph_add_node(&g, IMP_OP_DEPTH_TO_SPACE, "d2s", 1, &x, 1, &y);
        imp_node_set_int(&g, node, "blocksize", cases[i].bs);
        imp_node_set_string(&g, node, "mode", cases[i].mode);
        imp_graph_add_output(&g, y);
        struct imp_model *m = NULL;
        struct imp_error err;
        enum imp_status st = imp_model_from_graph(&g, &m, &err);
        CHECK(st != IMP_OK);
        if (st == IMP_OK)
            imp_model_free(m);
    }
}

int main(void)
{
    RUN(upsample_pad_conv_is_rewritten);
    RUN(upsample_pad_conv_left_alone);
    RUN(other_resizes_left_alone);
    RUN(conv_transpose_is_rewritten);
    RUN(depth_to_space_modes);
    RUN(depth_to_space_rejects);
    return imp_test_finish();
}
