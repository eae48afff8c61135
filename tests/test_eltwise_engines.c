/* The fast engines of the element-wise and data-movement operators
 * (InstanceNormalization "simd", Pad "planes", Resize/Upsample "repeat", Resize "linear2")
 * against their reference engines on odd shapes, at every ISA cap this CPU
 * supports and with 1 and 2 threads, and the element-wise kernel sets
 * themselves against plain C. An engine may decline a node; where it
 * should take one (the replication cases of Resize), the test says so. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/graph.h"
#include "runtime/model.h"
#include "harness.h"
#include "kernels/eltwise.h"

/* The 64-byte (AVX-512 width) template compiled here for the baseline ISA:
 * GCC splits the wide vectors, so the widest variant's shuffle masks and
 * tails run, and are checked, on CPUs without AVX-512 too. */
#pragma GCC diagnostic ignored "-Wpsabi" /* static functions: no ABI to keep */
#define ELT_VBYTES 64
#define ELT_SUFFIX generic64
#define ELT_ISA IMP_ISA_SCALAR
#include "kernels/eltwise.inc"

static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *random_floats(int64_t n, unsigned *seed, float offset, float spread)
{
    float *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++)
        v[i] = offset + spread * frand(seed);
    return v;
}

/* A one-node graph with data input 0 and the given constant inputs; the
 * caller adds attributes to node `*node` before the model is built. */
struct one_node {
    struct imp_graph g;
    int node, x, y;
};

static void one_begin(struct one_node *t, enum imp_op op, enum imp_dtype dt, int rank,
                      const int64_t *dims, int n_extra, const int *extra_kind,
                      const enum imp_dtype *extra_dt, const int *extra_rank,
                      const int64_t (*extra_dims)[4], const void *const *extra_data)
{
    imp_graph_init(&t->g);
    struct imp_shape xs = imp_shape_make(rank, dims);
    int in[8];
    in[0] = t->x = imp_graph_add_value(&t->g, "x", IMP_VALUE_INPUT, dt, &xs);
    for (int i = 0; i < n_extra; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        if (extra_kind[i] == 0) {
            in[1 + i] = -1;
            continue;
        }
        struct imp_shape s = imp_shape_make(extra_rank[i], extra_dims[i]);
        in[1 + i] = imp_graph_add_const(&t->g, name, extra_dt[i], &s, extra_data[i]);
    }
    t->y = imp_graph_add_value(&t->g, "y", IMP_VALUE_ACTIVATION, dt, NULL);
    t->node = imp_graph_add_node(&t->g, op, "n", 1 + n_extra, in, 1, &t->y);
    imp_graph_add_input(&t->g, t->x);
    imp_graph_add_output(&t->g, t->y);
}

static struct imp_model *one_end(struct one_node *t)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&t->g, &m, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return m;
}

/* Runs with the given engine override; returns the malloc'd output bytes,
 * or NULL when the engine declined (*declined) or something failed. */
static void *run_with(struct imp_model *m, const void *x, size_t x_bytes,
                      const char *engines, enum imp_isa isa, int threads, size_t *bytes,
                      bool *declined)
{
    struct imp_predictor_options o = imp_predictor_options_default();
    o.engines = engines;
    o.max_isa = isa;
    o.threads = threads;
    struct imp_predictor *p;
    struct imp_error err;
    *declined = false;
    if (imp_predictor_init(m, &o, &p, &err) != IMP_OK) {
        *declined = err.status == IMP_ERR_UNSUPPORTED;
        if (!*declined)
            printf("  init %s: %s\n", engines, err.message);
        return NULL;
    }
    imp_predictor_set_input(p, 0, x, x_bytes);
    void *out = NULL;
    if (imp_predictor_run(p) == IMP_OK) {
        struct imp_tensor_info info;
        const void *y;
        imp_predictor_output(p, 0, &info, &y);
        size_t n = imp_dtype_size(info.dtype);
        for (int i = 0; i < info.rank; i++)
            n *= (size_t)info.dims[i];
        *bytes = n;
        out = malloc(n ? n : 1);
        memcpy(out, y, n);
    } else {
        printf("  run %s failed\n", engines);
    }
    imp_predictor_free(p);
    return out;
}

static const enum imp_isa caps[] = {IMP_ISA_SCALAR, IMP_ISA_AVX2, IMP_ISA_AVX512};

/* Runs `fast` and "ref" for every cap <= this CPU and 1, 2 threads.
 * tol < 0: bytes must match exactly; else |d| <= tol * (1 + |ref|) on
 * floats. Returns how many configurations the fast engine accepted. */
