/*
 * Image files for the CLI and tests. Not part of libimpasto, which knows
 * nothing of files beyond models.
 *
 * In: PNG (1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA, palette with or
 * without transparency; 16-bit is rounded to 8) and JPEG (gray, RGB, CMYK
 * refused; the EXIF orientation is applied so the picture stands as the
 * camera meant). Out: PNG or JPEG by the file name's extension, always
 * written atomically: a temporary file in the same folder, renamed over
 * the final name only once it is complete.
 */
#ifndef IMP_APP_IMAGE_H
#define IMP_APP_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct imp_image {
    int width, height;
    int channels;    /* 1 (gray), 3 (RGB) or 4 (RGBA, alpha not premultiplied) */
    uint8_t *pixels; /* row-major, interleaved, malloc'd */
};

/* Decode a PNG or JPEG (by content) to RGB (alpha dropped). On failure
 * returns -1, leaves img empty and writes one line naming the problem into
 * err. */
int imp_image_load(const char *path, struct imp_image *img, char *err,
                   size_t err_size);
/* The same, keeping the alpha channel when the file has one (then 4
 * channels, else 3). */
int imp_image_load_rgba(const char *path, struct imp_image *img, char *err,
                        size_t err_size);

/* The output type a file name asks for: PNG or JPEG, or -1 when the
 * extension is neither (.png, .jpg, .jpeg; any case). */
enum imp_image_type { IMP_IMAGE_PNG = 0, IMP_IMAGE_JPEG = 1 };
int imp_image_type_for_path(const char *path);

/* Write 1-, 3- or 4-channel 8-bit pixels as the extension says (JPEG drops
 * alpha; quality 1..100, 0 for the default 92). Atomic. */
int imp_image_save(const char *path, const struct imp_image *img, int quality,
                   char *err, size_t err_size);
/* The same, but left under its temporary name (af, see atomic_file.h) for
 * the caller to commit or abandon: several outputs written in full before
 * any is renamed into place. On failure nothing is left to commit. */
struct imp_atomic_file;
int imp_image_save_pending(const char *path, const struct imp_image *img, int quality,
                           struct imp_atomic_file *af, char *err, size_t err_size);
/* Write a PNG whatever the name (atomic). */
int imp_image_save_png(const char *path, const struct imp_image *img, char *err,
                       size_t err_size);
void imp_image_free(struct imp_image *img);

/* Images larger than this many pixels are refused as hostile. */
#define IMP_IMAGE_MAX_PIXELS (1u << 28)

#endif
