/*
 * VGG19 up to block3_conv4 from a TF.js Keras layers model: the weight
 * manifest (JSON) names, per group, one shard file and the tensors in it,
 * each float32 little-endian, kernels HWIO. Every file is hostile: names
 * may not leave the folder, shapes must be VGG19's, shards must hold
 * exactly the bytes the manifest promises.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "impasto_train.h"
#include "train/json.h"

#define VGG_MANIFEST "weights_manifest_groups1-8.json"
#define VGG_WHERE                                                                         \
    "get it from github.com/DavidCai1993/vgg19-tensorflowjs-model (folder model/: the "   \
    "manifest and group1..group8 shards), see ../shared/models/README.md"
#define VGG_MAX_FILE (64u << 20)
#define VGG_CONVS 8

static const struct {
    const char *name;
    int cin, cout;
} vgg_convs[VGG_CONVS] = {
    {"block1_conv1", 3, 64},    {"block1_conv2", 64, 64},   {"block2_conv1", 64, 128},
    {"block2_conv2", 128, 128}, {"block3_conv1", 128, 256}, {"block3_conv2", 256, 256},
    {"block3_conv3", 256, 256}, {"block3_conv4", 256, 256},
};

/* Keras "caffe" preprocessing: BGR, 0..255, minus these (B, G, R). */
static const float caffe_mean_bgr[3] = {103.939f, 116.779f, 123.68f};