static int compare_engines(struct imp_model *m, const void *x, size_t x_bytes,
                           const char *fast, const char *ref, double tol)
{
    enum imp_isa best = imp_isa_detect();
    size_t ref_bytes = 0;
    bool declined;
    void *want = run_with(m, x, x_bytes, ref, IMP_ISA_SCALAR, 1, &ref_bytes, &declined);
    if (!CHECK(want != NULL))
        return 0;
    int accepted = 0;
    for (int ci = 0; ci < 3; ci++) {
        if (caps[ci] > best)
            continue;
        for (int threads = 1; threads <= 2; threads++) {
            size_t got_bytes = 0;
            void *got = run_with(m, x, x_bytes, fast, caps[ci], threads, &got_bytes,
                                 &declined);
            if (!got) {
                CHECK(declined);
                continue;
            }
            accepted++;
            bool ok = got_bytes == ref_bytes;
            if (ok && tol < 0) {
                ok = memcmp(got, want, ref_bytes) == 0;
            } else if (ok) {
                const float *g = got, *w = want;
                double worst = 0;
                for (size_t i = 0; i < ref_bytes / 4; i++) {
                    if (isnan(g[i]) && isnan(w[i]))
                        continue;
                    double d = fabs((double)g[i] - w[i]) / (1.0 + fabs(w[i]));
                    worst = d > worst || d != d ? d : worst;
                }
                ok = worst <= tol;
                if (!ok)
                    printf("  worst error %g\n", worst);
            }
            if (!CHECK(ok))
                printf("  %s differs from %s (isa %s, %d threads)\n", fast, ref,
                       imp_isa_name(caps[ci]), threads);
            free(got);
        }
    }
    free(want);
    return accepted;
}

/* ---- InstanceNormalization ----------------------------------------------- */

static void instance_norm_simd_matches_ref(void)
{
    static const struct {
        int rank;
        int64_t d[5];
        float offset;
        int relu;
    } cases[] = {
        {4, {1, 3, 5, 7}, 0.0f, 0},     {4, {2, 4, 9, 13}, 3.0f, 1},
        {4, {1, 2, 1, 1}, 0.0f, 1},     {4, {1, 3, 33, 17}, 200.0f, 0},
        {3, {2, 3, 11}, -5.0f, 1},      {5, {1, 2, 3, 5, 7}, 0.5f, 0},
        {4, {1, 5, 64, 67}, 1000.0f, 1}, {4, {2, 16, 3, 129}, 0.0f, 0},
    };
    unsigned seed = 5;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int64_t n = 1, ch = cases[k].d[1];
        for (int i = 0; i < cases[k].rank; i++)
            n *= cases[k].d[i];
        float *x = random_floats(n, &seed, cases[k].offset, 50.0f);
        float *scale = random_floats(ch, &seed, 0.0f, 2.0f);
        float *bias = random_floats(ch, &seed, 0.0f, 1.0f);
        const int kinds[2] = {1, 1};
        const enum imp_dtype dts[2] = {IMP_DTYPE_F32, IMP_DTYPE_F32};
        const int ranks[2] = {1, 1};
        const int64_t dims[2][4] = {{ch}, {ch}};
        const void *data[2] = {scale, bias};
        struct one_node t;
        one_begin(&t, IMP_OP_INSTANCE_NORM, IMP_DTYPE_F32, cases[k].rank, cases[k].d, 2,
                  kinds, dts, ranks, dims, data);
        imp_node_set_float(&t.g, t.node, "epsilon", 1e-3f);
        if (cases[k].relu)
            imp_node_set_string(&t.g, t.node, "activation", "Relu");
        struct imp_model *m = one_end(&t);
        if (CHECK(m != NULL)) {
            int acc = compare_engines(m, x, sizeof *x * (size_t)n,
                                      "InstanceNormalization=simd",
                                      "InstanceNormalization=ref", 1e-6);
            CHECK(acc > 0);
            imp_model_free(m);
        }
        free(x);
        free(scale);
        free(bias);
    }
}

