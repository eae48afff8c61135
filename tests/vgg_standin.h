/*
 * A stand-in VGG19 for tests that must not need ../shared: the TF.js
 * manifest and shards imp_vgg19_load reads, with VGG19's real shapes and
 * small made-up weights (the same for every call), written into vdir.
 */
#ifndef IMP_TEST_VGG_STANDIN_H
#define IMP_TEST_VGG_STANDIN_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "harness.h"

/* VGG19's manifest and shards with small made-up weights. */
static void imp_test_write_vgg_standin(const char *vdir)
{
    static const int ch[8][2] = {{3, 64},    {64, 64},   {64, 128},  {128, 128},
                                 {128, 256}, {256, 256}, {256, 256}, {256, 256}};
    static const char *names[8] = {"block1_conv1", "block1_conv2", "block2_conv1",
                                   "block2_conv2", "block3_conv1", "block3_conv2",
                                   "block3_conv3", "block3_conv4"};
    mkdir(vdir, 0755);
    char path[512];
    snprintf(path, sizeof path, "%s/weights_manifest_groups1-8.json", vdir);
    FILE *m = fopen(path, "wb");
    fputs("[", m);
    unsigned seed = 5;
    for (int i = 0; i < 8; i++) {
        fprintf(m, "%s{\"paths\":[\"group%d-shard1of1\"],\"weights\":["
                   "{\"name\":\"%s/kernel\",\"shape\":[3,3,%d,%d],\"dtype\":\"float32\"},"
                   "{\"name\":\"%s/bias\",\"shape\":[%d],\"dtype\":\"float32\"}]}",
                i ? "," : "", i + 1, names[i], ch[i][0], ch[i][1], names[i], ch[i][1]);
        size_t n = (size_t)9 * (size_t)ch[i][0] * (size_t)ch[i][1] + (size_t)ch[i][1];
        float *v = malloc(sizeof(float) * n);
        float scale = i == 0 ? 0.01f : 0.1f; /* inputs are 0..255 after preprocessing */
        for (size_t k = 0; k < n; k++)
            v[k] = scale * imp_test_frand(&seed);
        snprintf(path, sizeof path, "%s/group%d-shard1of1", vdir, i + 1);
        FILE *f = fopen(path, "wb");
        fwrite(v, sizeof(float), n, f);
        fclose(f);
        free(v);
    }
    fputs("]", m);
    fclose(m);
}

#endif
