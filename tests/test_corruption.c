/*
 * Damaged models: every reader must turn a truncated or bit-flipped file
 * into either a model (a flip inside weight bytes cannot be detected in
 * ONNX or TFLite) or a clean error: an error status, a message, no model.
 * Never a crash, a hang or a leak (ASan builds catch leaks and overreads:
 * every damaged copy sits in an exactly sized heap block).
 *
 * Subjects: the real models in ../shared/models (skipped when absent), the
 * in-repo fuzz seeds, and the .imp form of each (when the writer exists;
 * its flips are also tried with both CRCs recomputed, as a crafted file).
 * Per subject: every truncation up to 4 KB and 32 beyond; every bit of the
 * first 24 and last 12 bytes (seeds: the first 512, then one bit per byte
 * up to 4 KB); 64 random bit flips and 32 random byte overwrites, seeded
 * by the subject's name. Real models over 1 MB get about two thirds of
 * that and no .imp twin: each of their loads costs tens of ms under ASan.
 * Loads that succeed also init a predictor, so shape inference and engine
 * preparation see damaged graphs too; small models are run as well.
 *
 * IMP_CORRUPTION_SCALE=<float> scales the random-mutation counts (e.g. 4
 * for a longer soak, 0.25 for a quick look). IMP_CORRUPTION_VERBOSE=1
 * names every mutation before loading it (to find the one that crashed);
 * IMP_CORRUPTION_ONLY=<text> damages only subjects whose name contains it.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../fuzz/fuzz_common.c" /* imp_fuzz_plan_size */
#include "ops/eval.h"
#include "runtime/model.h"
#include "core/util.h"
#include "formats/formats.h"
#include "formats/imp_format.h"
#include "harness.h"

/* A load that takes this much CPU time is a hang as far as this test is
 * concerned. CPU time, not wall time: on a loaded machine a load that
 * needs seconds of CPU can wait minutes for it (seen: 2.8 s of CPU in
 * 2 min 35 s), while a real hang spins and burns its CPU regardless. */
#define HANG_SECONDS 60
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
/* Predictor inits per subject (a 720x720 plan costs tens of ms). */
#define MAX_INITS 24
/* Models whose run costs more than this are only initialised. */
#define MAX_RUN_MACS (5 * 1000 * 1000)
#define MAX_RUN_BYTES ((size_t)1 << 20)
/* Real models above this get fewer full-size loads (and no .imp twin):
 * their loads cost tens of milliseconds under ASan. */
#define BIG_BYTES ((size_t)1 << 20)
/* All tensors of one inference, summed: the 720x720 style nets need about
 * 0.6 GB; damaged dims asking for more are not planned. The seeds need a
 * few KB: theirs are planned up to a few MB. */
#define MAX_PLAN_BYTES ((size_t)1536 << 20)
#define MAX_SEED_PLAN_BYTES ((size_t)8 << 20)

struct subject {
    char label[160];
    const uint8_t *bytes;
    size_t size;
    bool small;        /* exhaustive flips, predictor runs */
    bool fail_expected;
    bool is_imp;       /* also try each flip with the checksums redone */
};

struct tally {
    int loads, loaded, failed, inits, runs;
    double slowest_ms;
    char slowest[256];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What is being loaded right now, for the hang report. */
static char current[256];

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "\ntest_corruption: one load or predictor "
                              "init took over " STRINGIFY(HANG_SECONDS) " s of CPU on: ";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    ignored = write(2, current, strnlen(current, sizeof current));
    ignored = write(2, "\n", 1);
    (void)ignored;
    _exit(1);
}

/* Arms (or with 0, disarms) the hang timer: SIGPROF after `seconds` of
 * the process's CPU time. */
static void hang_timer(int seconds)
{
    struct itimerval t = {.it_value = {.tv_sec = seconds}};
    setitimer(ITIMER_PROF, &t, NULL);
}

static bool verbose;

static double scale(void)
{
    const char *s = getenv("IMP_CORRUPTION_SCALE");
    double v = s ? atof(s) : 1.0;
    return v > 0 ? v : 1.0;
}