static void instance_norm_padded_simd_matches_ref(void)
{
    static const struct {
        int64_t d[4];
        int64_t pads[4];
        const char *mode;
        int relu;
    } cases[] = {
        {{1, 3, 5, 7}, {2, 1, 4, 3}, "reflect", 1},
        {{2, 2, 1, 1}, {3, 3, 3, 3}, "edge", 0},
        {{1, 4, 6, 9}, {1, 0, 0, 2}, "constant", 1},
        {{1, 3, 33, 17}, {4, 4, 4, 4}, "reflect", 0},
        {{1, 2, 2, 2}, {0, 0, 0, 0}, "reflect", 1},
        /* tall planes, a batch of two, every border mode */
        {{2, 3, 50, 9}, {3, 2, 5, 1}, "reflect", 1},
        {{1, 2, 70, 5}, {2, 2, 2, 2}, "edge", 0},
        {{1, 2, 67, 6}, {1, 0, 3, 2}, "constant", 1},
    };
    unsigned seed = 7;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int64_t n = cases[k].d[0] * cases[k].d[1] * cases[k].d[2] * cases[k].d[3];
        int64_t ch = cases[k].d[1];
        float *x = random_floats(n, &seed, 1.0f, 20.0f);
        float *scale = random_floats(ch, &seed, 0.0f, 2.0f);
        float *bias = random_floats(ch, &seed, 0.0f, 1.0f);
        const int kinds[2] = {1, 1};
        const enum imp_dtype dts[2] = {IMP_DTYPE_F32, IMP_DTYPE_F32};
        const int ranks[2] = {1, 1};
        const int64_t dims[2][4] = {{ch}, {ch}};
        const void *data[2] = {scale, bias};
        struct one_node t;
        one_begin(&t, IMP_OP_INSTANCE_NORM, IMP_DTYPE_F32, 4, cases[k].d, 2, kinds, dts,
                  ranks, dims, data);
        imp_node_set_ints(&t.g, t.node, "pads", cases[k].pads, 4);
        imp_node_set_string(&t.g, t.node, "pad_mode", cases[k].mode);
        if (strcmp(cases[k].mode, "constant") == 0)
            imp_node_set_float(&t.g, t.node, "pad_value", -2.0f);
        if (cases[k].relu)
            imp_node_set_string(&t.g, t.node, "activation", "Relu");
        struct imp_model *m = one_end(&t);
        if (CHECK(m != NULL)) {
            CHECK(compare_engines(m, x, sizeof *x * (size_t)n, "InstanceNormalization=simd",
                                  "InstanceNormalization=ref", 1e-6) > 0);
            /* The same bits on 1 and 2 threads. */
            size_t b1 = 0, b2 = 0;
            bool declined;
            void *one = run_with(m, x, sizeof *x * (size_t)n, "InstanceNormalization=simd",
                                 IMP_ISA_BEST, 1, &b1, &declined);
            void *two = run_with(m, x, sizeof *x * (size_t)n, "InstanceNormalization=simd",
                                 IMP_ISA_BEST, 2, &b2, &declined);
            if (!CHECK(one && two && b1 == b2 && memcmp(one, two, b1) == 0))
                printf("  case %zu: 1 and 2 threads differ\n", k);
            free(one);
            free(two);
            imp_model_free(m);
        }
        free(x);
        free(scale);
        free(bias);
    }
}

/* Malformed fused attributes fail the load with a clear status. */
static void instance_norm_rejects_bad_fused_attrs(void)
{
    static const struct {
        int64_t d[4];
        int64_t pads[4];
        int n_pads;
        const char *mode;
        enum imp_status want;
    } cases[] = {
        {{1, 2, 3, 3}, {3, 0, 0, 0}, 4, "reflect", IMP_ERR_SHAPE},
        {{1, 2, 3, 3}, {1, -1, 0, 0}, 4, "edge", IMP_ERR_FORMAT},
        {{1, 2, 3, 3}, {1, 1, 1}, 3, "edge", IMP_ERR_FORMAT},
        {{1, 2, 3, 3}, {1, 1, 1, 1}, 4, "wrap", IMP_ERR_FORMAT},
        {{1, 2, 3, 3}, {0}, 0, "edge", IMP_ERR_FORMAT}, /* pad_mode without pads */
    };
    float scale[2] = {1, 1}, bias[2] = {0, 0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const int kinds[2] = {1, 1};
        const enum imp_dtype dts[2] = {IMP_DTYPE_F32, IMP_DTYPE_F32};
        const int ranks[2] = {1, 1};
        const int64_t dims[2][4] = {{2}, {2}};
        const void *data[2] = {scale, bias};
        struct one_node t;
        one_begin(&t, IMP_OP_INSTANCE_NORM, IMP_DTYPE_F32, 4, cases[k].d, 2, kinds, dts,
                  ranks, dims, data);
        if (cases[k].n_pads)
            imp_node_set_ints(&t.g, t.node, "pads", cases[k].pads, cases[k].n_pads);
        imp_node_set_string(&t.g, t.node, "pad_mode", cases[k].mode);
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!CHECK_STATUS(imp_model_from_graph(&t.g, &m, &err), cases[k].want))
            printf("  case %zu\n", k);
        imp_model_free(m);
    }
}

