/* The training pictures of `impasto train` (apps/impasto/train_data.c):
 * random crops come out as the crop, resize and flip they describe, and
 * drawing them allocates nothing once the photos are loaded (every
 * malloc, calloc and realloc of this program is counted through the
 * linker's --wrap, set in tests/CMakeLists.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"
#include "harness.h"
#include "image.h"
#include "resample.h"
#include "train_data.h"

static long allocations;

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    allocations++;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    allocations++;
    return __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    allocations++;
    return __real_realloc(p, n);
}

static struct imp_test_cli io;

static bool write_photo(const char *name, int w, int h, unsigned seed)
{
    struct imp_image img = {.width = w, .height = h, .channels = 3};
    img.pixels = malloc((size_t)w * h * 3);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        img.pixels[i] = (uint8_t)(128 + 127 * imp_test_frand(&seed));
    char why[256];
    bool ok = imp_image_save_png(imp_test_cli_path(&io, name), &img, why, sizeof why) == 0;
    if (!ok)
        printf("  %s\n", why);
    free(img.pixels);
    return ok;
}

/* The sample train_photos_sample should give for the draws rng will make,
 * worked out here with the allocating resampler. */
static void expected_sample(const struct train_photos *p, struct imp_rng rng, int size,
                            float *out)
{
    const struct train_photo *ph = &p->items[imp_rng_next(&rng) % (uint64_t)p->n];
    int shorter = ph->w < ph->h ? ph->w : ph->h;
    int lo = size < shorter ? size : shorter;
    int side = lo + (int)(imp_rng_next(&rng) % (uint64_t)(shorter - lo + 1));
    int x0 = (int)(imp_rng_next(&rng) % (uint64_t)(ph->w - side + 1));
    int y0 = (int)(imp_rng_next(&rng) % (uint64_t)(ph->h - side + 1));
    int flip = (int)(imp_rng_next(&rng) & 1);
    float *crop = malloc(sizeof *crop * (size_t)side * side * 3);
    float *res = malloc(sizeof *res * (size_t)size * size * 3);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side * 3; x++)
            crop[(size_t)y * side * 3 + x] =
                ph->rgb[(size_t)(y0 + y) * ph->w * 3 + (size_t)x0 * 3 + x] * (1.0f / 255.0f);
    CHECK(imp_resample_f32(crop, side, side, 3, res, size, size) == 0);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                out[((size_t)c * size + y) * size + x] =
                    res[((size_t)y * size + (flip ? size - 1 - x : x)) * 3 + c];
    free(crop);
    free(res);
}

static void samples_are_their_crops_and_allocate_nothing(void)
{
    const int size = 32;
    CHECK(write_photo("a.png", 200, 120, 1) && write_photo("b.png", 90, 300, 2) &&
          write_photo("c.png", 40, 100, 3));
    struct train_photos p;
    char err[512];
    if (!CHECK(train_photos_load(io.dir, size, 16, &p, err, sizeof err) == 0)) {
        printf("  %s\n", err);
        return;
    }
    CHECK(p.n == 3);
    size_t one = (size_t)3 * size * size;
    enum { SAMPLES = 40 };
    float *got = malloc(sizeof *got * one * SAMPLES), *want = malloc(sizeof *want * one);
    struct imp_rng rng = {.state = 12345};
    struct imp_rng draws[SAMPLES];
    long before = allocations;
    int failed = 0;
    for (int i = 0; i < SAMPLES; i++) {
        draws[i] = rng;
        failed += train_photos_sample(&p, &rng, size, got + i * one) != 0;
    }
    long during = allocations - before;
    double worst = 0;
    for (int i = 0; i < SAMPLES; i++) {
        expected_sample(&p, draws[i], size, want);
        for (size_t k = 0; k < one; k++) {
            double d = got[i * one + k] - want[k];
            worst = d > worst ? d : -d > worst ? -d : worst;
        }
    }
    printf("  %d samples: %ld allocations, largest difference from the crop %.3g\n",
           SAMPLES, during, worst);
    CHECK(failed == 0);
    CHECK(during == 0);
    CHECK(worst == 0);
    /* The counter does count: the reference allocates. */
    before = allocations;
    expected_sample(&p, draws[0], size, want);
    CHECK(allocations > before);
    free(got);
    free(want);
    train_photos_free(&p);
}

int main(void)
{
    if (!imp_test_cli_open(&io, "imp_test_train_data_"))
        return 1;
    RUN(samples_are_their_crops_and_allocate_nothing);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