/* Deterministic positions: the same mutations on every run and machine. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void seed_from(const char *label)
{
    rng_state = 0x9e3779b97f4a7c15ull;
    for (const char *c = label; *c; c++)
        rng_state = (rng_state ^ (uint8_t)*c) * 0x100000001b3ull;
    if (!rng_state)
        rng_state = 1;
}

static void exercise_predictor(const struct imp_model *m, bool small,
                               struct tally *t)
{
    if (t->inits >= MAX_INITS && !small)
        return;
    /* The library accepts plans up to IMP_MAX_ARENA_BYTES; a damaged dim
     * can ask for gigabytes legitimately, which only slows this test down.
     * Beyond the library's limit, init must refuse quickly: try those. */
    size_t total, largest;
    if (!imp_fuzz_plan_size(&m->graph, m->input_shapes, &total, &largest) ||
        (total > (small ? MAX_SEED_PLAN_BYTES : MAX_PLAN_BYTES) &&
         largest <= IMP_MAX_ARENA_BYTES))
        return;
    struct imp_predictor_options opt = imp_predictor_options_default();
    opt.threads = 1;
    struct imp_predictor *p = NULL;
    struct imp_error err;
    memset(&err, 0, sizeof err);
    t->inits++;
    hang_timer(HANG_SECONDS);
    enum imp_status st = imp_predictor_init(m, &opt, &p, &err);
    if (st != IMP_OK) {
        if (!CHECK(err.message[0] != '\0' && p == NULL))
            printf("  %s: predictor init failed (%s) without a message\n",
                   current, imp_status_name(st));
        return;
    }
    struct imp_plan_stats stats;
    if (small && total <= MAX_RUN_BYTES &&
        imp_predictor_plan_stats(p, &stats) == IMP_OK && stats.macs <= MAX_RUN_MACS) {
        t->runs++;
        if (!CHECK(imp_predictor_run(p) == IMP_OK))
            printf("  %s: run failed after init: %s\n", current,
                   imp_predictor_last_error(p));
    }
    imp_predictor_free(p);
}

/* One load of damaged bytes. `bytes` must be an exactly sized block. */
static void probe(const struct subject *s, const uint8_t *bytes, size_t size,
                  bool init, struct tally *t)
{
    struct imp_model *m = (struct imp_model *)1; /* must be reset to NULL */
    struct imp_error err;
    memset(&err, 0x55, sizeof err);
    if (verbose) {
        printf("    %s\n", current);
        fflush(stdout);
    }
    hang_timer(HANG_SECONDS); /* re-armed per load: only one load is timed */
    double t0 = now_ms();
    enum imp_status st = imp_model_load_buffer(bytes, size, &m, &err);
    double ms = now_ms() - t0;
    t->loads++;
    if (ms > t->slowest_ms) {
        t->slowest_ms = ms;
        memcpy(t->slowest, current, sizeof t->slowest);
    }
    if (st == IMP_OK) {
        t->loaded++;
        if (!CHECK(m != NULL && m != (struct imp_model *)1)) {
            printf("  %s: OK without a model\n", current);
            return;
        }
        if (init)
            exercise_predictor(m, s->small, t);
        imp_model_free(m);
        return;
    }
    t->failed++;
    bool clean = st > IMP_OK && st <= IMP_ERR_NOMEM && err.status == st &&
                 memchr(err.message, 0, sizeof err.message) &&
                 err.message[0] != '\0' && m == NULL;
    if (!CHECK(clean))
        printf("  %s: unclean failure: status %d, error status %d, model %p\n",
               current, (int)st, (int)err.status, (void *)m);
}

static void truncations(const struct subject *s, struct tally *t)
{
    size_t dense = s->size < 4096 ? s->size : 4096;
    size_t spread = (size_t)((s->size > BIG_BYTES ? 24 : 32) * scale());
    for (size_t k = 0; k < dense + spread + 8; k++) {
        size_t len;
        if (k < dense)
            len = k;
        else if (k < dense + spread)
            len = dense + (s->size - dense) * (k - dense) / spread;
        else
            len = s->size - 1 - (k - dense - spread) * 3; /* near the end */
        if (len >= s->size || (k >= dense && len < dense))
            continue;
        snprintf(current, sizeof current, "%s truncated to %zu bytes", s->label,
                 len);
        uint8_t *cut = malloc(len ? len : 1);
        if (!cut)
            continue;
        memcpy(cut, s->bytes, len);
        probe(s, cut, len, true, t);
        free(cut);
    }
}