static void instance_norm_rejects_unknown_activation(void)
{
    int64_t d[4] = {1, 2, 3, 3};
    float scale[2] = {1, 1}, bias[2] = {0, 0};
    const int kinds[2] = {1, 1};
    const enum imp_dtype dts[2] = {IMP_DTYPE_F32, IMP_DTYPE_F32};
    const int ranks[2] = {1, 1};
    const int64_t dims[2][4] = {{2}, {2}};
    const void *data[2] = {scale, bias};
    struct one_node t;
    one_begin(&t, IMP_OP_INSTANCE_NORM, IMP_DTYPE_F32, 4, d, 2, kinds, dts, ranks, dims,
              data);
    imp_node_set_string(&t.g, t.node, "activation", "Tanh");
    struct imp_model *m = NULL;
    struct imp_error err;
    CHECK_STATUS(imp_model_from_graph(&t.g, &m, &err), IMP_ERR_UNSUPPORTED);
    imp_model_free(m);
}

/* ---- Pad ------------------------------------------------------------------- */

static void pad_planes_matches_ref(void)
{
    static const struct {
        const char *mode;
        int rank;
        int64_t d[4];
        int64_t pads[8]; /* begin of each dim, then end of each dim */
        enum imp_dtype dt;
        int const_input;
    } cases[] = {
        {"reflect", 4, {1, 3, 7, 9}, {0, 0, 1, 4, 0, 0, 4, 1}, IMP_DTYPE_F32, 0},
        {"reflect", 4, {2, 5, 16, 17}, {0, 0, 4, 4, 0, 0, 4, 4}, IMP_DTYPE_F32, 0},
        {"edge", 4, {1, 2, 5, 3}, {0, 0, 3, 0, 0, 0, 2, 5}, IMP_DTYPE_F32, 0},
        {"constant", 4, {1, 3, 6, 5}, {0, 0, 2, 1, 0, 0, 0, 3}, IMP_DTYPE_F32, 1},
        {"constant", 3, {4, 6, 5}, {0, 1, 2, 0, 2, 1}, IMP_DTYPE_I64, 0},
        {"wrap", 4, {1, 2, 4, 5}, {0, 0, 2, 3, 0, 0, 1, 4}, IMP_DTYPE_F32, 0},
        {"reflect", 4, {1, 2, 9, 8}, {0, 0, -2, 1, 0, 0, 3, -3}, IMP_DTYPE_F32, 0},
        {"constant", 2, {7, 1}, {1, 2, 0, 3}, IMP_DTYPE_I32, 0},
        {"edge", 3, {3, 1, 6}, {0, 0, 0, 0, 2, 2}, IMP_DTYPE_F32, 0},
        /* Outer pads: the planes engine declines, the ref takes it. */
        {"reflect", 4, {2, 3, 4, 5}, {0, 1, 1, 1, 0, 1, 1, 1}, IMP_DTYPE_F32, 0},
    };
    unsigned seed = 9;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int r = cases[k].rank;
        int64_t n = 1;
        for (int i = 0; i < r; i++)
            n *= cases[k].d[i];
        size_t es = imp_dtype_size(cases[k].dt);
        unsigned char *x = malloc(es * (size_t)n);
        for (size_t i = 0; i < es * (size_t)n; i++)
            x[i] = (unsigned char)((frand(&seed) + 1.0f) * 127.0f); /* any bytes */
        float cvalue = 2.5f;
        const int kinds[2] = {1, 1};
        const enum imp_dtype dts[2] = {IMP_DTYPE_I64, cases[k].dt};
        const int ranks[2] = {1, 0};
        const int64_t dims[2][4] = {{2 * r}, {0}};
        const void *data[2] = {cases[k].pads, &cvalue};
        struct one_node t;
        one_begin(&t, IMP_OP_PAD, cases[k].dt, r, cases[k].d, cases[k].const_input ? 2 : 1,
                  kinds, dts, ranks, dims, data);
        imp_node_set_string(&t.g, t.node, "mode", cases[k].mode);
        struct imp_model *m = one_end(&t);
        if (CHECK(m != NULL)) {
            int acc = compare_engines(m, x, es * (size_t)n, "Pad=planes", "Pad=ref", -1);
            bool outer = k == sizeof cases / sizeof cases[0] - 1;
            if (!CHECK(outer ? acc == 0 : acc > 0))
                printf("  case %zu: planes accepted %d configurations\n", k, acc);
            imp_model_free(m);
        }
        free(x);
    }
}

/* ---- Resize / Upsample --------------------------------------------------- */

struct resize_case {
    const char *coord, *nearest; /* nearest: "" for linear */
    int rank;
    int64_t d[4];
    float scales[4];
    int64_t sizes[4]; /* used when sizes[0] != 0 */
    int taken;        /* the engine under test must take it */
};

