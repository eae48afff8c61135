/*
 * The one thing impasto reads from EXIF: the orientation tag (0x0112), so a
 * phone photo taken upright is stylized upright. A hostile APP1 segment
 * gives orientation 1 (as stored), never an out-of-bounds read.
 */
#ifndef IMP_APP_EXIF_H
#define IMP_APP_EXIF_H

#include <stddef.h>
#include <stdint.h>

struct imp_image;

/* The orientation 1..8 in a JPEG APP1 segment's payload ("Exif\0\0" then a
 * TIFF header), or 1 when it has none or cannot be read. */
int imp_exif_orientation(const uint8_t *app1, size_t size);
/* Turn the stored pixels into the upright picture for orientation 2..8
 * (mirrors and quarter turns). Returns 0, or -1 when out of memory. */
int imp_exif_orient(struct imp_image *img, int orientation);

#endif
