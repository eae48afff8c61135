/*
 * apps/media/live_out.c: the virtual camera's YUYV against FFmpeg's own
 * conversion (the ffmpeg program, swscale), and its device checks. There is
 * no v4l2loopback module on the machines that run this: the write to a real
 * device stays untested (see docs/design.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "harness.h"
#include "live_out.h"

static struct imp_test_cli io;

/* A picture whose colour is constant over each pair of pixels (so the
 * chroma of a pair does not depend on how a converter filters it), with
 * gradients, saturated colours, black and white. */
static void make_picture(uint8_t *rgb, int w, int h)
{
    unsigned seed = 11;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x += 2) {
            uint8_t c[3];
            if (y < h / 4) { /* saturated primaries, black and white */
                static const uint8_t set[8][3] = {{255, 0, 0},   {0, 255, 0},   {0, 0, 255},
                                                  {255, 255, 0}, {0, 255, 255}, {255, 0, 255},
                                                  {0, 0, 0},     {255, 255, 255}};
                memcpy(c, set[(x / 8) % 8], 3);
            } else if (y < h / 2) { /* gradients */
                c[0] = (uint8_t)(x * 255 / w);
                c[1] = (uint8_t)(y * 255 / h);
                c[2] = (uint8_t)(255 - x * 255 / w);
            } else { /* noise */
                for (int k = 0; k < 3; k++)
                    c[k] = (uint8_t)(127.5f * (imp_test_frand(&seed) + 1.0f)); /* [-1, 1) */
            }
            for (int k = 0; k < 2; k++)
                memcpy(rgb + ((size_t)y * w + x + k) * 3, c, 3);
        }
}

static void yuyv_matches_ffmpeg(void)
{
    const int w = 64, h = 48;
    size_t n = (size_t)w * h;
    uint8_t *rgb = malloc(n * 3), *ours = malloc(n * 2), *theirs = malloc(n * 2);
    make_picture(rgb, w, h);
    imp_yuyv_pack(rgb, w, h, ours);
    FILE *f = fopen(imp_test_cli_path(&io, "in.rgb"), "wb");
    CHECK(f && fwrite(rgb, 1, n * 3, f) == n * 3);
    if (f)
        fclose(f);
    /* swscale in its exact mode (no dithering, full chroma precision). */
    CHECK(imp_test_sh(&io,
                      "ffmpeg -nostdin -v error -y -f rawvideo -pix_fmt rgb24 -s %dx%d -i '%s' "
                      "-sws_flags bitexact+accurate_rnd+full_chroma_int -pix_fmt yuyv422 "
                      "-color_range tv -colorspace bt470bg -f rawvideo '%s'",
                      w, h, imp_test_cli_path(&io, "in.rgb"),
                      imp_test_cli_path(&io, "out.yuyv")) == 0);
    f = fopen(imp_test_cli_path(&io, "out.yuyv"), "rb");
    CHECK(f && fread(theirs, 1, n * 2, f) == n * 2);
    if (f)
        fclose(f);
    int worst_y = 0, worst_c = 0;
    for (size_t i = 0; i < n * 2; i++) {
        int d = abs(ours[i] - theirs[i]);
        if (i % 2 == 0)
            worst_y = d > worst_y ? d : worst_y;
        else
            worst_c = d > worst_c ? d : worst_c;
    }
    printf("  largest difference from FFmpeg: luma %d, chroma %d (of 255)\n", worst_y,
           worst_c);
    CHECK(worst_y <= 1 && worst_c <= 1);
    /* And it is YUYV, in that order: white is Y 235, U and V 128; red has
     * V high and U low. */
    uint8_t white[6] = {255, 255, 255, 255, 255, 255}, red[6] = {255, 0, 0, 255, 0, 0};
    uint8_t o[4];
    imp_yuyv_pack(white, 2, 1, o);
    CHECK(o[0] == 235 && o[2] == 235 && o[1] == 128 && o[3] == 128);
    imp_yuyv_pack(red, 2, 1, o);
    CHECK(o[0] == 82 && o[3] == 240 && o[1] < 100);
    free(rgb);
    free(ours);
    free(theirs);
}

static void a_device_that_is_no_loopback_output_is_refused(void)
{
    char err[512];
    struct imp_v4l2_out *v = NULL;
    CHECK(imp_v4l2_out_open("/dev/null", 64, 48, &v, err, sizeof err) == -1 && !v);
    printf("  %s\n", err);
    CHECK(strstr(err, "not a v4l2loopback output device") != NULL);
    CHECK(imp_v4l2_out_open("/dev/null", 63, 48, &v, err, sizeof err) == -1 &&
          strstr(err, "even width"));
    CHECK(imp_v4l2_out_open("/nonexistent-video-device", 64, 48, &v, err, sizeof err) == -1 &&
          strstr(err, "cannot open"));
}

/* The outputs' fixed size: a picture scaled there keeps its colour in every
 * pixel, and a size swscale cannot make fails with a line naming both. */
static void rgb_scaling_fills_the_output_or_says_why_not(void)
{
    enum { SW = 30, SH = 18, DW = 64, DH = 36 };
    uint8_t *src = malloc(SW * SH * 3), *dst = malloc(DW * DH * 3);
    void *ctx = NULL;
    char err[256] = "";
    if (!CHECK(src && dst)) {
        free(src);
        free(dst);
        return;
    }
    for (int i = 0; i < SW * SH; i++)
        memcpy(src + i * 3, (const uint8_t[]){200, 90, 30}, 3);
    memset(dst, 0, DW * DH * 3);
    CHECK(imp_rgb_scale(&ctx, src, SW, SH, dst, DW, DH, err, sizeof err) == 0);
    int off = 0;
    for (int i = 0; i < DW * DH; i++)
        off += abs(dst[i * 3] - 200) > 2 || abs(dst[i * 3 + 1] - 90) > 2 ||
               abs(dst[i * 3 + 2] - 30) > 2;
    CHECK(off == 0);
    CHECK(imp_rgb_scale(&ctx, src, SW, SH, dst, 0, DH, err, sizeof err) == -1);
    printf("  %s\n", err);
    CHECK(strstr(err, "30x18 to 0x36") != NULL);
    imp_rgb_scale_free(ctx);
    free(src);
    free(dst);
}

int main(void)
{
    if (system("ffmpeg -version >/dev/null 2>&1") != 0)
        imp_test_skip("the ffmpeg program is not installed");
    if (!imp_test_cli_open(&io, "imp_test_live_out_"))
        return 1;
    RUN(yuyv_matches_ffmpeg);
    RUN(a_device_that_is_no_loopback_output_is_refused);
    RUN(rgb_scaling_fills_the_output_or_says_why_not);
    imp_test_cli_close(&io);
    return imp_test_finish();
}
