/*
 * A fast PNG writer for 8-bit gray, RGB and RGBA: what the CLI writes its
 * outputs with (image.c). libpng's simplified writer with its FAST flag
 * took 0.5-0.9 s of one core for a 12-megapixel photo (no row filter, zlib
 * level 3); this one filters every row with PNG's Up filter, deflates with
 * zlib's run-length strategy, and splits the rows into strips deflated on
 * all cores at once. On 12-13 MP photos: 1.7-2.2x less CPU than libpng's
 * FAST writer and files 42-51% smaller (BENCHMARKS.md, 2026-12-08).
 */
#ifndef IMP_APP_PNG_WRITE_H
#define IMP_APP_PNG_WRITE_H

#include <stddef.h>
#include <stdio.h>

struct imp_image;

/* Writes img (1, 3 or 4 channels) to f as a complete PNG: IHDR, sRGB,
 * IDAT, IEND. -1 with the reason in why (no file name) on failure. */
int imp_png_write(FILE *f, const struct imp_image *img, char *why, size_t why_size);

/* The same with the number of strips fixed (>= 1), for tests: the file
 * must decode the same however many strips made it. 0 chooses. */
int imp_png_write_strips(FILE *f, const struct imp_image *img, int strips, char *why,
                         size_t why_size);

#endif
