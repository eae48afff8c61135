/* apps/effects/readout.c: the live window's text readout. */
#include <string.h>

#include "harness.h"
#include "readout.h"

#define W 40
#define H 20

static uint8_t img[W * H * 3];

static int lit(void)
{
    int n = 0;
    for (int i = 0; i < W * H; i++)
        n += img[i * 3] == 255 && img[i * 3 + 1] == 255 && img[i * 3 + 2] == 255;
    return n;
}

static void draws_glyphs_on_a_dark_box_and_clips(void)
{
    memset(img, 100, sizeof img);
    imp_readout_draw(img, W, H, 2, 2, 2, "8");
    /* '8' has 13 of its 15 font pixels set; each is 2x2. */
    CHECK(lit() == 13 * 4);
    CHECK(img[(3 * W + 2) * 3] == 255);          /* top-left of the 8 */
    CHECK(img[(5 * W + 4) * 3] == 25);           /* the hole: darkened, not lit */
    CHECK(img[(15 * W + 30) * 3] == 100);        /* outside the box: untouched */
    memset(img, 100, sizeof img);
    imp_readout_draw(img, W, H, 30, 15, 3, "88 FPS"); /* mostly off the frame */
    CHECK(lit() > 0 && lit() < 13 * 9);
    memset(img, 100, sizeof img);
    imp_readout_draw(img, W, H, 2, 2, 1, "??");   /* unknown characters: blank */
    CHECK(lit() == 0);
}

int main(void)
{
    RUN(draws_glyphs_on_a_dark_box_and_clips);
    return imp_test_finish();
}
