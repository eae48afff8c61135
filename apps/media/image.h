/*
 * Image files for the CLI and tests: PNG and JPEG in, PNG out, always as
 * 8-bit RGB (or 1-channel gray for masks). Not part of libimpasto, which
 * knows nothing of files beyond models.
 */
#ifndef IMP_APP_IMAGE_H
#define IMP_APP_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct imp_image {
    int width, height, channels; /* channels: 1 (gray) or 3 (RGB) */
    uint8_t *pixels;             /* row-major, interleaved, malloc'd */
};

/* Decode a PNG or JPEG (by content) to RGB. On failure returns -1 and
 * writes one line naming the problem into err. */
int imp_image_load(const char *path, struct imp_image *img, char *err,
                   size_t err_size);
/* Write 1- or 3-channel 8-bit PNG. */
int imp_image_save_png(const char *path, const struct imp_image *img, char *err,
                       size_t err_size);
void imp_image_free(struct imp_image *img);

/* Images larger than this many pixels are refused as hostile. */
#define IMP_IMAGE_MAX_PIXELS (1u << 28)

#endif
