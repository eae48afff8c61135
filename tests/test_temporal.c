/* apps/effects/temporal.c: scene-cut score and the motion-gated blend. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "temporal.h"

#define W 64
#define H 48

static uint8_t a[W * H * 3], b[W * H * 3], out[W * H * 3], prev_out[W * H * 3];
static float work[W * H];

static void fill(uint8_t *img, unsigned seed, int noise, int shift)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                int v = ((x + shift) / 16 + y / 16) % 2 ? 200 : 40;
                v += (int)(noise * imp_test_frand(&seed));
                img[(y * W + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
}

static void cut_score_separates_cuts_from_noise_and_motion(void)
{
    fill(a, 1, 10, 0);
    fill(b, 2, 10, 0);
    double noise = imp_temporal_cut_score(a, b, W, H);
    fill(b, 2, 10, 2);
    double motion = imp_temporal_cut_score(a, b, W, H);
    fill(b, 2, 10, 16); /* the checkerboard inverted: another picture */
    double cut = imp_temporal_cut_score(a, b, W, H);
    CHECK(imp_temporal_cut_score(a, a, W, H) == 0);
    CHECK(noise < 3 && motion < IMP_TEMPORAL_CUT && cut > IMP_TEMPORAL_CUT);
}

static void blend_pulls_still_pixels_and_leaves_moving_ones(void)
{
    CHECK(imp_temporal_work_size(W, H) <= sizeof work / sizeof work[0]);
    fill(a, 1, 4, 0);
    fill(b, 2, 4, 0); /* still, with noise */
    memset(prev_out, 100, sizeof prev_out);
    memset(out, 200, sizeof out);
    imp_temporal_blend(out, prev_out, b, a, W, H, 0.5f, work);
    CHECK(out[0] == 150 && out[sizeof out - 1] == 150);
    fill(b, 2, 4, 8); /* every edge moved by 8 pixels */
    memset(out, 200, sizeof out);
    imp_temporal_blend(out, prev_out, b, a, W, H, 0.5f, work);
    int kept = 0;
    for (size_t i = 0; i < sizeof out; i++)
        kept += out[i] == 200;
    CHECK(kept == (int)sizeof out);
    /* blend 0 changes nothing */
    memset(out, 200, sizeof out);
    fill(b, 2, 4, 0);
    imp_temporal_blend(out, prev_out, b, a, W, H, 0.0f, work);
    CHECK(out[0] == 200);
}

int main(void)
{
    RUN(cut_score_separates_cuts_from_noise_and_motion);
    RUN(blend_pulls_still_pixels_and_leaves_moving_ones);
    return imp_test_finish();
}
