/* apps/effects/frame_style.c: a frame through a style network at any size,
 * and the strength / colour-keeping touches. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frame_style.h"
#include "harness.h"

static struct imp_model *model;

/* An odd-sized frame runs padded to a multiple of 4 by repeating edges:
 * its pixels equal the top-left of the padded frame run by hand. */
static void odd_frames_run_padded_and_cropped(void)
{
    const int w = 37, h = 23, pw = 40, ph = 24;
    uint8_t *rgb = malloc((size_t)w * h * 3), *out = malloc((size_t)w * h * 3);
    float *x = malloc(sizeof *x * 3 * pw * ph);
    unsigned seed = 5;
    for (int i = 0; i < w * h * 3; i++)
        rgb[i] = (uint8_t)(128 + 127 * imp_test_frand(&seed));
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < ph; y++)
            for (int xx = 0; xx < pw; xx++) {
                int sy = y < h ? y : h - 1, sx = xx < w ? xx : w - 1;
                x[(c * ph + y) * pw + xx] = rgb[(sy * w + sx) * 3 + c] / 255.0f;
            }
    struct imp_predictor *p, *ref;
    struct imp_frame_style fs;
    char err[256];
    CHECK(imp_predictor_init(model, NULL, &p, NULL) == IMP_OK);
    CHECK(imp_frame_style_init(&fs, model, p, 1.0f, err, sizeof err) == 0);
    CHECK(imp_frame_style_run(&fs, rgb, w, h, out, err, sizeof err) == 0);
    CHECK(fs.run_w == pw && fs.run_h == ph);
    CHECK(imp_predictor_init(model, NULL, &ref, NULL) == IMP_OK);
    int64_t dims[4] = {1, 3, ph, pw};
    const void *y;
    struct imp_tensor_info t;
    CHECK(imp_predictor_resize_input(ref, 0, 4, dims) == IMP_OK);
    CHECK(imp_predictor_set_input(ref, 0, x, sizeof *x * 3 * pw * ph) == IMP_OK);
    CHECK(imp_predictor_run(ref) == IMP_OK);
    CHECK(imp_predictor_output(ref, 0, &t, &y) == IMP_OK);
    int worst = 0, changed = 0;
    for (int c = 0; c < 3; c++)
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++) {
                float v = ((const float *)y)[(c * ph + yy) * pw + xx] * 255.0f;
                int want = v < 0 ? 0 : v > 255 ? 255 : (int)(v + 0.5f);
                int got = out[(yy * w + xx) * 3 + c];
                worst = abs(got - want) > worst ? abs(got - want) : worst;
                changed += got != rgb[(yy * w + xx) * 3 + c];
            }
    CHECK(worst == 0);
    CHECK(changed > w * h); /* the network did change the picture */
    imp_frame_style_free(&fs);
    imp_predictor_free(p);
    imp_predictor_free(ref);
    free(rgb);
    free(out);
    free(x);
}

static void strength_and_colour_keeping(void)
{
    uint8_t src[6] = {200, 100, 50, 10, 20, 30};
    uint8_t out[6] = {100, 100, 100, 90, 90, 90};
    uint8_t half[6];
    memcpy(half, out, 6);
    imp_frame_style_finish(half, src, 2, 0.5f, 0);
    CHECK(half[0] == 150 && half[1] == 100 && half[2] == 75);
    uint8_t kept[6];
    memcpy(kept, out, 6);
    imp_frame_style_finish(kept, src, 2, 1.0f, 1);
    /* The source's colour differences stay, the style's brightness comes. */
    CHECK(kept[0] - kept[1] == 100 && kept[1] - kept[2] == 50);
    double luma = 0.299 * kept[0] + 0.587 * kept[1] + 0.114 * kept[2];
    CHECK(fabs(luma - 100) < 1.5);
    uint8_t same[6];
    memcpy(same, out, 6);
    imp_frame_style_finish(same, src, 2, 1.0f, 0);
    CHECK(memcmp(same, out, 6) == 0);
}

int main(void)
{
    if (imp_model_load_file(IMP_SOURCE_DIR "/tests/data/style/tiny_style.onnx", &model,
                            NULL) != IMP_OK)
        return 1;
    RUN(odd_frames_run_padded_and_cropped);
    RUN(strength_and_colour_keeping);
    imp_model_free(model);
    return imp_test_finish();
}
