/*
 * The ONNX writer: every golden fixture goes ONNX -> impasto -> ONNX ->
 * impasto and must give the very same outputs; a graph whose nodes the
 * load passes fuse (InstanceNormalization + Relu + Pad, ConvTranspose +
 * Crop, both ways a crop is written back) and a pre-opset-13 Softmax do
 * too, and come back fused; an attribute the writer does not know is
 * refused, not dropped. When Debian's python3-onnx is there, onnx.checker
 * checks every file written, and that no node name repeats (ONNX Runtime
 * refuses that); else that part says it is skipped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "harness.h"
#include "npy.h"
#include "runtime/model.h"

#define MAX_FEEDS 8

static char written[80][1100]; /* files for the checker */
static int n_written;

static const char *out_path(const char *name)
{
    static char buf[1100];
    snprintf(buf, sizeof buf, "%s/test_onnx_write_%s.onnx", IMP_BINARY_DIR, name);
    if (n_written < 80)
        snprintf(written[n_written++], sizeof written[0], "%s", buf);
    return buf;
}

/* m written as ONNX to `name` and loaded again (NULL after a message). */
static struct imp_model *through_onnx(const struct imp_model *m, const char *name)
{
    struct imp_error err;
    const char *path = out_path(name);
    if (!CHECK_STATUS(imp_model_save(m, path, NULL, &err), IMP_OK)) {
        printf("  %s: save: %s\n", name, err.message);
        return NULL;
    }
    struct imp_model *back = NULL;
    if (!CHECK_STATUS(imp_model_load_file(path, &back, &err), IMP_OK))
        printf("  %s: load: %s\n", name, err.message);
    else
        CHECK(strcmp(imp_model_source_format(back), "onnx") == 0);
    return back;
}

struct outputs {
    int n;
    struct imp_tensor_info info[16];
    void *data[16];
    size_t bytes[16];
};

static void outputs_free(struct outputs *o)
{
    for (int i = 0; i < o->n; i++)
        free(o->data[i]);
    o->n = 0;
}

/* Run with the feeds (by input index) and copy every output. */
static bool run(const struct imp_model *m, const struct imp_npy *feeds, int n_feeds,
                struct outputs *o)
{
    memset(o, 0, sizeof *o);
    struct imp_predictor *p;
    struct imp_error err;
    if (imp_predictor_init(m, NULL, &p, &err) != IMP_OK) {
        printf("  init: %s\n", err.message);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < n_feeds && ok; i++)
        ok = imp_predictor_resize_input(p, i, feeds[i].rank, feeds[i].dims) == IMP_OK &&
             imp_predictor_set_input(p, i, feeds[i].data,
                                     feeds[i].count * imp_npy_dtype_size(feeds[i].dtype)) ==
                 IMP_OK;
    ok = ok && imp_predictor_run(p) == IMP_OK;
    for (int i = 0; ok && i < imp_model_output_count(m) && i < 16; i++) {
        const void *data;
        ok = imp_predictor_output(p, i, &o->info[i], &data) == IMP_OK;
        int64_t count = 1;
        for (int d = 0; d < o->info[i].rank; d++)
            count *= o->info[i].dims[d];
        o->bytes[i] = (size_t)count * imp_dtype_size(o->info[i].dtype);
        o->data[i] = malloc(o->bytes[i] + 1);
        ok = ok && o->data[i];
        if (ok)
            memcpy(o->data[i], data, o->bytes[i]);
        o->n = i + 1;
    }
    if (!ok)
        printf("  run: %s\n", imp_predictor_last_error(p));
    imp_predictor_free(p);
    return ok;
}

