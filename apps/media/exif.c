#include "exif.h"

#include <stdlib.h>
#include <string.h>

#include "image.h"

static unsigned read16(const uint8_t *p, int big_endian)
{
    return big_endian ? (unsigned)(p[0] << 8 | p[1]) : (unsigned)(p[1] << 8 | p[0]);
}

static uint32_t read32(const uint8_t *p, int big_endian)
{
    return big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                      : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int imp_exif_orientation(const uint8_t *app1, size_t size)
{
    if (!app1 || size < 6 + 8 || memcmp(app1, "Exif\0\0", 6) != 0)
        return 1;
    const uint8_t *tiff = app1 + 6;
    size_t n = size - 6;
    int big;
    if (tiff[0] == 'M' && tiff[1] == 'M')
        big = 1;
    else if (tiff[0] == 'I' && tiff[1] == 'I')
        big = 0;
    else
        return 1;
    if (read16(tiff + 2, big) != 42)
        return 1;
    uint32_t ifd = read32(tiff + 4, big);
    if (ifd > n || n - ifd < 2)
        return 1;
    unsigned count = read16(tiff + ifd, big);
    for (unsigned i = 0; i < count; i++) {
        size_t at = (size_t)ifd + 2 + (size_t)i * 12;
        if (at + 12 > n)
            return 1;
        const uint8_t *e = tiff + at;
        if (read16(e, big) == 0x0112) {
            unsigned type = read16(e + 2, big);
            unsigned v = type == 3 ? read16(e + 8, big) : 1; /* SHORT */
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
    return 1;
}

int imp_exif_orient(struct imp_image *img, int o)
{
    if (o < 2 || o > 8)
        return 0;
    int w = img->width, h = img->height, c = img->channels;
    int swap = o >= 5; /* orientations 5..8 turn the picture a quarter */
    int dw = swap ? h : w, dh = swap ? w : h;
    uint8_t *dst = malloc((size_t)w * h * c);
    if (!dst)
        return -1;
    for (int y = 0; y < dh; y++) {
        for (int x = 0; x < dw; x++) {
            int sx, sy; /* the stored pixel shown at (x, y) */
            switch (o) {
            case 2: sx = w - 1 - x; sy = y; break;
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;
            case 4: sx = x; sy = h - 1 - y; break;
            case 5: sx = y; sy = x; break;
            case 6: sx = y; sy = h - 1 - x; break;
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;
            default: sx = w - 1 - y; sy = x; break; /* 8 */
            }
            memcpy(dst + ((size_t)y * dw + x) * c, img->pixels + ((size_t)sy * w + sx) * c,
                   (size_t)c);
        }
    }
    free(img->pixels);
    img->pixels = dst;
    img->width = dw;
    img->height = dh;
    return 0;
}
