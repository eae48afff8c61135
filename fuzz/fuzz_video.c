/*
 * The video reader (apps/media/video_reader.c) on bytes in memory, through
 * imp_video_reader_open_memory: the same probing, stream choice, decoding
 * and RGB conversion as for a file, only the bytes come from a buffer. Up
 * to IMP_FUZZ_VIDEO_FRAMES frames are read, at the source's size or, for
 * half of the inputs (by a hash of the bytes), at a smaller size, as
 * `impasto video --size` asks. FFmpeg's libraries are not instrumented, so
 * coverage only sees the reader itself; ASan still sees every frame the
 * reader hands over.
 *
 * Checked beyond "no crash": a failure has a message and leaves no reader
 * or pixels behind; the info is within the reader's limits; every frame
 * has the size asked for, pixels to that size, the next index and a later
 * time than the frame before; the end is an end, and stays one.
 */
#include <math.h>
#include <string.h>

#include "fuzz_common.h"
#include "video.h"

#define IMP_FUZZ_VIDEO_FRAMES 8
/* Larger sources are legitimate but only slow the fuzzer down. */
#define IMP_FUZZ_VIDEO_MAX_PIXELS (1 << 20)

static void imp_fuzz_video_check_info(const struct imp_video_info *in)
{
    if (in->width < 1 || in->height < 1 || in->width > IMP_VIDEO_MAX_SIDE ||
        in->height > IMP_VIDEO_MAX_SIDE ||
        (size_t)in->width * (size_t)in->height > IMP_VIDEO_MAX_PIXELS)
        imp_fuzz_die("video: opened with size %dx%d", in->width, in->height);
    if (in->fps_num < 0 || in->fps_den < 1 || (in->fps_num == 0 && in->fps_den != 1))
        imp_fuzz_die("video: frame rate %d/%d", in->fps_num, in->fps_den);
    if (in->sar_num < 0 || in->sar_den < 1)
        imp_fuzz_die("video: pixel aspect %d/%d", in->sar_num, in->sar_den);
    if (in->frames < 0 || !isfinite(in->duration) || in->duration < 0)
        imp_fuzz_die("video: %lld frames, %g seconds", (long long)in->frames,
                     in->duration);
    if (!isfinite(in->rotation) || fabs(in->rotation) > 360)
        imp_fuzz_die("video: rotation %g", in->rotation);
    if (!in->codec || (in->has_audio != 0) != (in->audio_codec != NULL))
        imp_fuzz_die("video: codec names do not match the streams");
}

/* FNV-1a: which inputs read at a smaller size, the same on every replay. */
static uint32_t imp_fuzz_video_hash(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

static void imp_fuzz_video_check_frame(const struct imp_video_frame *f, int w, int h,
                                       int64_t index, int64_t last_pts)
{
    if (!f->rgb || f->width != w || f->height != h)
        imp_fuzz_die("video: frame %lld is %dx%d (%s pixels), asked for %dx%d",
                     (long long)index, f->width, f->height, f->rgb ? "with" : "no", w, h);
    if (f->index != index)
        imp_fuzz_die("video: frame %lld came as index %lld", (long long)index,
                     (long long)f->index);
    if (index > 0 && f->pts <= last_pts)
        imp_fuzz_die("video: frame %lld at pts %lld, after %lld", (long long)index,
                     (long long)f->pts, (long long)last_pts);
    if (!isfinite(f->seconds))
        imp_fuzz_die("video: frame %lld at %g seconds", (long long)index, f->seconds);
    /* Every pixel must be inside the allocation. */
    volatile uint8_t x = 0;
    size_t n = (size_t)w * (size_t)h * 3;
    for (size_t i = 0; i < n; i += 61)
        x ^= f->rgb[i];
    x ^= f->rgb[n - 1];
    (void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        imp_video_quiet_logs();
        quiet = 1;
    }
    struct imp_video_reader *r = NULL;
    char err[512] = "";
    if (imp_video_reader_open_memory(data, size, "fuzz", &r, err, sizeof err) != 0) {
        if (err[0] == '\0')
            imp_fuzz_die("video: open failed without a message");
        if (r)
            imp_fuzz_die("video: open failed but left a reader behind");
        return 0;
    }
    const struct imp_video_info *in = imp_video_reader_info(r);
    imp_fuzz_video_check_info(in);
    if ((size_t)in->width * (size_t)in->height > IMP_FUZZ_VIDEO_MAX_PIXELS) {
        imp_video_reader_close(r);
        return 0;
    }
    int w = in->width, h = in->height;
    if (imp_fuzz_video_hash(data, size) & 1) {
        w = w / 2 > 8 ? w / 2 : 8;
        h = h / 2 > 1 ? h / 2 : 1;
        if (imp_video_reader_set_output_size(r, w, h, err, sizeof err) != 0)
            imp_fuzz_die("video: cannot read at %dx%d: %s", w, h, err);
    }
    int64_t last_pts = 0;
    for (int64_t i = 0; i < IMP_FUZZ_VIDEO_FRAMES; i++) {
        struct imp_video_frame f;
        err[0] = '\0';
        int rc = imp_video_reader_next(r, &f, err, sizeof err);
        if (rc < 0) {
            if (err[0] == '\0')
                imp_fuzz_die("video: frame %lld failed without a message", (long long)i);
            if (f.rgb)
                imp_fuzz_die("video: frame %lld failed but left pixels behind",
                             (long long)i);
            imp_video_frame_free(&f);
            break;
        }
        if (rc == 0) {
            if (f.rgb)
                imp_fuzz_die("video: the end came with pixels");
            imp_video_frame_free(&f);
            if (imp_video_reader_next(r, &f, err, sizeof err) != 0 || f.rgb)
                imp_fuzz_die("video: a frame after the end");
            imp_video_frame_free(&f);
            break;
        }
        if (rc != 1)
            imp_fuzz_die("video: next() returned %d", rc);
        imp_fuzz_video_check_frame(&f, w, h, i, last_pts);
        last_pts = f.pts;
        imp_video_frame_free(&f);
    }
    imp_video_reader_close(r);
    return 0;
}