/* Each case as one Resize of `mode`: `engine` bit for bit the reference
 * wherever it takes a case, and taking exactly the cases marked so. */
static void check_resize_cases(const struct resize_case *cases, size_t n_cases,
                               const char *mode, const char *engine, unsigned seed)
{
    for (size_t k = 0; k < n_cases; k++) {
        const struct resize_case *c = &cases[k];
        int64_t n = 1;
        for (int i = 0; i < c->rank; i++)
            n *= c->d[i];
        float *x = random_floats(n, &seed, -5.0f, 10.0f);
        const int kinds[3] = {0, c->sizes[0] ? 0 : 1, c->sizes[0] ? 1 : 0};
        const enum imp_dtype dts[3] = {IMP_DTYPE_F32, IMP_DTYPE_F32, IMP_DTYPE_I64};
        const int ranks[3] = {1, 1, 1};
        const int64_t dims[3][4] = {{0}, {c->rank}, {c->rank}};
        const void *data[3] = {NULL, c->scales, c->sizes};
        struct one_node t;
        one_begin(&t, IMP_OP_RESIZE, IMP_DTYPE_F32, c->rank, c->d, 3, kinds, dts, ranks,
                  dims, data);
        imp_node_set_string(&t.g, t.node, "mode", mode);
        imp_node_set_string(&t.g, t.node, "coordinate_transformation_mode", c->coord);
        if (*c->nearest)
            imp_node_set_string(&t.g, t.node, "nearest_mode", c->nearest);
        struct imp_model *m = one_end(&t);
        if (CHECK(m != NULL)) {
            char fast[32];
            snprintf(fast, sizeof fast, "Resize=%s", engine);
            int acc = compare_engines(m, x, sizeof *x * (size_t)n, fast, "Resize=ref", -1);
            if (!CHECK(c->taken ? acc > 0 : acc == 0))
                printf("  case %zu (%s %s, %s): %s accepted %d configurations\n", k, mode,
                       c->coord, c->nearest, engine, acc);
            imp_model_free(m);
        }
        free(x);
    }
}

static void resize_repeat_matches_ref(void)
{
    static const struct resize_case cases[] = {
        {"asymmetric", "floor", 4, {1, 3, 5, 7}, {1, 1, 2, 2}, {0}, 1},
        {"half_pixel", "round_prefer_floor", 4, {2, 3, 6, 5}, {1, 1, 2, 2}, {0}, 1},
        {"half_pixel", "round_prefer_ceil", 4, {1, 2, 9, 11}, {1, 1, 2, 2}, {0}, 1},
        {"asymmetric", "floor", 4, {1, 2, 4, 5}, {1, 1, 3, 2}, {0}, 1},
        {"asymmetric", "floor", 4, {1, 2, 4, 5}, {1, 1, 1, 4}, {0}, 1},
        {"half_pixel", "round_prefer_floor", 4, {1, 2, 7, 3}, {1, 1, 3, 3}, {0}, 1},
        {"pytorch_half_pixel", "round_prefer_floor", 4, {1, 1, 8, 9}, {1, 1, 2, 2}, {0}, 1},
        {"asymmetric", "floor", 3, {3, 6, 7}, {1, 2, 2}, {0}, 1},
        {"asymmetric", "floor", 4, {1, 3, 5, 6}, {0}, {1, 3, 10, 12}, 1},
        {"tf_half_pixel_for_nn", "floor", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 1},
        /* Not replication: must fall back to the reference. */
        {"align_corners", "round_prefer_floor", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 1},
        {"align_corners", "floor", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 0},
        {"asymmetric", "ceil", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 0},
        {"half_pixel", "floor", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 0},
        {"asymmetric", "floor", 4, {1, 2, 5, 6}, {1, 1, 2.5f, 2}, {0}, 0},
        {"asymmetric", "floor", 4, {1, 2, 6, 6}, {1, 1, 0.5f, 2}, {0}, 0},
        {"asymmetric", "floor", 4, {1, 2, 5, 6}, {1, 2, 2, 2}, {0}, 0},
        {"tf_crop_and_resize", "floor", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 0},
    };
    check_resize_cases(cases, sizeof cases / sizeof cases[0], "nearest", "repeat", 13);
}

/* Bilinear x2 with half-pixel centres takes the "linear2" engine, bit for
 * bit the reference; other linear resizes fall back to it. */
