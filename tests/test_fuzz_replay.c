/*
 * Replays every file under fuzz/corpus/<target>/ through the fuzz targets'
 * own entry points, so every build (gcc, ASan+UBSan, no libFuzzer) runs
 * the corpus.
 * The target files are compiled into this test under other names: the
 * code is the fuzzers', not a copy.
 *
 *   test_fuzz_replay                    replay every corpus
 *   test_fuzz_replay TARGET FILE...     run files through one target
 *                                       (reproduce a fuzzer finding)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLVMFuzzerTestOneInput imp_fuzz_target_onnx
#include "../fuzz/fuzz_onnx.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput imp_fuzz_target_tflite
#include "../fuzz/fuzz_tflite.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput imp_fuzz_target_imp
#include "../fuzz/fuzz_imp.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput imp_fuzz_target_image
#include "../fuzz/fuzz_image.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput imp_fuzz_target_video
#include "../fuzz/fuzz_video.c"
#undef LLVMFuzzerTestOneInput
/* The .npy reader arrives with the CLI; replay its corpus once it does. */
#if defined(__has_include)
#if __has_include("npy.h")
#define IMP_FUZZ_HAVE_NPY 1
#define LLVMFuzzerTestOneInput imp_fuzz_target_npy
#include "../fuzz/fuzz_npy.c"
#undef LLVMFuzzerTestOneInput
#endif
#endif
#include "../fuzz/fuzz_common.c"

#include "core/util.h"
#include "harness.h"

struct target {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
};

static const struct target targets[] = {
    {"onnx", imp_fuzz_target_onnx},
    {"tflite", imp_fuzz_target_tflite},
    {"imp", imp_fuzz_target_imp},
    {"image", imp_fuzz_target_image},
    {"video", imp_fuzz_target_video},
#ifdef IMP_FUZZ_HAVE_NPY
    {"npy", imp_fuzz_target_npy},
#endif
};
#define N_TARGETS (sizeof targets / sizeof targets[0])

/* The bytes go in an exactly sized heap block, as libFuzzer passes them,
 * so ASan sees a read one past the end. */
static bool run_file(const struct target *t, const char *path)
{
    unsigned char *data;
    size_t size;
    if (imp_read_file(path, &data, &size) != 0) {
        printf("  cannot read %s\n", path);
        return false;
    }
    uint8_t *exact = malloc(size ? size : 1);
    if (!exact) {
        free(data);
        return false;
    }
    memcpy(exact, data, size);
    free(data);
    t->run(exact, size);
    free(exact);
    return true;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of one corpus folder in name order (a stable replay order). */
static int replay_dir(const struct target *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    int n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, sizeof *names * (size_t)cap);
            if (!grown)
                break;
            names = grown;
        }
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n])
            break;
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, by_name);
    int ran = 0;
    for (int i = 0; i < n; i++) {
        ran += run_file(t, names[i]);
        free(names[i]);
    }
    free(names);
    return ran;
}

static void replay_every_corpus_without_breaking_a_contract(void)
{
    int total = 0;
    for (size_t i = 0; i < N_TARGETS; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", IMP_SOURCE_DIR,
                 targets[i].name);
        int ran = replay_dir(&targets[i], dir);
        printf("  %-7s %d inputs\n", targets[i].name, ran);
        total += ran;
    }
    /* A corpus that vanished would make this test pass vacuously. */
    CHECK(total > 0);
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        for (size_t i = 0; i < N_TARGETS; i++) {
            if (strcmp(argv[1], targets[i].name) != 0)
                continue;
            for (int a = 2; a < argc; a++) {
                printf("%s: %s\n", targets[i].name, argv[a]);
                fflush(stdout);
                if (!run_file(&targets[i], argv[a]))
                    return 1;
            }
            return 0;
        }
        fprintf(stderr, "unknown target '%s'\n", argv[1]);
        return 2;
    }
    RUN(replay_every_corpus_without_breaking_a_contract);
    return imp_test_finish();
}