static void flip_at(const struct subject *s, uint8_t *work, size_t pos,
                    uint8_t newbyte, bool init, struct tally *t)
{
    uint8_t old = work[pos];
    if (newbyte == old)
        return;
    work[pos] = newbyte;
    snprintf(current, sizeof current, "%s byte %zu: 0x%02x -> 0x%02x", s->label,
             pos, old, newbyte);
    probe(s, work, s->size, init, t);
    if (s->is_imp && s->size >= IMP_FMT_HEADER_SIZE) {
        /* A crafted file has valid checksums: the structural checks
         * behind them must hold on their own. */
        uint8_t crcs[2][4];
        memcpy(crcs[0], work + IMP_FMT_OFF_BODY_CRC, 4);
        memcpy(crcs[1], work + IMP_FMT_OFF_HEADER_CRC, 4);
        imp_fuzz_imp_fix_checksums(work, s->size);
        snprintf(current, sizeof current,
                 "%s byte %zu: 0x%02x -> 0x%02x, checksums redone", s->label,
                 pos, old, newbyte);
        probe(s, work, s->size, init, t);
        memcpy(work + IMP_FMT_OFF_BODY_CRC, crcs[0], 4);
        memcpy(work + IMP_FMT_OFF_HEADER_CRC, crcs[1], 4);
    }
    work[pos] = old;
}

static void flips(const struct subject *s, struct tally *t)
{
    uint8_t *work = malloc(s->size);
    if (!work)
        return;
    memcpy(work, s->bytes, s->size);
    /* Structure lives at the ends: header, graph, tables up front; ONNX
     * graph inputs/outputs and opsets, TFLite tails at the back. Every bit
     * there; for the small seeds every bit of the first 512 bytes and one
     * bit of every byte after that, up to 4 KB. */
    bool big = s->size > BIG_BYTES;
    size_t head_max = s->small ? 512 : big ? 16 : 24;
    size_t tail_max = s->small ? 0 : big ? 8 : 12;
    size_t head = s->size < head_max ? s->size : head_max;
    size_t tail = s->size - head < tail_max ? s->size - head : tail_max;
    for (size_t i = 0; i < head; i++)
        for (int b = 0; b < 8; b++)
            flip_at(s, work, i, work[i] ^ (uint8_t)(1u << b), true, t);
    for (size_t i = s->size - tail; i < s->size; i++)
        for (int b = 0; b < 8; b++)
            flip_at(s, work, i, work[i] ^ (uint8_t)(1u << b), true, t);
    for (size_t i = head; s->small && i < s->size && i < 4096; i++)
        flip_at(s, work, i, work[i] ^ (uint8_t)(1u << (rng_next() % 8)), true, t);
    /* Anywhere: single bit flips, and bytes set to the values that most
     * often turn into bad lengths, counts and offsets. */
    static const uint8_t nasty[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe};
    int n_bits = (int)((big ? 48 : 64) * scale());
    int n_bytes = (int)((big ? 24 : 32) * scale());
    for (int k = 0; k < n_bits; k++) {
        size_t pos = (size_t)(rng_next() % s->size);
        flip_at(s, work, pos, work[pos] ^ (uint8_t)(1u << (rng_next() % 8)),
                true, t);
    }
    for (int k = 0; k < n_bytes; k++) {
        size_t pos = (size_t)(rng_next() % s->size);
        uint64_t r = rng_next();
        uint8_t v = r % 4 == 0 ? (uint8_t)(r >> 8)
                               : nasty[(r >> 8) % sizeof nasty];
        flip_at(s, work, pos, v, true, t);
    }
    free(work);
}

static void corrupt(const struct subject *s)
{
    const char *only = getenv("IMP_CORRUPTION_ONLY");
    if (only && !strstr(s->label, only))
        return;
    struct tally t;
    memset(&t, 0, sizeof t);
    seed_from(s->label);
    snprintf(current, sizeof current, "%s (intact)", s->label);
    double t0 = now_ms();
    probe(s, s->bytes, s->size, true, &t);
    if (t.loaded == 0 && !s->fail_expected)
        printf("  note: %s does not load intact; only failures are checked\n",
               s->label);
    truncations(s, &t);
    flips(s, &t);
    hang_timer(0);
    printf("  %-44s %6d loads (%d ok, %d failed), %d inits, %d runs, %.1f s; "
           "slowest %.1f ms: %s\n",
           s->label, t.loads, t.loaded, t.failed, t.inits, t.runs,
           (now_ms() - t0) / 1e3, t.slowest_ms, t.slowest);
    fflush(stdout);
}