/* Both models' outputs for the feeds, bit for bit. */
static bool same_outputs(const struct imp_model *a, const struct imp_model *b,
                         const struct imp_npy *feeds, int n_feeds, const char *what)
{
    struct outputs oa, ob;
    bool ran_a = CHECK(run(a, feeds, n_feeds, &oa));
    bool ran_b = CHECK(run(b, feeds, n_feeds, &ob));
    bool ok = ran_a && ran_b;
    ok = ok && CHECK(oa.n == ob.n);
    for (int i = 0; ok && i < oa.n; i++) {
        bool same = oa.info[i].dtype == ob.info[i].dtype && oa.info[i].rank == ob.info[i].rank &&
                    oa.bytes[i] == ob.bytes[i] &&
                    memcmp(oa.data[i], ob.data[i], oa.bytes[i]) == 0 &&
                    strcmp(oa.info[i].name, ob.info[i].name) == 0;
        if (!CHECK(same))
            printf("  %s: output %d '%s' differs after the round trip\n", what, i,
                   oa.info[i].name);
        ok = ok && same;
    }
    outputs_free(&oa);
    outputs_free(&ob);
    return ok;
}

static void goldens_survive_the_round_trip(void)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/tests/data/goldens/manifest.txt", IMP_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    if (!CHECK(f != NULL))
        return;
    char line[4096];
    int models = 0, agreed = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model=", 6) != 0)
            continue;
        char *save = NULL, *model = NULL;
        struct imp_npy feeds[MAX_FEEDS];
        int n_feeds = 0;
        bool ok = true;
        for (char *tok = strtok_r(line, " \t\r\n", &save); tok;
             tok = strtok_r(NULL, " \t\r\n", &save)) {
            if (strncmp(tok, "model=", 6) == 0) {
                model = tok + 6;
            } else if (strncmp(tok, "in:", 3) == 0 && n_feeds < MAX_FEEDS) {
                char file[1200], err[256];
                snprintf(file, sizeof file, "%s/tests/data/goldens/%s", IMP_SOURCE_DIR,
                         strchr(tok, '=') + 1);
                if (imp_npy_load(file, &feeds[n_feeds], err, sizeof err) != 0) {
                    printf("  %s\n", err);
                    ok = false;
                } else {
                    n_feeds++;
                }
            }
        }
        models++;
        if (!model) {
            CHECK(model != NULL);
            continue;
        }
        snprintf(path, sizeof path, "%s/tests/data/goldens/%s", IMP_SOURCE_DIR, model);
        struct imp_model *m = NULL, *back = NULL;
        struct imp_error err;
        if (ok && CHECK_STATUS(imp_model_load_file(path, &m, &err), IMP_OK)) {
            char name[200];
            snprintf(name, sizeof name, "%.*s", (int)(strlen(model) - 5), model);
            back = through_onnx(m, name);
            if (back && CHECK(imp_model_input_count(back) == imp_model_input_count(m)) &&
                same_outputs(m, back, feeds, n_feeds, model))
                agreed++;
        }
        imp_model_free(m);
        imp_model_free(back);
        for (int i = 0; i < n_feeds; i++)
            imp_npy_free(&feeds[i]);
    }
    fclose(f);
    printf("  %d of %d golden models give identical outputs through ONNX\n", agreed, models);
    CHECK(models >= 30 && agreed == models);
}

/* ---- fused graphs ----------------------------------------------------------- */

static int add_const(struct imp_graph *g, const char *name, int rank, const int64_t *d,
                     unsigned *seed)
{
    struct imp_shape s = imp_shape_make(rank, d);
    int64_t n = imp_shape_count(&s);
    float *v = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; v && i < n; i++)
        v[i] = imp_test_frand(seed);
    int id = imp_graph_add_const(g, name, IMP_DTYPE_F32, &s, v);
    free(v);
    return id;
}

static int act(struct imp_graph *g, const char *name)
{
    return imp_graph_add_value(g, name, IMP_VALUE_ACTIVATION, IMP_DTYPE_UNDEFINED, NULL);
}

/* x -> Conv -> InstanceNorm -> Relu -> Pad(reflect 1) -> ConvTranspose
 * (stride 2, output_shape one beyond) -> Crop(1) -> InstanceNorm -> Relu
 * -> Pad(constant 2.5, 0/1/2/0) -> ConvTranspose (explicit pads) ->
 * Crop(0,1,2,0) -> Softmax (opset 11's, over C*H*W). */