static void resize_linear2_matches_ref(void)
{
    static const struct resize_case cases[] = {
        {"half_pixel", "", 4, {1, 3, 5, 7}, {1, 1, 2, 2}, {0}, 1},
        {"half_pixel", "", 4, {2, 2, 1, 1}, {1, 1, 2, 2}, {0}, 1},
        {"half_pixel", "", 4, {1, 2, 3, 41}, {1, 1, 2, 2}, {0}, 1}, /* whole vectors */
        {"half_pixel", "", 4, {1, 2, 2, 17}, {1, 1, 2, 2}, {0}, 1},
        {"pytorch_half_pixel", "", 4, {1, 2, 6, 9}, {1, 1, 2, 2}, {0}, 1},
        {"half_pixel", "", 4, {1, 3, 5, 6}, {0}, {1, 3, 10, 12}, 1},
        {"half_pixel", "", 3, {3, 6, 19}, {1, 2, 2}, {0}, 1},
        /* Not bilinear x2 at half-pixel centres: the reference's. */
        {"align_corners", "", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 0},
        {"asymmetric", "", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 0},
        {"half_pixel", "", 4, {1, 2, 5, 6}, {1, 1, 3, 2}, {0}, 0},
        {"half_pixel", "", 4, {1, 2, 5, 6}, {1, 2, 2, 2}, {0}, 0},
        {"half_pixel", "", 4, {1, 2, 5, 6}, {1, 1, 2, 4}, {0}, 0},
        {"tf_crop_and_resize", "", 4, {1, 2, 5, 6}, {1, 1, 2, 2}, {0}, 0},
    };
    check_resize_cases(cases, sizeof cases / sizeof cases[0], "linear", "linear2", 17);
}