/* The .imp form of a model that loads, when the writer exists: the .imp
 * reader deserves the same treatment as the foreign ones. */
static void corrupt_as_imp(const struct subject *s)
{
    struct imp_model *m = NULL;
    struct imp_error err;
    if (imp_model_load_buffer(s->bytes, s->size, &m, &err) != IMP_OK)
        return;
    uint8_t *bytes = NULL;
    size_t size = 0;
    if (imp_imp_write(&m->graph, &bytes, &size, &err) == IMP_OK) {
        struct subject is = *s;
        size_t len = strnlen(s->label, sizeof is.label - 9);
        memcpy(is.label, s->label, len);
        memcpy(is.label + len, " as .imp", 9);
        is.bytes = bytes;
        is.size = size;
        is.fail_expected = false;
        is.is_imp = true;
        corrupt(&is);
        free(bytes);
    }
    imp_model_free(m);
}

static void corrupt_file(const char *path, const char *label, bool small)
{
    unsigned char *data;
    size_t size;
    if (!CHECK(imp_read_file(path, &data, &size) == 0 && size > 0)) {
        printf("  cannot read %s\n", path);
        return;
    }
    struct subject s = {.bytes = data, .size = size, .small = small};
    snprintf(s.label, sizeof s.label, "%s", label);
    s.fail_expected = strncmp(label, "bad_", 4) == 0;
    corrupt(&s);
    if (!s.fail_expected && size <= BIG_BYTES)
        corrupt_as_imp(&s);
    free(data);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void corrupt_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!CHECK(d != NULL)) {
        printf("  cannot open %s\n", dir);
        return;
    }
    char *names[256];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;)
        if (e->d_name[0] != '.')
            names[n++] = imp_strdup(e->d_name);
    closedir(d);
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (names[i])
            corrupt_file(path, names[i], true);
        free(names[i]);
    }
}

static void seed_models_fail_cleanly_when_damaged(void)
{
    corrupt_dir(IMP_SOURCE_DIR "/fuzz/corpus/onnx");
    corrupt_dir(IMP_SOURCE_DIR "/fuzz/corpus/tflite");
}

static const char *const shared_models[] = {
    "models/style/johnson-instancenorm-onnx/candy.onnx",
    "models/style/johnson-instancenorm-onnx/mosaic.onnx",
    "models/backbones/squeezenet1.1-imagenet-onnx/SqueezeNet_fp16.onnx",
    "models/segmentation/mediapipe-selfie/selfie_segmentation.tflite",
    "models/segmentation/mediapipe-selfie/selfie_segmentation_landscape.tflite",
    "models/style/magenta-arbitrary-tflite/style_transfer_quantized_384.tflite",
    "models/style/magenta-arbitrary-tflite/style_transfer_f16_384.tflite",
    "models/style/magenta-arbitrary-tflite/style_transfer_quantized_dynamic.tflite",
    "models/style/magenta-arbitrary-tflite/style_predict_quantized_256.tflite",
};

static bool have_shared;

static void real_models_fail_cleanly_when_damaged(void)
{
    for (size_t i = 0; i < sizeof shared_models / sizeof *shared_models; i++) {
        char path[1024];
        if (!imp_test_shared(shared_models[i], path, sizeof path))
            continue;
        have_shared = true;
        const char *base = strrchr(shared_models[i], '/');
        corrupt_file(path, base ? base + 1 : shared_models[i], false);
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGPROF, &sa, NULL);
    verbose = getenv("IMP_CORRUPTION_VERBOSE") != NULL;
    RUN(seed_models_fail_cleanly_when_damaged);
    RUN(real_models_fail_cleanly_when_damaged);
    int rc = imp_test_finish();
    if (rc == 0 && !have_shared)
        imp_test_skip("../shared/models is absent: only the in-repo seeds "
                      "were damaged");
    return rc;
}