static struct imp_model *fused_model(int64_t h, int64_t w)
{
    struct imp_graph g;
    imp_graph_init(&g);
    g.source_format = "onnx";
    unsigned seed = 11;
    int64_t xd[4] = {1, 3, -1, -1};
    struct imp_shape xs = imp_shape_make(4, xd);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    int64_t wd[4] = {4, 3, 3, 3}, cd[1] = {4}, td[4] = {4, 4, 3, 3};
    int in[3] = {x, add_const(&g, "c1.w", 4, wd, &seed), add_const(&g, "c1.b", 1, cd, &seed)};
    int c1 = act(&g, "c1");
    int n = imp_graph_add_node(&g, IMP_OP_CONV, "c1", 3, in, 1, &c1);
    int64_t k3[2] = {3, 3};
    imp_node_set_ints(&g, n, "kernel_shape", k3, 2);
    for (int stage = 0; stage < 2; stage++) {
        char name[64];
        int prev = stage ? g.outputs[0] : c1;
        snprintf(name, sizeof name, "n%d", stage);
        int norm_in[3] = {prev, add_const(&g, "s", 1, cd, &seed), add_const(&g, "b", 1, cd, &seed)};
        int y = act(&g, name);
        n = imp_graph_add_node(&g, IMP_OP_INSTANCE_NORM, name, 3, norm_in, 1, &y);
        imp_node_set_float(&g, n, "epsilon", 1e-3f);
        int r = act(&g, "relu");
        imp_graph_add_node(&g, IMP_OP_RELU, "relu", 1, &y, 1, &r);
        int p = act(&g, "pad");
        int64_t pads1[8] = {0, 0, 1, 1, 0, 0, 1, 1}, pads2[8] = {0, 0, 0, 1, 0, 0, 2, 0};
        int64_t pd[1] = {8};
        struct imp_shape ps = imp_shape_make(1, pd);
        int pad_in[3] = {r, imp_graph_add_const(&g, "pads", IMP_DTYPE_I64, &ps,
                                                stage ? pads2 : pads1), -1};
        float value = 2.5f;
        struct imp_shape scalar = imp_shape_make(0, NULL);
        if (stage)
            pad_in[2] = imp_graph_add_const(&g, "value", IMP_DTYPE_F32, &scalar, &value);
        n = imp_graph_add_node(&g, IMP_OP_PAD, "pad", stage ? 3 : 2, pad_in, 1, &p);
        imp_node_set_string(&g, n, "mode", stage ? "constant" : "reflect");
        int t_in[3] = {p, add_const(&g, "t.w", 4, td, &seed), add_const(&g, "t.b", 1, cd, &seed)};
        int t = act(&g, "t");
        n = imp_graph_add_node(&g, IMP_OP_CONV_TRANSPOSE, "t", 3, t_in, 1, &t);
        int64_t s2[2] = {2, 2}, s1[2] = {1, 1};
        imp_node_set_ints(&g, n, "strides", stage ? s1 : s2, 2);
        if (stage == 0) {
            /* full output + 1, like the Torch7 Johnson nets */
            int64_t os[2] = {2 * (h - 2 + 2) + 2, 2 * (w - 2 + 2) + 2};
            imp_node_set_ints(&g, n, "output_shape", os, 2);
        } else {
            int64_t pads[4] = {1, 0, 0, 1};
            imp_node_set_ints(&g, n, "pads", pads, 4);
        }
        int c = act(&g, "crop");
        n = imp_graph_add_node(&g, IMP_OP_CROP, "crop", 1, &t, 1, &c);
        int64_t b1[4] = {1, 1, 1, 1}, b2[4] = {0, 1, 2, 0};
        imp_node_set_ints(&g, n, "border", stage ? b2 : b1, 4);
        if (stage == 0)
            imp_graph_add_output(&g, c);
        else
            g.outputs[0] = c;
    }
    int sm = act(&g, "softmax");
    n = imp_graph_add_node(&g, IMP_OP_SOFTMAX, "softmax", 1, &g.outputs[0], 1, &sm);
    imp_node_set_int(&g, n, "coerce_2d", 1);
    g.outputs[0] = sm;
    imp_graph_add_input(&g, x);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_from_graph(&g, &m, &err) != IMP_OK)
        printf("  model: %s\n", err.message);
    return m;
}