/* Reads a whole file of at most VGG_MAX_FILE bytes. */
static enum imp_status read_file(const char *path, char **data, size_t *size,
                                 struct imp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return imp_fail(err, IMP_ERR_IO, "vgg19: %s: %s; %s", path, strerror(errno), VGG_WHERE);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap >= VGG_MAX_FILE) {
                free(buf);
                fclose(f);
                return imp_fail(err, IMP_ERR_FORMAT, "vgg19: %s: larger than %u MiB", path,
                                VGG_MAX_FILE >> 20);
            }
            cap *= 2;
            char *grown = realloc(buf, cap + 1);
            if (!grown)
                break;
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf)
        return imp_fail(err, IMP_ERR_NOMEM, "vgg19: %s: out of memory", path);
    if (bad) {
        free(buf);
        return imp_fail(err, IMP_ERR_IO, "vgg19: %s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return IMP_OK;
}

/* A manifest entry's shape, checked against the expected one. */
static bool shape_is(const struct json *shape, const int *want, int rank)
{
    if (!shape || shape->type != JSON_ARRAY || shape->n != rank)
        return false;
    for (int i = 0; i < rank; i++)
        if (shape->items[i].type != JSON_NUMBER || shape->items[i].number != want[i])
            return false;
    return true;
}

static enum imp_status load_group(const char *dir, const struct json *group, int conv,
                                  float *w_oihw, float *bias, struct imp_error *err)
{
    const int cin = vgg_convs[conv].cin, cout = vgg_convs[conv].cout;
    const struct json *paths = json_get(group, "paths");
    const struct json *weights = json_get(group, "weights");
    if (!paths || paths->type != JSON_ARRAY || paths->n != 1 ||
        paths->items[0].type != JSON_STRING || !weights || weights->type != JSON_ARRAY ||
        weights->n != 2)
        return imp_fail(err, IMP_ERR_FORMAT,
                        "vgg19: %s: group %d must have one path and two weights (kernel, bias)",
                        VGG_MANIFEST, conv + 1);
    const char *shard = paths->items[0].string;
    if (!shard[0] || strchr(shard, '/') || strchr(shard, '\\') || strcmp(shard, ".") == 0 ||
        strcmp(shard, "..") == 0 || strlen(shard) > 200)
        return imp_fail(err, IMP_ERR_FORMAT, "vgg19: %s: group %d: shard name '%.40s' is not "
                        "a file name in the folder", VGG_MANIFEST, conv + 1, shard);
    const int kshape[4] = {3, 3, cin, cout}, bshape[1] = {cout};
    for (int t = 0; t < 2; t++) {
        const struct json *e = &weights->items[t];
        const struct json *name = json_get(e, "name"), *dtype = json_get(e, "dtype");
        char want[64];
        snprintf(want, sizeof want, "%s/%s", vgg_convs[conv].name, t ? "bias" : "kernel");
        if (!name || name->type != JSON_STRING || strcmp(name->string, want) != 0)
            return imp_fail(err, IMP_ERR_FORMAT, "vgg19: %s: group %d weight %d should be %s",
                            VGG_MANIFEST, conv + 1, t, want);
        if (dtype && (dtype->type != JSON_STRING || strcmp(dtype->string, "float32") != 0))
            return imp_fail(err, IMP_ERR_UNSUPPORTED, "vgg19: %s: %s is not float32",
                            VGG_MANIFEST, want);
        if (!shape_is(json_get(e, "shape"), t ? bshape : kshape, t ? 1 : 4))
            return imp_fail(err, IMP_ERR_FORMAT, "vgg19: %s: %s does not have VGG19's shape",
                            VGG_MANIFEST, want);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, shard);
    char *data;
    size_t size;
    enum imp_status st = read_file(path, &data, &size, err);
    if (st != IMP_OK)
        return st;
    size_t nk = (size_t)9 * (size_t)cin * (size_t)cout, want = sizeof(float) * (nk + (size_t)cout);
    if (size != want) {
        free(data);
        return imp_fail(err, IMP_ERR_FORMAT, "vgg19: %s: %zu bytes, the manifest says %zu (%s)",
                        path, size, want, size < want ? "short or truncated" : "too long");
    }
    const float *hwio = (const float *)(void *)data;
    int non_finite = 0;
    for (int o = 0; o < cout; o++)
        for (int i = 0; i < cin; i++)
            for (int t = 0; t < 9; t++) {
                float v;
                memcpy(&v, hwio + ((size_t)t * (size_t)cin + (size_t)i) * (size_t)cout + (size_t)o,
                       sizeof v);
                non_finite |= !(v == v) || v > 1e30f || v < -1e30f;
                w_oihw[((size_t)o * (size_t)cin + (size_t)i) * 9 + (size_t)t] = v;
            }
    memcpy(bias, hwio + nk, sizeof(float) * (size_t)cout);
    for (int o = 0; o < cout; o++)
        non_finite |= !(bias[o] == bias[o]) || bias[o] > 1e30f || bias[o] < -1e30f;
    free(data);
    if (non_finite)
        return imp_fail(err, IMP_ERR_FORMAT, "vgg19: %s: weights are not finite numbers "
                        "(corrupt shard)", path);
    return IMP_OK;
}

enum imp_status imp_vgg19_load(const char *dir, struct imp_tnet **out, int relu_values[8],
                               struct imp_error *err)
{
    return imp_vgg19_load_convs(dir, VGG_CONVS, out, relu_values, err);
}

enum imp_status imp_vgg19_load_convs(const char *dir, int n_convs, struct imp_tnet **out,
                                     int relu_values[8], struct imp_error *err)
{
    *out = NULL;
    if (n_convs < 1 || n_convs > VGG_CONVS)
        return imp_fail(err, IMP_ERR_ARGUMENT, "vgg19: %d convolutions asked, 1 to %d exist",
                        n_convs, VGG_CONVS);
    for (int c = 0; c < VGG_CONVS; c++)
        relu_values[c] = -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, VGG_MANIFEST);
    char *text;
    size_t len;
    enum imp_status st = read_file(path, &text, &len, err);
    if (st != IMP_OK)
        return st;
    char jerr[128];
    struct json *root = json_parse(text, len, jerr, sizeof jerr);
    free(text);
    if (!root)
        return imp_fail(err, IMP_ERR_FORMAT, "vgg19: %s: not JSON: %s", path, jerr);
    if (root->type != JSON_ARRAY || root->n != VGG_CONVS) {
        json_free(root);
        return imp_fail(err, IMP_ERR_FORMAT,
                        "vgg19: %s: expected a list of %d weight groups (block1_conv1 .. "
                        "block3_conv4)", path, VGG_CONVS);
    }
    struct imp_tnet *net = imp_tnet_create(3);
    /* RGB 0..1 -> BGR 0..255 minus the mean, as a frozen 1x1 convolution. */
    int v = net ? imp_tnet_conv(net, 0, 3, 1, 1, 0, true) : -1;
    if (v > 0) {
        float *p = imp_tnet_params(net);
        size_t wo, wn, bo, bn;
        imp_tnet_layer_params(net, v, &wo, &wn, &bo, &bn);
        memset(p + wo, 0, sizeof(float) * wn);
        for (int o = 0; o < 3; o++) {
            p[wo + (size_t)o * 3 + (size_t)(2 - o)] = 255.0f;
            p[bo + (size_t)o] = -caffe_mean_bgr[o];
        }
    }
    for (int c = 0; c < n_convs && v > 0; c++) {
        if (c == 2 || c == 4)
            v = imp_tnet_maxpool2(net, v);
        int conv = v > 0 ? imp_tnet_conv(net, v, vgg_convs[c].cout, 3, 1, 1, true) : -1;
        if (conv < 0) {
            v = -1;
            break;
        }
        size_t wo, wn, bo, bn;
        imp_tnet_layer_params(net, conv, &wo, &wn, &bo, &bn);
        st = load_group(dir, &root->items[c], c, imp_tnet_params(net) + wo,
                        imp_tnet_params(net) + bo, err);
        if (st != IMP_OK) {
            json_free(root);
            imp_tnet_free(net);
            return st;
        }
        v = imp_tnet_relu(net, conv);
        relu_values[c] = v;
    }
    json_free(root);
    if (v < 0) {
        imp_tnet_free(net);
        return imp_fail(err, IMP_ERR_NOMEM, "vgg19: out of memory");
    }
    *out = net;
    return IMP_OK;
}
