/*
 * PNG/JPEG decoding (apps/media/image.c, exif.c), both with the alpha kept
 * (imp_image_load_rgba) and dropped (imp_image_load). imp_image_load takes a path, so
 * the bytes go through one temporary file per process; on Linux it is
 * unlinked at once and reached through /proc/self/fd, so a crash leaves
 * nothing behind. Images declaring over 4 M pixels are skipped (below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "image.h"

#define IMP_FUZZ_IMAGE_MAX_PIXELS ((uint64_t)1 << 22)

static char imp_fuzz_image_path[64];
static int imp_fuzz_image_fd = -1;

static void imp_fuzz_image_cleanup(void)
{
    if (strncmp(imp_fuzz_image_path, "/proc/", 6) != 0)
        unlink(imp_fuzz_image_path);
}

static const char *imp_fuzz_image_file(const uint8_t *data, size_t size)
{
    if (imp_fuzz_image_fd < 0) {
        const char *dir = getenv("TMPDIR");
        char tmpl[sizeof imp_fuzz_image_path];
        snprintf(tmpl, sizeof tmpl, "%s/imp_fuzz_XXXXXX",
                 dir && strlen(dir) < 40 ? dir : "/tmp");
        imp_fuzz_image_fd = mkstemp(tmpl);
        if (imp_fuzz_image_fd < 0)
            imp_fuzz_die("cannot create a temporary file in %s", tmpl);
        struct stat st;
        if (stat("/proc/self/fd", &st) == 0) {
            unlink(tmpl);
            snprintf(imp_fuzz_image_path, sizeof imp_fuzz_image_path,
                     "/proc/self/fd/%d", imp_fuzz_image_fd);
        } else {
            memcpy(imp_fuzz_image_path, tmpl, sizeof tmpl);
            atexit(imp_fuzz_image_cleanup);
        }
    }
    if (ftruncate(imp_fuzz_image_fd, 0) != 0 ||
        (size && pwrite(imp_fuzz_image_fd, data, size, 0) != (ssize_t)size))
        imp_fuzz_die("cannot write the temporary image file");
    return imp_fuzz_image_path;
}

/* Pixels the header declares (0 when it cannot tell). A 16384x16384 PNG is
 * within image.c's limit and decodes from 100 bytes into 800 MB in
 * seconds: legitimate, but it only burns the fuzzer's time and memory. */
static uint64_t imp_fuzz_image_declared_pixels(const uint8_t *d, size_t n)
{
    if (n >= 24 && d[0] == 0x89 && memcmp(d + 12, "IHDR", 4) == 0) {
        uint64_t w = (uint64_t)d[16] << 24 | (uint64_t)d[17] << 16 | d[18] << 8 | d[19];
        uint64_t h = (uint64_t)d[20] << 24 | (uint64_t)d[21] << 16 | d[22] << 8 | d[23];
        return w * h;
    }
    for (size_t i = 2; n >= 4 && d[0] == 0xff && d[1] == 0xd8 && i + 9 <= n;) {
        if (d[i] != 0xff) {
            i++;
            continue;
        }
        uint8_t m = d[i + 1];
        bool sof = m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
        if (sof)
            return (uint64_t)(d[i + 5] << 8 | d[i + 6]) * (uint64_t)(d[i + 7] << 8 | d[i + 8]);
        if (m == 0xda)
            break;
        i += 2 + (size_t)(d[i + 2] << 8 | d[i + 3]);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (imp_fuzz_image_declared_pixels(data, size) > IMP_FUZZ_IMAGE_MAX_PIXELS)
        return 0;
    const char *path = imp_fuzz_image_file(data, size);
    for (int keep_alpha = 0; keep_alpha < 2; keep_alpha++) {
        struct imp_image img;
        char msg[256] = "";
        int rc = keep_alpha ? imp_image_load_rgba(path, &img, msg, sizeof msg)
                            : imp_image_load(path, &img, msg, sizeof msg);
        if (rc != 0) {
            if (msg[0] == '\0')
                imp_fuzz_die("image: failed without a message");
            if (img.pixels)
                imp_fuzz_die("image: failed but left pixels behind");
            return 0;
        }
        if (img.width <= 0 || img.height <= 0 ||
            (img.channels != 3 && !(keep_alpha && img.channels == 4)) || !img.pixels ||
            (size_t)img.width * (size_t)img.height > IMP_IMAGE_MAX_PIXELS)
            imp_fuzz_die("image: decoded to %dx%dx%d", img.width, img.height,
                         img.channels);
        /* Every pixel must be inside the allocation. */
        volatile uint8_t x = 0;
        size_t n = (size_t)img.width * (size_t)img.height * (size_t)img.channels;
        for (size_t i = 0; i < n; i += 61)
            x ^= img.pixels[i];
        x ^= img.pixels[n - 1];
        (void)x;
        imp_image_free(&img);
    }
    return 0;
}