static int count_fused(const struct imp_model *m, int *crops)
{
    int fused = 0;
    *crops = 0;
    for (int i = 0; i < m->graph.n_nodes; i++) {
        const struct imp_node *n = &m->graph.nodes[i];
        if (n->op == IMP_OP_INSTANCE_NORM && imp_node_attr(n, "activation") &&
            imp_node_attr(n, "pads"))
            fused++;
        if (n->op == IMP_OP_CONV_TRANSPOSE && imp_node_attr(n, "crop"))
            (*crops)++;
    }
    return fused;
}

static void fused_graph_survives_the_round_trip(void)
{
    const int64_t h = 7, w = 9;
    struct imp_model *m = fused_model(h, w);
    if (!CHECK(m != NULL))
        return;
    int crops;
    CHECK(count_fused(m, &crops) == 2 && crops == 2); /* the test tests something */
    struct imp_model *back = through_onnx(m, "fused");
    if (back) {
        /* Written as standard nodes and fused again on load; the crops
         * became ConvTranspose pads or a Slice, which stay as they are. */
        int back_crops;
        CHECK(count_fused(back, &back_crops) == 2 && back_crops == 0);
        unsigned seed = 5;
        struct imp_npy x = {IMP_DTYPE_F32, 4, {1, 3, h, w}, (size_t)(3 * h * w), NULL};
        x.data = malloc(sizeof(float) * x.count);
        for (size_t i = 0; x.data && i < x.count; i++)
            ((float *)x.data)[i] = 3.0f * imp_test_frand(&seed);
        if (CHECK(x.data != NULL))
            same_outputs(m, back, &x, 1, "fused");
        free(x.data);
    }
    imp_model_free(back);
    imp_model_free(m);
}

/* Operators ONNX retired and attribute forms of old opsets, written as
 * their modern equivalents: ImageScaler, Affine, Upsample shrinking by
 * nearest (rounding up), Split and Clip with attributes. */
static void legacy_graph_survives_the_round_trip(void)
{
    struct imp_graph g;
    imp_graph_init(&g);
    g.source_format = "onnx";
    int64_t xd[4] = {1, 2, 6, 10};
    struct imp_shape xs = imp_shape_make(4, xd);
    int x = imp_graph_add_value(&g, "x", IMP_VALUE_INPUT, IMP_DTYPE_F32, &xs);
    int a = act(&g, "scaled"), b = act(&g, "affine"), u = act(&g, "up");
    int s0 = act(&g, "s0"), s1 = act(&g, "s1"), c = act(&g, "clipped");
    int n = imp_graph_add_node(&g, IMP_OP_IMAGE_SCALER, "scaler", 1, &x, 1, &a);
    float bias[2] = {1.0f, -2.0f};
    imp_node_set_float(&g, n, "scale", 0.5f);
    imp_node_set_floats(&g, n, "bias", bias, 2);
    n = imp_graph_add_node(&g, IMP_OP_AFFINE, "affine", 1, &a, 1, &b);
    imp_node_set_float(&g, n, "alpha", 2.0f);
    imp_node_set_float(&g, n, "beta", 0.25f);
    n = imp_graph_add_node(&g, IMP_OP_UPSAMPLE, "down", 1, &b, 1, &u);
    float scales[4] = {1.0f, 1.0f, 0.5f, 0.4f};
    imp_node_set_floats(&g, n, "scales", scales, 4);
    imp_node_set_string(&g, n, "mode", "nearest");
    int outs[2] = {s0, s1};
    n = imp_graph_add_node(&g, IMP_OP_SPLIT, "split", 1, &u, 2, outs);
    int64_t split[2] = {1, 1};
    imp_node_set_ints(&g, n, "split", split, 2);
    imp_node_set_int(&g, n, "axis", 1);
    n = imp_graph_add_node(&g, IMP_OP_CLIP, "clip", 1, &s1, 1, &c);
    imp_node_set_float(&g, n, "min", -1.5f);
    imp_node_set_float(&g, n, "max", 0.75f);
    imp_graph_add_input(&g, x);
    imp_graph_add_output(&g, s0);
    imp_graph_add_output(&g, c);
    struct imp_model *m = NULL;
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK)) {
        printf("  model: %s\n", err.message);
        return;
    }
    struct imp_model *back = through_onnx(m, "legacy");
    if (back) {
        bool modern = true;
        for (int i = 0; i < back->graph.n_nodes; i++) {
            enum imp_op op = back->graph.nodes[i].op;
            modern = modern && op != IMP_OP_IMAGE_SCALER && op != IMP_OP_AFFINE &&
                     op != IMP_OP_UPSAMPLE && back->graph.nodes[i].n_attrs <= 3;
        }
        CHECK(modern);
        unsigned seed = 9;
        struct imp_npy in = {IMP_DTYPE_F32, 4, {1, 2, 6, 10}, 120, NULL};
        in.data = malloc(sizeof(float) * in.count);
        for (size_t i = 0; in.data && i < in.count; i++)
            ((float *)in.data)[i] = 2.0f * imp_test_frand(&seed);
        if (CHECK(in.data != NULL))
            same_outputs(m, back, &in, 1, "legacy");
        free(in.data);
    }
    imp_model_free(back);
    imp_model_free(m);
}