static void upsample_repeat_matches_ref(void)
{
    int64_t d[4] = {2, 3, 5, 9};
    int64_t n = 2 * 3 * 5 * 9;
    unsigned seed = 3;
    int32_t *x = malloc(sizeof *x * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        x[i] = (int32_t)(frand(&seed) * 1e6f);
    struct one_node t;
    one_begin(&t, IMP_OP_UPSAMPLE, IMP_DTYPE_I32, 4, d, 0, NULL, NULL, NULL, NULL, NULL);
    float scales[4] = {1, 1, 2, 3};
    imp_node_set_floats(&t.g, t.node, "scales", scales, 4);
    imp_node_set_string(&t.g, t.node, "mode", "nearest");
    struct imp_model *m = one_end(&t);
    if (CHECK(m != NULL)) {
        CHECK(compare_engines(m, x, sizeof *x * (size_t)n, "Upsample=repeat",
                              "Upsample=ref", -1) > 0);
        imp_model_free(m);
    }
    free(x);
}

/* ---- Relu, Tanh, Sigmoid, HardSwish, Add ---------------------------------------------------- */

static void activations_simd_match_ref(void)
{
    static const int64_t shapes[][4] = {{1, 3, 5, 7}, {2, 1, 1, 1}, {1, 8, 67, 129}};
    static const enum imp_op ops[] = {IMP_OP_RELU, IMP_OP_TANH, IMP_OP_SIGMOID,
                                      IMP_OP_HARD_SWISH};
    static const char *const fast[] = {"Relu=simd", "Tanh=simd", "Sigmoid=simd",
                                       "HardSwish=simd"};
    static const char *const ref[] = {"Relu=ref", "Tanh=ref", "Sigmoid=ref",
                                      "HardSwish=ref"};
    /* Tanh and Sigmoid: the references use libm's tanhf and expf, each an
     * ulp or so off; Relu and HardSwish must match bit for bit. */
    static const double tol[] = {-1, 3e-7, 3e-7, -1};
    static const float special[] = {-0.0f, NAN, INFINITY, 1e-6f, -INFINITY, 100.0f,
                                    -100.0f, 1e30f, -1e30f, -3.0f, 3.0f, 89.0f, -89.0f,
                                    -104.5f, 1e-40f, -1e-40f};
    const int n_special = (int)(sizeof special / sizeof special[0]);
    unsigned seed = 31;
    for (int k = 0; k < 3; k++) {
        int64_t n = shapes[k][0] * shapes[k][1] * shapes[k][2] * shapes[k][3];
        float *x = random_floats(n, &seed, 0.0f, 6.0f);
        for (int i = 0; i < n && i < n_special; i++)
            x[i] = special[i];
        for (int op = 0; op < 4; op++) {
            struct one_node t;
            one_begin(&t, ops[op], IMP_DTYPE_F32, 4, shapes[k], 0, NULL, NULL, NULL, NULL,
                      NULL);
            struct imp_model *m = one_end(&t);
            if (!CHECK(m != NULL))
                continue;
            int acc = compare_engines(m, x, sizeof *x * (size_t)n, fast[op], ref[op],
                                      tol[op]);
            CHECK(acc > 0);
            imp_model_free(m);
        }
        free(x);
    }
}

static void add_simd_matches_ref(void)
{
    static const struct {
        int64_t a[4], b[4];
        int simd;
    } cases[] = {
        {{1, 3, 5, 7}, {1, 3, 5, 7}, 1},
        {{2, 16, 33, 65}, {2, 16, 33, 65}, 1},
        {{1, 3, 5, 7}, {1, 3, 1, 1}, 0},
    };
    unsigned seed = 41;
    for (int k = 0; k < 3; k++) {
        int64_t n = cases[k].a[0] * cases[k].a[1] * cases[k].a[2] * cases[k].a[3];
        int64_t nb = cases[k].b[0] * cases[k].b[1] * cases[k].b[2] * cases[k].b[3];
        float *x = random_floats(n, &seed, 0.0f, 6.0f);
        float *b = random_floats(nb, &seed, 1.0f, 6.0f);
        const int kinds[1] = {1};
        const enum imp_dtype dts[1] = {IMP_DTYPE_F32};
        const int ranks[1] = {4};
        int64_t dims[1][4];
        memcpy(dims[0], cases[k].b, sizeof dims[0]);
        const void *data[1] = {b};
        struct one_node t;
        one_begin(&t, IMP_OP_ADD, IMP_DTYPE_F32, 4, cases[k].a, 1, kinds, dts, ranks,
                  (const int64_t(*)[4])dims, data);
        struct imp_model *m = one_end(&t);
        if (CHECK(m != NULL)) {
            int acc = compare_engines(m, x, sizeof *x * (size_t)n, "Add=simd", "Add=ref",
                                      -1);
            CHECK(cases[k].simd ? acc > 0 : acc == 0);
            imp_model_free(m);
        }
        free(x);
        free(b);
    }
}

/* ---- kernel sets ----------------------------------------------------------- */

static void kernels_match_plain_c(void)
{
    enum imp_isa best = imp_isa_detect();
    const struct imp_eltwise_kernels *const sets[] = {
        &imp_eltwise__avx512, &imp_eltwise__avx2, &imp_eltwise__scalar,
        &imp_eltwise__generic64};
    const int n_sets = (int)(sizeof sets / sizeof sets[0]);
    static const int64_t lengths[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 1001};
    unsigned seed = 21;
    for (int s = 0; s < n_sets; s++) {
        const struct imp_eltwise_kernels *k = sets[s];
        if (k->isa > best)
            continue;
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            int64_t n = lengths[li];
            float *x = random_floats(n, &seed, 300.0f, 2.0f);
            float *b = random_floats(n, &seed, 0.0f, 1.0f);
            float *y = malloc(sizeof *y * (size_t)(2 * n));
            float *w = malloc(sizeof *w * (size_t)(2 * n));
            /* stats against two-pass double */
            double mean = 0, var = 0, gm, gv;
            for (int64_t i = 0; i < n; i++)
                mean += x[i];
            mean /= (double)n;
            for (int64_t i = 0; i < n; i++)
                var += ((double)x[i] - mean) * ((double)x[i] - mean);
            var /= (double)n;
            k->stats(x, n, &gm, &gv);
            CHECK(fabs(gm - mean) <= 1e-12 * fabs(mean));
            if (!CHECK(fabs(gv - var) <= 1e-9 * var + 1e-12))
                printf("  %s n=%lld var %.17g vs %.17g\n", k->name, (long long)n, gv, var);
            /* the map: the reference's double expression, to the float ulp */
            for (int relu = 0; relu < 2; relu++) {
                struct imp_norm_coef c = {.mean = mean, .a = 1.0 / sqrt(var + 1e-5),
                                          .b = 0.25, .relu = relu};
                k->norm_apply(x, y, n, &c);
                bool close = true;
                for (int64_t i = 0; i < n; i++) {
                    float v = (float)((x[i] - c.mean) * c.a + c.b);
                    if (c.relu)
                        v = v > 0.0f ? v : 0.0f;
                    close &= y[i] == v || y[i] == nextafterf(v, INFINITY) ||
                             y[i] == nextafterf(v, -INFINITY);
                }
                if (!CHECK(close))
                    printf("  %s norm_apply relu %d n=%lld\n", k->name, relu,
                           (long long)n);
            }
            /* relu with the awkward values, add, repeat2 */
            for (int64_t i = 0; i < n; i++)
                b[i] = i % 5 == 0 ? -0.0f : i % 7 == 0 ? NAN : b[i];
            k->relu(b, y, n);
            bool ok = true;
            for (int64_t i = 0; i < n; i++) {
                float v = b[i] > 0.0f ? b[i] : 0.0f;
                ok &= memcmp(&v, &y[i], 4) == 0;
            }
            CHECK(ok);
            memcpy(w, x, sizeof *x * (size_t)n);
            k->add(w, x, w, n); /* in place */
            ok = true;
            for (int64_t i = 0; i < n; i++)
                ok &= w[i] == x[i] + x[i];
            CHECK(ok);
            k->repeat2(x, y, n);
            ok = true;
            for (int64_t i = 0; i < n; i++)
                ok &= y[2 * i] == x[i] && y[2 * i + 1] == x[i];
            CHECK(ok);
            /* tanh: within an ulp of the correctly rounded value, over a
             * range that crosses every branch (small, exp, saturated) */
            for (int64_t i = 0; i < n; i++)
                w[i] = (float)(i - n / 2) * (i % 3 ? 0.013f : 1.7e-5f) * (i % 2 ? 1 : 40);
            k->tanh(w, y, n);
            ok = true;
            for (int64_t i = 0; i < n; i++) {
                float want = (float)tanh((double)w[i]);
                float up = nextafterf(want, INFINITY), down = nextafterf(want, -INFINITY);
                ok &= y[i] == want || y[i] == up || y[i] == down;
                ok &= signbit(y[i]) == signbit(want);
            }
            if (!CHECK(ok))
                printf("  %s tanh n=%lld\n", k->name, (long long)n);
            /* sigmoid: within an ulp of 1 / (1 + exp(-x)) in double, over
             * the range where it saturates to 1, where it goes denormal and
             * to 0, with the special values at the front */
            static const float sp[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 1e30f,
                                       -1e30f, 88.0f, -88.0f, -103.0f, -104.0f, -110.0f,
                                       17.0f, 16.5f, -16.5f, 1e-20f, -2e-40f};
            for (int64_t i = 0; i < n; i++)
                w[i] = (float)(i - n / 2) * (i % 3 ? 0.023f : 0.31f) * (i % 2 ? 1 : 17);
            for (int64_t i = 0; i < n && i < (int64_t)(sizeof sp / sizeof sp[0]); i++)
                w[(i * 5) % n] = sp[i];
            k->sigmoid(w, y, n);
            ok = true;
            for (int64_t i = 0; i < n; i++) {
                if (isnan(w[i])) {
                    ok &= isnan(y[i]) != 0;
                    continue;
                }
                float want = (float)(1.0 / (1.0 + exp(-(double)w[i])));
                float up = nextafterf(want, INFINITY), down = nextafterf(want, -INFINITY);
                bool hit = y[i] == want || y[i] == up || y[i] == down;
                if (!hit)
                    printf("  %s sigmoid(%.9g) = %.9g, want %.9g\n", k->name, w[i], y[i],
                           want);
                ok &= hit && y[i] >= 0.0f && y[i] <= 1.0f;
            }
            if (!CHECK(ok))
                printf("  %s sigmoid n=%lld\n", k->name, (long long)n);
            memcpy(y, w, sizeof *w * (size_t)n);
            k->sigmoid(y, y, n); /* in place */
            ok = true;
            for (int64_t i = 0; i < n; i++) {
                float want = (float)(1.0 / (1.0 + exp(-(double)w[i])));
                ok &= isnan(w[i]) ? isnan(y[i]) != 0 : fabsf(y[i] - want) <= 1.2e-7f;
            }
            CHECK(ok);
            /* hard_swish: the reference expression, bit for bit */
            for (int64_t i = 0; i < n; i++)
                w[i] = (float)(i - n / 2) * (i % 3 ? 0.07f : 0.9f);
            for (int64_t i = 0; i < n && i < (int64_t)(sizeof sp / sizeof sp[0]); i++)
                w[(i * 3) % n] = sp[i];
            k->hard_swish(w, y, n);
            ok = true;
            for (int64_t i = 0; i < n; i++) {
                float v = w[i] * fmaxf(0.0f, fminf(1.0f, w[i] / 6.0f + 0.5f));
                ok &= isnan(v) ? isnan(y[i]) != 0 : memcmp(&v, &y[i], 4) == 0;
            }
            if (!CHECK(ok))
                printf("  %s hard_swish n=%lld\n", k->name, (long long)n);
            free(x);
            free(b);
            free(y);
            free(w);
        }
    }
}

int main(void)
{
    RUN(kernels_match_plain_c);
    RUN(instance_norm_simd_matches_ref);
    RUN(instance_norm_rejects_unknown_activation);
    RUN(instance_norm_padded_simd_matches_ref);
    RUN(instance_norm_rejects_bad_fused_attrs);
    RUN(pad_planes_matches_ref);
    RUN(resize_repeat_matches_ref);
    RUN(resize_linear2_matches_ref);
    RUN(upsample_repeat_matches_ref);
    RUN(activations_simd_match_ref);
    RUN(add_simd_matches_ref);
    return imp_test_finish();
}