static void unknown_attributes_are_refused(void)
{
    /* A pass that fuses something new and forgets the writer: a clear
     * refusal naming it, never a silently different model. */
    struct imp_graph g;
    imp_graph_init(&g);
    int64_t xd[4] = {1, 3, 5, 5}, wd[4] = {2, 3, 1, 1};
    unsigned seed = 3;
    int node = imp_test_conv_graph(&g, IMP_OP_CONV, xd, wd, 2, true, &seed);
    imp_node_set_string(&g, node, "fused_future", "Relu");
    struct imp_model *m = NULL;
    struct imp_error err;
    if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK))
        return;
    const char *path = out_path("refused");
    remove(path);
    n_written--; /* nothing to check */
    CHECK_STATUS(imp_model_save(m, path, NULL, &err), IMP_ERR_UNSUPPORTED);
    if (!CHECK(strstr(err.message, "node 0 'conv' (Conv): attribute 'fused_future' has no "
                                   "standard ONNX form") != NULL))
        printf("  got: %s\n", err.message);
    FILE *f = fopen(path, "rb");
    CHECK(f == NULL);
    if (f)
        fclose(f);
    imp_model_free(m);
}

/* Runs m and `back` (m through ONNX; NULL when that failed) on one random
 * [1, C, H, W] picture and checks the same bits come out; frees both. */
static void same_picture_outputs(struct imp_model *m, struct imp_model *back, int64_t c,
                                 int64_t h, int64_t w, unsigned *seed, const char *name)
{
    struct imp_npy x = {IMP_DTYPE_F32, 4, {1, c, h, w}, (size_t)(c * h * w), NULL};
    x.data = malloc(sizeof(float) * x.count);
    for (size_t i = 0; x.data && i < x.count; i++)
        ((float *)x.data)[i] = 4.0f * imp_test_frand(seed);
    if (back && CHECK(x.data != NULL))
        same_outputs(m, back, &x, 1, name);
    free(x.data);
    imp_model_free(back);
    imp_model_free(m);
}

/* A Conv with each activation fuse_activation can give it: written as the
 * Conv and the standard nodes, fused again on load, the same bits out. */
static void fused_conv_activations_survive_the_round_trip(void)
{
    static const struct {
        const char *name;
        float alpha, beta;
    } acts[] = {{"Relu", 0, 0},         {"Clip", -0.5f, 0.75f},   {"Clip", -INFINITY, 6.0f},
                {"LeakyRelu", 0.1f, 0}, {"HardSigmoid", 0.2f, 0.5f}, {"HardSwish", 0, 0},
                {"Sigmoid", 0, 0},      {"HardSilu", 1.0f / 6, 0.5f}, {"Silu", 0, 0}};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        struct imp_graph g;
        imp_graph_init(&g);
        int64_t xd[4] = {1, 3, 6, 7}, wd[4] = {4, 3, 3, 3};
        unsigned seed = 11;
        int node = imp_test_conv_graph(&g, IMP_OP_CONV, xd, wd, 4, true, &seed);
        int64_t pads[4] = {1, 1, 1, 1};
        imp_node_set_ints(&g, node, "pads", pads, 4);
        imp_node_set_string(&g, node, "activation", acts[a].name);
        imp_node_set_float(&g, node, "activation_alpha", acts[a].alpha);
        imp_node_set_float(&g, node, "activation_beta", acts[a].beta);
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK)) {
            printf("  %s: %s\n", acts[a].name, err.message);
            continue;
        }
        char name[40];
        snprintf(name, sizeof name, "conv_%s_%zu", acts[a].name, a);
        same_picture_outputs(m, through_onnx(m, name), 3, 6, 7, &seed, name);
    }
}

/* A Conv with a fused reflect or edge Pad (fuse_pad_conv.c), with and
 * without an activation: written as Pad and Conv, fused again on load,
 * the same bits out. */
static void fused_conv_pads_survive_the_round_trip(void)
{
    static const char *const modes[] = {"reflect", "edge"};
    for (int k = 0; k < 4; k++) {
        struct imp_graph g;
        imp_graph_init(&g);
        int64_t xd[4] = {1, 3, 9, 10}, wd[4] = {4, 3, 3, 3};
        unsigned seed = 13;
        int node = imp_test_conv_graph(&g, IMP_OP_CONV, xd, wd, 4, true, &seed);
        int64_t pads[4] = {1, 2, 1, 1}, strides[2] = {2, 2};
        imp_node_set_ints(&g, node, "pads", pads, 4);
        imp_node_set_ints(&g, node, "strides", strides, 2);
        imp_node_set_string(&g, node, "pad_mode", modes[k % 2]);
        if (k >= 2)
            imp_node_set_string(&g, node, "activation", "Relu");
        struct imp_model *m = NULL;
        struct imp_error err;
        if (!CHECK_STATUS(imp_model_from_graph(&g, &m, &err), IMP_OK)) {
            printf("  %s: %s\n", modes[k % 2], err.message);
            continue;
        }
        char name[40];
        snprintf(name, sizeof name, "conv_pad_%s_%d", modes[k % 2], k);
        struct imp_model *back = through_onnx(m, name);
        if (back) {
            CHECK(imp_model_node_count(back) == 1);
            CHECK(strcmp(imp_node_string(&back->graph.nodes[0], "pad_mode", ""),
                         modes[k % 2]) == 0);
        }
        same_picture_outputs(m, back, 3, 9, 10, &seed, name);
    }
}

/* onnx.checker over every file written above, in one python process. */
static void written_files_pass_the_onnx_checker(void)
{
    if (system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") != 0) {
        printf("  skip: Debian's python3-onnx is absent, the checker did not run\n");
        return;
    }
    char list[1200];
    snprintf(list, sizeof list, "%s/test_onnx_write_files.txt", IMP_BINARY_DIR);
    FILE *f = fopen(list, "w");
    if (!CHECK(f != NULL))
        return;
    for (int i = 0; i < n_written; i++)
        fprintf(f, "%s\n", written[i]);
    fclose(f);
    char cmd[2600];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import onnx, sys\n"
             "for p in open(sys.argv[1]).read().split():\n"
             "    m = onnx.load(p)\n"
             "    onnx.checker.check_model(m, full_check=True)\n"
             "    names = [n.name for n in m.graph.node if n.name]\n"
             "    assert len(names) == len(set(names)), p + ': repeated node names'\n"
             "print('  onnx.checker', onnx.__version__, 'accepts', "
             "len(open(sys.argv[1]).read().split()), 'files')\" '%s'",
             list);
    CHECK(n_written >= 30);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    RUN(goldens_survive_the_round_trip);
    RUN(fused_graph_survives_the_round_trip);
    RUN(legacy_graph_survives_the_round_trip);
    RUN(fused_conv_activations_survive_the_round_trip);
    RUN(fused_conv_pads_survive_the_round_trip);
    RUN(unknown_attributes_are_refused);
    RUN(written_files_pass_the_onnx_checker);
    return imp_test_finish();
}
